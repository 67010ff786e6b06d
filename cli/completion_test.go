package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/jobs"
)

// The bash completion completes commands and each command's own flags
// (read from its help); zsh's and fish's scripts parse where those shells
// are installed.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	scripts := map[string]string{}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, stderr := runCLI(t, "completion", sh)
		if code != jobs.ExitDone || out == "" {
			t.Fatalf("mcflow completion %s: exit %d\n%s", sh, code, stderr)
		}
		scripts[sh] = filepath.Join(dir, "mcflow."+sh)
		if err := os.WriteFile(scripts[sh], []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, _ := runCLI(t, "completion", "tcsh"); code != jobs.ExitUsage {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash not found")
	}
	for _, c := range []struct{ words, want string }{
		{"mcflow ru", "run"},
		{"mcflow su", "summary"},
		{"mcflow run --wor", "--workers"},
		{"mcflow run --chains-", "--chains-per-task"},
		{"mcflow bench --max", "--max-workers"},
		{"mcflow summary --str", "--strict"},
	} {
		words := strings.Fields(c.words)
		script := "source " + scripts["bash"] + "; COMP_WORDS=(" + c.words + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) + "; _mcflow; echo \"${COMPREPLY[*]}\""
		out, err := exec.Command(bash, "-c", script).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("bash completion of %q: %q (%v), want %q", c.words, out, err, c.want)
		}
	}
	for _, sh := range []string{"zsh", "fish"} {
		if path, err := exec.LookPath(sh); err == nil {
			if out, err := exec.Command(path, "-n", scripts[sh]).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, out)
			}
		} else {
			t.Logf("%s not installed: its script's syntax is not checked", sh)
		}
	}
}
