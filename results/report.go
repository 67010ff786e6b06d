package results

// Report is what Run did.
type Report struct {
	Out       string
	Tasks     []*TaskSummary // the tasks run (or found finished), in order
	Finished  bool           // every task asked for is finished
	AllTasks  bool           // a run of all tasks (results.h5, summary.json, plot written)
	Messages  []string
	Artifacts []string         // files written for the whole run
	Disorder  []*DisorderGroup // averages over disorder samples (a run of all tasks)
}
