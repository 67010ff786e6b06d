package job

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/mcflow/mcflow/kind"
)

// commonSamplerKeys documents the [sampler] keys of every sampler.
var commonSamplerKeys = []kind.Key{
	{Name: "kind", Type: kind.String, Default: "metropolis", Doc: "the sampler kind (below)"},
	atLeast("chains", 8, 1, "independent chains per task"),
	atLeast("thermalize", 1000, 0, "steps discarded per chain (adaptation happens here)"),
	atLeast("sweeps", 10000, 1, "recorded steps per chain (a larger value extends a finished run)"),
	atLeast("measure_every", 1, 1, "steps between measurements"),
	kind.ChoiceKey("start", "hot: a random configuration; cold: an ordered one (0 for continuous targets)", "hot", "cold"),
}

// atLeast is an integer key >= min.
func atLeast(name string, def, min int, doc string) kind.Key {
	return kind.Key{Name: name, Type: kind.Int, Default: def, Min: float64(min), Max: math.Inf(1), Doc: doc}
}

// Keys writes the job-file reference of the registered kinds as Markdown
// (docs/keys.md is its output): every model kind's and sampler kind's
// keys with types, defaults, ranges and docs. With names, only those
// kinds; an unknown name is an error.
func Keys(w io.Writer, names ...string) error {
	models, samplers := kind.ModelNames(), kind.SamplerNames()
	if len(names) > 0 {
		var ms, ss []string
		for _, n := range names {
			_, isM := kind.LookupModel(n)
			_, isS := kind.LookupSampler(n)
			if !isM && !isS {
				return fmt.Errorf("%q is not a kind this program knows; models: %s; samplers: %s", n, strings.Join(models, ", "), strings.Join(samplers, ", "))
			}
			if isM {
				ms = append(ms, n)
			}
			if isS {
				ss = append(ss, n)
			}
		}
		models, samplers = ms, ss
	} else {
		fmt.Fprintf(w, "# Job-file keys of the model and sampler kinds\n\n"+
			"Generated from the kinds' registrations by `mcflow keys` (`make docs` writes\n"+
			"this file; a test checks that it is current). A user's program built on\n"+
			"`cli.Main` prints its own kinds too. Numeric `[model]` keys take a list of\n"+
			"values to scan (one task per point); tasks are named by their values in the\n"+
			"order of this table (`L=16_beta=0.44_J=1_h=0`).\n\n")
	}
	for _, n := range models {
		m, _ := kind.LookupModel(n)
		fmt.Fprintf(w, "## model.kind = %q\n\n%s (kernel v%d).\n\n", n, m.Doc, m.Version)
		keyTable(w, "model", m.Keys)
		if ok := applicable(m); len(ok) > 0 {
			fmt.Fprintf(w, "\nSamplers at the default parameters: %s.\n", strings.Join(ok, ", "))
		}
		fmt.Fprintln(w)
	}
	if len(names) == 0 {
		trainTable(w)
		fmt.Fprintf(w, "## [sampler]: the keys of every sampler\n\n")
		keyTable(w, "sampler", commonSamplerKeys)
		fmt.Fprintln(w)
	}
	for _, n := range samplers {
		s, _ := kind.LookupSampler(n)
		fmt.Fprintf(w, "## sampler.kind = %q\n\n%s (kernel v%d; needs %s).\n\n", n, s.Doc, s.Version, s.Needs)
		if len(s.Keys) == 0 {
			fmt.Fprintf(w, "No keys besides every sampler's.\n\n")
			continue
		}
		keyTable(w, "sampler", s.Keys)
		fmt.Fprintln(w)
	}
	return nil
}

// trainTable writes the [train] keys (flow training, `mcflow train`).
func trainTable(w io.Writer) {
	fmt.Fprintf(w, "## [train]: flow training (`mcflow train`, and flow samplers without a flow file)\n\n")
	fmt.Fprintf(w, "Keys of the other flow kind are refused.\n\n| key | type | default | meaning |\n|---|---|---|---|\n")
	for _, k := range trainKeyDocs {
		fmt.Fprintf(w, "| `train.%s` | %s | `%s` | %s |\n", k.name, k.typ, k.def, k.doc)
	}
	fmt.Fprintln(w)
}

func keyTable(w io.Writer, table string, keys []kind.Key) {
	fmt.Fprintf(w, "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n")
	for _, k := range keys {
		def := k.FormatDefault()
		if def == "" {
			def = "—"
		}
		fmt.Fprintf(w, "| `%s.%s` | %s | `%s` | %s | %s |\n", table, k.Name, k.Type, def, strings.ReplaceAll(k.Range(), "|", "\\|"), strings.ReplaceAll(k.Doc, "|", "\\|"))
	}
}

// applicable lists the samplers that accept the model at its defaults.
func applicable(m *kind.Model) []string {
	v := kind.Values{}
	for _, k := range m.Keys {
		if k.Default != nil {
			v[k.Name] = k.Default
		}
	}
	inst, err := m.New(v)
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range kind.SamplerNames() {
		s, _ := kind.LookupSampler(n)
		sv := kind.Values{}
		for _, k := range s.Keys {
			if k.Default != nil {
				sv[k.Name] = k.Default
			}
		}
		if s.Accepts(inst, sv) == nil {
			out = append(out, "`"+n+"`")
		}
	}
	return slices.Clip(out)
}
