package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/h5"
)

// TestTutorial runs docs/tutorial.md: every `bin/mcflow` line of its sh
// blocks in-process and every `/usr/bin/python3` line (where numpy is
// installed), in order, with examples/ and out/ paths mapped to the
// repository and a temporary directory. Other lines (make) are skipped.
func TestTutorial(t *testing.T) {
	if !h5.Available {
		t.Skip("the tutorial trains a flow, saved as HDF5")
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "tutorial.md"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	mapArg := func(a string) string {
		switch {
		case strings.HasPrefix(a, "examples/"):
			return filepath.Join("..", a)
		case strings.HasPrefix(a, "out/"):
			return filepath.Join(tmp, a)
		}
		return a
	}
	ran := 0
	for _, line := range shLines(string(doc)) {
		fields := strings.Fields(line)
		for i := range fields {
			fields[i] = mapArg(fields[i])
		}
		switch fields[0] {
		case "bin/mcflow":
			args := append(fields[1:], "--progress", "none")
			if fields[1] != "run" && fields[1] != "train" {
				args = fields[1:]
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s\n%s", line, code, stdout, stderr)
			}
			ran++
		case "/usr/bin/python3":
			if exec.Command("/usr/bin/python3", "-c", "import numpy").Run() != nil {
				t.Logf("%s: skipped (no /usr/bin/python3 with numpy)", line)
				continue
			}
			if out, err := exec.Command(fields[0], fields[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", line, err, out)
			}
			ran++
		}
	}
	if ran < 6 {
		t.Fatalf("ran %d commands of the tutorial", ran)
	}
	for _, f := range []string{"out/tutorial/ising/plots/analysis.png", "out/tutorial/phi4/summary.json", "out/tutorial/ising.sbatch"} {
		if _, err := os.Stat(filepath.Join(tmp, f)); err != nil {
			t.Errorf("the tutorial did not make %s: %v", f, err)
		}
	}
}

// shLines returns the command lines of a Markdown document's sh blocks,
// without comments.
func shLines(doc string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
		case strings.HasPrefix(l, "```"):
			in = false
		case in:
			if i := strings.Index(l, "#"); i >= 0 {
				l = l[:i]
			}
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}
