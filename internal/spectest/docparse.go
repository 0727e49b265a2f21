package spectest

// Readers of the specification's pages (docs/*.md) for the tests that hold the product to
// them: sections, Markdown tables, backticked names and the key shapes the pages give
// JSON objects. The tests parse the pages; they never copy a page's table.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// InputFile is what the pages say of one input file's columns.
type InputFile struct {
	// Columns are the columns read, Required those that must exist.
	Columns, Required []string
	// Others: every other column is read (an attribute of identities); otherwise the
	// other columns are ignored, of which Ignored are examples.
	Others  bool
	Ignored []string
	// AccountColumns are the further columns of assignments that name accounts, and
	// AccountRequired the columns required when it has them.
	AccountColumns, AccountRequired []string
}

// Inputs reads docs/inputs.md's table of files and columns and the input parts of
// docs/effective-privilege.md and docs/excess-privilege.md: each file's columns, and
// the names the attributes file may not use (reserved).
func Inputs(root string) (files map[string]*InputFile, reserved []string, err error) {
	var docs [3]string
	for i, n := range []string{"inputs.md", "effective-privilege.md", "excess-privilege.md"} {
		if docs[i], err = ReadDoc(root, n); err != nil {
			return nil, nil, err
		}
	}
	files = map[string]*InputFile{}
	sec, err := Section(docs[0], "## Files and columns")
	if err != nil {
		return nil, nil, err
	}
	tables := Tables(sec)
	if len(tables) == 0 || len(tables[0][0]) != 3 || tables[0][0][1] != "columns read" {
		return nil, nil, fmt.Errorf("docs/inputs.md: no table of files and columns read")
	}
	for _, r := range tables[0][1:] {
		f := &InputFile{Others: strings.HasPrefix(r[2], "every other column")}
		f.Columns, f.Required = ColumnList(r[1])
		if !f.Others {
			f.Ignored = Names(r[2])
		}
		files[Ticks(r[0])[0]] = f
	}
	if reserved, err = universeInputs(docs[1], files); err != nil {
		return nil, nil, err
	}
	for _, m := range boldRE.FindAllStringSubmatch(docs[2], -1) {
		if file, col, ok := strings.Cut(m[1], "."); ok && files[file] != nil && strings.HasPrefix(m[2], "(optional column)") &&
			!slices.Contains(files[file].Columns, col) {
			files[file].Columns = append(files[file].Columns, col)
		}
	}
	return files, reserved, nil
}

var boldRE = regexp.MustCompile("(?m)^\\*\\*`([a-z_.]+)`\\*\\*:? ([^\\n]*(?:\\n[^\\n]+)*)")

// universeInputs reads effective-privilege.md's "Inputs": a paragraph per file
// (**`accounts`**: its columns.), the account columns assignments may carry, the
// reserved identities columns (**`identities.owner_id`** (reserved ...)), and the names
// the sentence "... cannot be attributes" of the attributes paragraph gives.
func universeInputs(doc string, files map[string]*InputFile) (reserved []string, err error) {
	sec, err := Section(doc, "## Inputs")
	if err != nil {
		return nil, err
	}
	for _, m := range boldRE.FindAllStringSubmatch(sec, -1) {
		name, text := m[1], strings.Join(strings.Fields(m[2]), " ")
		first, _, _ := strings.Cut(text, ". ")
		switch {
		case strings.HasPrefix(text, "may carry "):
			files[name].AccountColumns, _ = ColumnList(strings.SplitN(first, " (", 2)[0])
			_, after, _ := strings.Cut(first, "then only ")
			files[name].AccountRequired = Names(strings.SplitN(after, " is required", 2)[0])
		case strings.Contains(name, "."):
			file, col, _ := strings.Cut(name, ".")
			if files[file] != nil && strings.HasPrefix(text, "(reserved") {
				files[file].Columns = append(files[file].Columns, col)
			}
		case strings.HasPrefix(name, "identities"):
		default:
			f := &InputFile{}
			f.Columns, f.Required = ColumnList(first)
			files[name] = f
			for _, s := range strings.Split(text, ". ") {
				if i := strings.Index(s, "cannot be attributes"); i >= 0 {
					head := s[:i]
					if j := strings.LastIndex(head, "; "); j >= 0 {
						head = head[j+2:]
					}
					reserved = Names(head)
				}
			}
		}
	}
	if len(reserved) == 0 || files["accounts"] == nil {
		return nil, fmt.Errorf("docs/effective-privilege.md: no accounts paragraph or reserved attribute names")
	}
	return reserved, nil
}

var requiredRE = regexp.MustCompile(`^\s*\((?:both |all )?required`)

// ColumnList reads a list of columns written as prose: every backticked name, and as
// required those followed by "(required" (or a group of them, joined by ", " or " and ",
// followed by "(both required" or "(all required").
func ColumnList(text string) (cols, required []string) {
	locs := tickRE.FindAllStringSubmatchIndex(text, -1)
	var group []string
	for i, l := range locs {
		name := text[l[2]:l[3]]
		if !nameRE.MatchString(name) {
			group = nil
			continue
		}
		cols = append(cols, name)
		group = append(group, name)
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		switch gap := text[l[1]:end]; {
		case requiredRE.MatchString(gap):
			required, group = append(required, group...), nil
		case gap != ", " && gap != " and " && gap != ", and ":
			group = nil
		}
	}
	return cols, required
}
