package spectest

// Readers of the specification's pages (docs/*.md) for the tests that hold the product to
// them: sections, Markdown tables, backticked names and the key shapes the pages give
// JSON objects. The tests parse the pages; they never copy a page's table.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ReadDoc returns docs/NAME of the repository at root (or, with a slash in name, that
// path from root).
func ReadDoc(root, name string) (string, error) {
	p := filepath.Join(root, "docs", name)
	if strings.Contains(name, "/") {
		p = filepath.Join(root, name)
	}
	b, err := os.ReadFile(p)
	return string(b), err
}

var headingRE = regexp.MustCompile(`^(#+) `)

// Section returns the part of doc that start opens: a heading line (`## Title`), whose
// section runs to the next heading of its level or above, or an anchor id (`#out-review`),
// whose section runs to the next heading of any level (or, for the anchor of a heading, is
// that heading's section). It is an error when start is
// not in doc, so a renamed heading is noticed.
func Section(doc, start string) (string, error) {
	lines := strings.Split(doc, "\n")
	from, level := -1, 0
	for i, l := range lines {
		if strings.HasPrefix(start, "#") && !strings.HasPrefix(start, "# ") && !strings.HasPrefix(start, "##") {
			if strings.Contains(l, `<a id="`+start[1:]+`"></a>`) {
				from, level = i, 7
				if i+1 < len(lines) {
					if m := headingRE.FindStringSubmatch(lines[i+1]); m != nil {
						from, level = i+1, len(m[1]) // the anchor of a heading
					}
				}
				break
			}
		} else if l == start {
			from, level = i, len(headingRE.FindStringSubmatch(l)[1])
			break
		}
	}
	if from < 0 {
		return "", fmt.Errorf("docs: no section %q", start)
	}
	end := len(lines)
	for i := from + 1; i < len(lines); i++ {
		if m := headingRE.FindStringSubmatch(lines[i]); m != nil && len(m[1]) <= level {
			end = i
			break
		}
	}
	return strings.Join(lines[from:end], "\n"), nil
}

// Tables returns the Markdown tables of text, each as its rows of cells (header row
// first, the separator row left out).
func Tables(text string) [][][]string {
	var tables [][][]string
	var cur [][]string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "|") {
			if cur != nil {
				tables, cur = append(tables, cur), nil
			}
			continue
		}
		cells := splitRow(l)
		if len(cells) > 0 && strings.Trim(cells[0], "-: ") == "" {
			continue
		}
		cur = append(cur, cells)
	}
	if cur != nil {
		tables = append(tables, cur)
	}
	return tables
}

// splitRow splits a table row on the | outside backticks (`a\|b` stays one cell).
func splitRow(l string) []string {
	var cells []string
	var b strings.Builder
	tick := false
	l = strings.TrimSpace(l)
	for i := 1; i < len(l); i++ {
		c := l[i]
		switch {
		case c == '\\' && i+1 < len(l) && l[i+1] == '|':
			b.WriteByte('|')
			i++
		case c == '`':
			tick = !tick
			b.WriteByte(c)
		case c == '|' && !tick:
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return cells
}

var tickRE = regexp.MustCompile("`([^`]*)`")

// Ticks returns the backticked spans of s, in order.
func Ticks(s string) []string {
	var out []string
	for _, m := range tickRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Names returns the identifiers a cell lists: backticked spans each holding one name or
// a comma-separated list of them (`a`, `b` or `a, b`).
func Names(cell string) []string {
	var out []string
	for _, s := range Ticks(cell) {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); nameRE.MatchString(n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// Shape is the key structure a page gives a JSON object: `{a, b{c, d}, e}`, with `[...]`
// around an array of such objects; a nil Shape is a leaf.
type Shape map[string]Shape

// ParseShape parses a backticked shape such as `[{index, line, priority}]`,
// `{"attribute", "value"}` or `rule_id, mined{support,tp,fp}, role{n,tp}`. Quotes and
// brackets are dropped; ok is false when s is not a shape.
func ParseShape(s string) (Shape, bool) {
	s = strings.NewReplacer(`"`, "", "[", "", "]", "", "\n", " ").Replace(s)
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	sh, rest, ok := parseShapeList(s)
	return sh, ok && strings.TrimSpace(rest) == "" && len(sh) > 0
}

func parseShapeList(s string) (Shape, string, bool) {
	sh := Shape{}
	for {
		s = strings.TrimLeft(s, " ")
		i := strings.IndexAny(s, ",{}")
		if i < 0 {
			i = len(s)
		}
		name := strings.TrimSpace(s[:i])
		if !nameRE.MatchString(name) {
			return nil, s, false
		}
		sh[name], s = nil, s[i:]
		if strings.HasPrefix(s, "{") {
			sub, rest, ok := parseShapeList(s[1:])
			if !ok || !strings.HasPrefix(rest, "}") {
				return nil, s, false
			}
			sh[name], s = sub, rest[1:]
		}
		if !strings.HasPrefix(s, ",") {
			return sh, s, true
		}
		s = s[1:]
	}
}

// FirstShape returns the first backticked span of text that is an object shape
// (`{...}` or `[{...}]`).
func FirstShape(text string) Shape {
	for _, s := range Ticks(text) {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[{") {
			if sh, ok := ParseShape(s); ok {
				return sh
			}
		}
	}
	return nil
}
