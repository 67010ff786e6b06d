package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/job"
)

// The bash completion completes commands and each command's own flags
// (read from its help); zsh's and fish's scripts parse where those shells
// are installed.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	scripts := map[string]string{}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, stderr := runCLI(t, "completion", sh)
		if code != job.ExitDone || out == "" {
			t.Fatalf("mcflow completion %s: exit %d\n%s", sh, code, stderr)
		}
		scripts[sh] = filepath.Join(dir, "mcflow."+sh)
		if err := os.WriteFile(scripts[sh], []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, _ := runCLI(t, "completion", "tcsh"); code != job.ExitUsage {
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
	// Where installed (make deps-test installs both): each script parses, zsh
	// registers the completion function, and fish completes a command and
	// a flag.
	for _, c := range []struct{ sh, script, want string }{
		{"zsh", "autoload -U compinit && compinit -u; source %s; echo $_comps[mcflow]", "-F _mcflow"},
		{"fish", "source %s; complete -C 'mcflow ru'", "run\trun a job"},
		{"fish", "source %s; complete -C 'mcflow run --wor'", "--workers"},
	} {
		path, err := exec.LookPath(c.sh)
		if err != nil {
			t.Logf("%s not installed: its script is not checked", c.sh)
			continue
		}
		if out, err := exec.Command(path, "-n", scripts[c.sh]).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", c.sh, err, out)
		}
		cmd := exec.Command(path, "-c", fmt.Sprintf(c.script, scripts[c.sh]))
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s completion: %v\n%s\nwant %q", c.sh, err, out, c.want)
		}
	}
}
