package spectest

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// mdRefRE finds a reference to a Markdown file with an anchor, written as a link target
// (`](docs/x.md#a)`) or as plain text in a comment or script (`BENCHMARKS.md#a`).
var mdRefRE = regexp.MustCompile(`([A-Za-z0-9_.][A-Za-z0-9_./-]*\.md)#([A-Za-z0-9_-]+)`)

// mdLinkRE finds a Markdown link to a Markdown file, with or without an anchor.
var mdLinkRE = regexp.MustCompile(`\]\(([A-Za-z0-9_.][A-Za-z0-9_./-]*\.md)(?:#([A-Za-z0-9_-]+))?\)`)

// refUseRE and refDefRE find a reference-style link's use (`[text][label]`) and its
// definition (`[label]: target`); codeSpanRE finds inline code, where neither counts.
var (
	refUseRE   = regexp.MustCompile(`\]\[([A-Za-z0-9_-]+)\]`)
	refDefRE   = regexp.MustCompile(`^\[([A-Za-z0-9_-]+)\]: `)
	codeSpanRE = regexp.MustCompile("`[^`]*`")
)

// htmlAnchorRE finds explicit anchors (`<a id="x"></a>`, `<a name="x">`).
var htmlAnchorRE = regexp.MustCompile(`<a (?:id|name)="([^"]+)"`)

// TestMarkdownAnchorsResolve checks that every `FILE.md#anchor` reference in the
// repository's Markdown, Go, shell and Makefile sources names a Markdown file of the
// repository and a heading (by GitHub's anchor rules) or an explicit anchor of it, and
// that every Markdown link to a .md file, anchored or not, finds the file relative to
// the linking file's folder.
func TestMarkdownAnchorsResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	anchors := map[string]map[string]bool{} // cleaned path -> anchors
	refs, err := collectAnchorRefs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) < 50 {
		t.Fatalf("found only %d anchored references: the scan is broken", len(refs))
	}
	for _, r := range refs {
		target, ok := resolveMarkdown(root, r.from, r.file, r.link)
		if !ok {
			t.Errorf("%s:%d: %s: no such file in the repository (a link is relative to its file's folder)", r.from, r.line, r.file)
			continue
		}
		if r.anchor == "" {
			continue
		}
		if anchors[target] == nil {
			a, err := markdownAnchors(target)
			if err != nil {
				t.Fatal(err)
			}
			anchors[target] = a
		}
		if !anchors[target][r.anchor] {
			t.Errorf("%s:%d: %s#%s: no heading or anchor %q in %s", r.from, r.line, r.file, r.anchor, r.anchor, target)
		}
	}
}

// TestMarkdownAnchorsDetectsBrokenAnchor makes sure the check above can fail: an anchor
// that is no heading, and a heading whose punctuation GitHub drops, are told apart.
func TestMarkdownAnchorsDetectsBrokenAnchor(t *testing.T) {
	dir := t.TempDir()
	doc := "# Title\n\n## Eighth session: final measurements (2026-11-29, 12:55 UTC)\n\n" +
		"```\n## not a heading\n```\n\n## Twice\n\n## Twice\n\n<a id=\"rule-x\"></a>\n"
	if err := os.WriteFile(filepath.Join(dir, "B.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := markdownAnchors(filepath.Join(dir, "B.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"title", "eighth-session-final-measurements-2026-11-29-1255-utc", "twice", "twice-1", "rule-x"} {
		if !a[want] {
			t.Errorf("anchor %q not found; have %v", want, a)
		}
	}
	for _, bad := range []string{"eighth-session-final-measurements-2026-11-29-12:55-utc", "not-a-heading", "twice-2", "missing"} {
		if a[bad] {
			t.Errorf("anchor %q should not resolve", bad)
		}
	}
}

// anchorRef is one reference: the file it is in, the .md file it names, the anchor
// (empty for a link without one), and whether it is a Markdown link target.
// TestMarkdownReferenceLinksDefined checks that every reference-style link of the
// repository's Markdown files has its definition in the same file: GitHub shows a link
// without one as plain text, so the anchor test above would never see it.
func TestMarkdownReferenceLinksDefined(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(d.Name(), ".md") || strings.Contains(path, "testdata") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, u := range undefinedReferences(string(b)) {
			t.Errorf("%s: link [%s] has no definition ([%s]: TARGET) in the file", path, u, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if u := undefinedReferences("[a][x] and [b][y] and `m[i][j]`\n\n[x]: t.md\n"); len(u) != 1 || u[0] != "y" {
		t.Errorf("undefinedReferences found %v, want [y]", u)
	}
}

// undefinedReferences lists the labels a Markdown text uses as `[text][label]` outside
// code but never defines.
func undefinedReferences(doc string) []string {
	defined := map[string]bool{}
	var used []string
	fence := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if m := refDefRE.FindStringSubmatch(line); m != nil {
			defined[strings.ToLower(m[1])] = true
		}
		for _, m := range refUseRE.FindAllStringSubmatch(codeSpanRE.ReplaceAllString(line, ""), -1) {
			used = append(used, m[1])
		}
	}
	var missing []string
	for _, u := range used {
		if !defined[strings.ToLower(u)] {
			missing = append(missing, u)
		}
	}
	return missing
}

type anchorRef struct {
	from, file, anchor string
	line               int
	link               bool
}

// collectAnchorRefs lists the anchored Markdown references of the sources under root.
func collectAnchorRefs(root string) ([]anchorRef, error) {
	var refs []anchorRef
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "node_modules", "bench-data", "demo", "testdata":
				if path != root {
					return filepath.SkipDir
				}
			}
			return nil
		}
		name := d.Name()
		if !(strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".go") ||
			strings.HasSuffix(name, ".sh") || name == "Makefile") || name == "links_test.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range mdRefRE.FindAllStringSubmatchIndex(line, -1) {
				// A link target in a Markdown file is relative to it; Go and shell
				// sources that write Markdown (BENCHMARKS.md's generated section)
				// write paths from the repository root.
				link := strings.HasSuffix(name, ".md") && m[0] >= 2 && line[m[0]-2:m[0]] == "]("
				refs = append(refs, anchorRef{from: path, file: line[m[2]:m[3]], anchor: line[m[4]:m[5]], line: i + 1, link: link})
			}
			if strings.HasSuffix(name, ".md") {
				for _, m := range mdLinkRE.FindAllStringSubmatch(line, -1) {
					if m[2] == "" { // anchored links are listed above
						refs = append(refs, anchorRef{from: path, file: m[1], line: i + 1, link: true})
					}
				}
			}
		}
		return nil
	})
	return refs, err
}

// resolveMarkdown finds the file a reference names: relative to the referring file's
// folder (as Markdown links are), else, for plain text, relative to the repository root
// (as comments and scripts write them).
func resolveMarkdown(root, from, file string, link bool) (string, bool) {
	try := []string{filepath.Join(filepath.Dir(from), file)}
	if !link {
		try = append(try, filepath.Join(root, file))
	}
	for _, p := range try {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return filepath.Clean(p), true
		}
	}
	return "", false
}

// markdownAnchors returns the anchors GitHub gives a Markdown file: one per heading
// outside code fences (duplicates numbered -1, -2, ...) and each explicit <a id>.
func markdownAnchors(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	anchors := map[string]bool{}
	seen := map[string]int{}
	fence := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		for _, m := range htmlAnchorRE.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		if fence || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimLeft(line, "#")
		if len(line)-len(text) > 6 || !strings.HasPrefix(text, " ") {
			continue
		}
		s := githubSlug(text)
		if n := seen[s]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
	}
	return anchors, sc.Err()
}

// githubSlug is GitHub's anchor for a heading's text: lower case, punctuation dropped
// (letters, digits, '-' and '_' kept), each space a hyphen.
func githubSlug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
