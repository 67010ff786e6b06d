package doccheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// skipped are the directories of outputs, builds and VCS data.
var skipped = map[string]bool{".git": true, "out": true, "build": true, "bin": true, "node_modules": true}

var (
	linkRE   = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	codeSpan = regexp.MustCompile("`[^`]*`")
)

// TestMarkdownLinks follows every relative link of every *.md file of the
// repository.
func TestMarkdownLinks(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skipped[d.Name()] {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d Markdown files under %s", len(files), root)
	}
	anchors := map[string]map[string]bool{}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		for _, l := range links(t, f) {
			if err := check(f, l.target, anchors); err != "" {
				t.Errorf("%s:%d: link %q: %s", rel, l.line, l.target, err)
			}
		}
	}
}

type link struct {
	line   int
	target string
}

// links returns the link targets of a Markdown file outside code.
func links(t *testing.T, path string) []link {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []link
	fence := false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		for _, m := range linkRE.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
			out = append(out, link{i + 1, m[1]})
		}
	}
	return out
}

// check returns what is wrong with a link of file from, or "".
func check(from, target string, anchors map[string]map[string]bool) string {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	path, frag, _ := strings.Cut(target, "#")
	dest := from
	if path != "" {
		dest = filepath.Join(filepath.Dir(from), filepath.FromSlash(path))
		if _, err := os.Stat(dest); err != nil {
			return "no such file"
		}
	}
	if frag == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	if anchors[dest] == nil {
		b, err := os.ReadFile(dest)
		if err != nil {
			return err.Error()
		}
		anchors[dest] = headings(string(b))
	}
	if !anchors[dest][frag] {
		return "no heading #" + frag + " in " + filepath.Base(dest)
	}
	return ""
}

// headings returns the anchors GitHub gives a file's headings: lower
// case, letters, digits, '-' and '_' kept, spaces to '-', the rest
// dropped; a repeated one gets -1, -2, ….
func headings(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
		}
		if fence || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteByte('-')
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out[a+"-"+strconv.Itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}
