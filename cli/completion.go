package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/mcflow/mcflow/job"
)

// flagLine matches a flag in a command's help (flag.PrintDefaults).
var flagLine = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9-]*)`)

// flagsOf returns a command's flags, read from its own help so that the
// completion cannot drift from the flags the command parses.
func flagsOf(c *command) []string {
	var out bytes.Buffer
	c.run(context.Background(), []string{"-h"}, &out, &out)
	var flags []string
	for _, m := range flagLine.FindAllStringSubmatch(out.String(), -1) {
		flags = append(flags, "--"+m[1])
	}
	return flags
}

// cmdCompletion prints a completion script for bash, zsh or fish.
func cmdCompletion(args []string, stdout, stderr io.Writer) int {
	pos, code := parseNone("completion", args, stderr)
	if code >= 0 {
		return code
	}
	shells := map[string]func(io.Writer){"bash": completeBash, "zsh": completeZsh, "fish": completeFish}
	if len(pos) != 1 || shells[pos[0]] == nil {
		fmt.Fprintf(stderr, "mcflow completion: want one shell: bash, zsh or fish\n")
		return job.ExitUsage
	}
	shells[pos[0]](stdout)
	return job.ExitDone
}

func commandNames() []string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return names
}

func completeBash(w io.Writer) {
	fmt.Fprintf(w, `# bash completion for mcflow: source <(mcflow completion bash)
_mcflow() {
  local cur=${COMP_WORDS[COMP_CWORD]} opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
    return
  fi
  case "${COMP_WORDS[1]}" in
`, strings.Join(commandNames(), " "))
	for _, c := range commands {
		fmt.Fprintf(w, "    %s) opts=%q ;;\n", c.name, strings.Join(flagsOf(c), " "))
	}
	fmt.Fprint(w, `  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F _mcflow mcflow
`)
}

// completeZsh is the bash script through zsh's bashcompinit.
func completeZsh(w io.Writer) {
	fmt.Fprint(w, "# zsh completion for mcflow: source <(mcflow completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n")
	completeBash(w)
}

func completeFish(w io.Writer) {
	fmt.Fprint(w, "# fish completion for mcflow: mcflow completion fish | source\ncomplete -c mcflow -f\n")
	for _, c := range commands {
		fmt.Fprintf(w, "complete -c mcflow -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
		for _, f := range flagsOf(c) {
			fmt.Fprintf(w, "complete -c mcflow -n '__fish_seen_subcommand_from %s' -l %s\n", c.name, strings.TrimPrefix(f, "--"))
		}
		if c.name != "help" && c.name != "version" && c.name != "default" && c.name != "completion" {
			fmt.Fprintf(w, "complete -c mcflow -n '__fish_seen_subcommand_from %s' -F\n", c.name)
		}
	}
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
