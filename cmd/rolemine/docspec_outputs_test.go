package main

// TestOutputsMatchDocs holds what the product writes to docs/outputs.md (and the output
// parts of docs/effective-privilege.md and docs/excess-privilege.md): files, JSON fields,
// Parquet columns (name, type, nullability, order) and CSV headers, both ways: a written
// one the pages do not name fails, and so does a documented one never written.

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// specOut are the outputs of one set of small runs, shared by the docspec tests.
type specOut struct {
	root                                string
	flatData, uniData, useData, flatUse string
	nextData                            string
	flat, uni, use, used, next          string
	drift, disc, merge, shard           string
}

// mineRuns names the three mine runs and what their data has.
func (s *specOut) mineRuns() []specRun {
	return []specRun{{"flat", s.flat, "always"}, {"universe", s.uni, "universe"},
		{"universe usage", s.use, "usage"}, {"flat usage", s.used, "usage"}, {"evolved usage", s.next, "usage"}}
}

type specRun struct{ name, dir, level string }

// has reports whether a run's data has what a doc's "written" column asks.
func (r specRun) has(written string) bool {
	switch written {
	case "always":
		return true
	case "universe":
		return r.level != "always"
	case "usage":
		return r.level == "usage"
	}
	return false
}

var specOnce struct {
	sync.Mutex
	out *specOut
}

const usedOnlyConfig = `<ConfigurationFile xmlns="urn:schemas-usercube-com:configuration">
  <MiningRule Priority="0" UsedOnly="true" PrecisionMinPercentage="95" FalsePositiveMaxPercentage="5" MaxDimensions="2" />
</ConfigurationFile>
`

// specOutputs generates 2,000 identities flat, as a universe, as a universe with usage
// and flat with usage, and mines each (the flat one with the example configuration, those
// with usage with a UsedOnly mining rule); it evolves the flat data with usage, drifts
// its model to the next snapshot and mines that with --previous; it discovers roles in
// the flat data and merges two shards of it, mined with a plugin. About 6 s of CPU.
func specOutputs(t *testing.T) *specOut {
	t.Helper()
	specOnce.Lock()
	defer specOnce.Unlock()
	if specOnce.out != nil {
		return specOnce.out
	}
	root, err := os.MkdirTemp("", "rolemine-docspec")
	if err != nil {
		t.Fatal(err)
	}
	p := func(n string) string { return filepath.Join(root, n) }
	s := &specOut{root: root, flatData: p("flat"), uniData: p("uni"), useData: p("use"), flatUse: p("flat-use"),
		flat: p("flat-out"), uni: p("uni-out"), use: p("use-out"), used: p("flat-use-out"), next: p("next-out"),
		drift: p("drift-out"), disc: p("disc-out"), merge: p("merged"), nextData: p("next"), shard: p("s0")}
	usedOnly := p("usedonly.xml")
	if err := os.WriteFile(p("usedonly.xml"), []byte(usedOnlyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	gen := []string{"gen", "--identities", "2000", "--seed", "1"}
	mustBin(t, append(gen, "--nhi-unlabelled", "5", "--division-roles", "--out", s.flatData)...)
	mustBin(t, append(gen, "--universe", "--out", s.uniData)...)
	mustBin(t, append(gen, "--universe", "--usage", "--out", s.useData)...)
	mustBin(t, append(gen, "--usage", "--out", s.flatUse)...)
	mustBin(t, "gen", "--evolve", s.flatUse, "--out", p("next"))
	mustBin(t, "mine", "--data", s.flatData, "--config", filepath.Join("..", "..", "examples", "mining.xml"), "--out", s.flat)
	mustBin(t, "mine", "--data", s.uniData, "--out", s.uni)
	mustBin(t, "mine", "--data", s.useData, "--config", usedOnly, "--out", s.use)
	mustBin(t, "mine", "--data", s.flatUse, "--config", usedOnly, "--out", s.used)
	mustBin(t, "mine", "--data", p("next"), "--config", usedOnly, "--previous", s.used, "--out", s.next)
	mustBin(t, "drift", "--model", s.used, "--data", p("next"), "--previous-data", s.flatUse, "--out", s.drift)
	mustBin(t, "discover", "--data", s.flatData, "--min-members", "10", "--coverage", "80", "--out", s.disc)
	// The shards run a plugin with a configuration, so that the merge's summary.json
	// writes a plugin's whole record.
	wasm, err := filepath.Abs(filepath.Join("..", "..", "internal", "plugins", "testdata", "assemblyscript", "titlefamily.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("tf.json"), []byte(`{"input": "title"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	plugin := wasm + "=" + p("tf.json")
	mustBin(t, "mine", "--data", s.flatData, "--plugin", plugin, "--shard", "0/2", "--out", p("s0"))
	mustBin(t, "mine", "--data", s.flatData, "--plugin", plugin, "--shard", "1/2", "--out", p("s1"))
	mustBin(t, "merge", "--out", s.merge, p("s0"), p("s1"))
	specOnce.out = s
	return s
}

func TestOutputsMatchDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and mines 2,000 identities three ways")
	}
	s := specOutputs(t)
	outputs := readDoc(t, "outputs.md")
	t.Run("files", func(t *testing.T) { checkOutputFiles(t, s, outputs) })
	t.Run("json", func(t *testing.T) { checkJSONDocs(t, s, outputs) })
	t.Run("summary", func(t *testing.T) { checkMineSummary(t, s, outputs) })
	t.Run("parquet", func(t *testing.T) { checkParquetDocs(t, s, outputs) })
	t.Run("csv", func(t *testing.T) { checkCSVDocs(t, s, outputs) })
	t.Run("rules.xml", func(t *testing.T) { checkRulesXML(t, s, outputs) })
	t.Run("gen", func(t *testing.T) { checkGenerated(t, s, outputs) })
}

// written lists the output files of dir (the set's links; dot files left out).
func written(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// checkOutputFiles holds the files of mine, mine --shard, drift and discover to their pages:
// each run writes every unconditional file, conditional ones only where its data has
// what they need, and nothing the page does not name.
func checkOutputFiles(t *testing.T, s *specOut, outputs string) {
	mineDoc := fileTable(t, docSection(t, outputs, "## `rolemine mine`"))
	seen := map[string]bool{}
	for _, r := range s.mineRuns() {
		got := written(t, r.dir)
		for _, f := range got {
			seen[f] = true
			if _, ok := mineDoc[f]; !ok {
				t.Errorf("mine (%s data) writes %s, which docs/outputs.md does not list", r.name, f)
			}
		}
		for f, cond := range mineDoc {
			if !cond && !slices.Contains(got, f) {
				t.Errorf("mine (%s data) does not write %s, which docs/outputs.md lists for every run", r.name, f)
			}
		}
	}
	for _, f := range keysOf(mineDoc) {
		if !seen[f] {
			t.Errorf("docs/outputs.md lists %s for mine, which no run wrote", f)
		}
	}
	if f := written(t, s.flat); slices.Contains(f, "excess.csv") || slices.Contains(f, "ownership.csv") {
		t.Errorf("mine on flat data writes %v: excess.csv and ownership.csv are only for universe data", f)
	}
	var shardDoc []string
	for _, l := range strings.Split(docSection(t, readDoc(t, "scale-out.md"), "#shard-mine"), "\n") {
		if strings.HasPrefix(l, "- `") && strings.HasSuffix(ticks(l)[0], ".json") {
			shardDoc = append(shardDoc, ticks(l)[0]) // "A shard commits two files": one item each
		}
	}
	if slices.Sort(shardDoc); !slices.Equal(written(t, s.shard), shardDoc) {
		t.Errorf("mine --shard writes %v, docs/scale-out.md lists %v", written(t, s.shard), shardDoc)
	}
	driftDoc := fileTable(t, docSection(t, outputs, "## `rolemine drift`"))
	if got, want := written(t, s.drift), keysOf(driftDoc); !slices.Equal(got, want) {
		t.Errorf("drift writes %v, docs/outputs.md lists %v", got, want)
	}
	var discDoc []string
	for _, l := range strings.Split(docSection(t, outputs, "## `rolemine discover`"), "\n") {
		if n := ticks(l); strings.HasPrefix(l, "`") && strings.HasSuffix(n[0], ".json") && !slices.Contains(discDoc, n[0]) {
			discDoc = append(discDoc, n[0]) // a paragraph or line opening with a file name
		}
	}
	if got := written(t, s.disc); !slices.Equal(got, discDoc) {
		t.Errorf("discover writes %v, docs/outputs.md names %v", got, discDoc)
	}
}

// fileTable reads a `| file | content |` table: each file and whether its content says
// it is written "only" under some condition.
func fileTable(t *testing.T, section string) map[string]bool {
	t.Helper()
	tables := docTables(section)
	if len(tables) == 0 || tables[0][0][0] != "file" {
		t.Fatalf("docs: no file table in %q", firstLine(section))
	}
	files := map[string]bool{}
	for _, r := range tables[0][1:] {
		files[strings.Trim(r[0], "`")] = strings.HasPrefix(r[1], "only ")
	}
	return files
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// readJSON decodes dir/name into a generic value.
func readJSON(t *testing.T, dir, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// objects returns v as objects: v itself, or the objects of an array.
func objects(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// observe fails for every key of v (at path) that doc does not name, and records the
// keys it saw, down through the documented sub-shapes.
func observe(t *testing.T, path string, doc shape, v any, seen map[string]bool) {
	t.Helper()
	for _, o := range objects(v) {
		for k, val := range o {
			p := path + "." + k
			sub, ok := doc[k]
			if !ok {
				if !seen["!"+p] {
					t.Errorf("%s is written, not documented", p)
				}
				seen["!"+p] = true // said once
				continue
			}
			seen[p] = true
			if sub != nil {
				observe(t, p, sub, val, seen)
			}
		}
	}
}

// unseen fails for every key of doc (at path) that no run wrote, but those optional names.
func unseen(t *testing.T, path string, doc shape, seen map[string]bool, optional []string) {
	t.Helper()
	for _, k := range keysOf(doc) {
		p := path + "." + k
		if !seen[p] && !slices.Contains(optional, k) {
			t.Errorf("%s is documented, never written", p)
		}
		if doc[k] != nil {
			unseen(t, p, doc[k], seen, optional)
		}
	}
}

var onlyAfterRE = regexp.MustCompile("`([a-z_]+)`[^`.;]{0,40}(?:`[^`]*`[^`.;]{0,20})?\\bonly\\b")

// optionalNames are the names text says are written only under some condition
// ("`flag`, written only when ...", "`used_only` (`true`) is written only on ...").
func optionalNames(text string) []string {
	var out []string
	for _, m := range onlyAfterRE.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// topShape reads an object's top-level shape from a span such as
// `{"format": "rolemine.rules/v1", "rules": [...]}` or `{"format": "x", ...}`.
func topShape(t *testing.T, span string) shape {
	t.Helper()
	clean := regexp.MustCompile(`:\s*"[^"]*"|:\s*\[\.\.\.\]|,\s*\.\.\.`).ReplaceAllString(span, "")
	sh, ok := parseShape(clean)
	if !ok {
		t.Fatalf("docs: %q is not an object shape", span)
	}
	return sh
}

// jsonDoc is one JSON file's documented shape: its top level from the section's first
// span, the array or object field table describes (item), and its optional names.
type jsonDoc struct {
	file, section, item string
}

// checkJSONDocs holds rules.json, roles.json, churn.json, rules-health.json, drift's
// summary.json and discovered.json to their field tables.
func checkJSONDocs(t *testing.T, s *specOut, outputs string) {
	var mineDirs []string
	for _, r := range s.mineRuns() {
		mineDirs = append(mineDirs, r.dir)
	}
	for _, d := range []struct {
		jsonDoc
		dirs []string
	}{
		{jsonDoc{"rules.json", "#out-rules-json", "rules"}, mineDirs},
		{jsonDoc{"roles.json", "#out-roles-json", "roles"}, mineDirs},
		{jsonDoc{"churn.json", "#out-churn", ""}, mineDirs},
		{jsonDoc{"summary.json", "#out-drift-summary", ""}, []string{s.drift}},
		{jsonDoc{"discovered.json", "#out-discovered", ""}, []string{s.disc}},
	} {
		sec := docSection(t, outputs, d.section)
		tables := docTables(sec)
		if len(tables) == 0 {
			t.Fatalf("docs: no field table under %s", d.section)
		}
		fields := fieldTable(t, tables[0])
		doc := shape{"format": nil}
		if d.item != "" {
			i := slices.IndexFunc(ticks(sec), func(s string) bool { return strings.HasPrefix(s, "{") })
			if i < 0 {
				t.Fatalf("docs: no top-level shape under %s", d.section)
			}
			doc = topShape(t, ticks(sec)[i])
		}
		table := shape{}
		for k, f := range fields {
			table[k] = f.shape
		}
		if d.item != "" {
			doc[d.item] = table
		} else {
			for k, v := range table {
				doc[k] = v
			}
		}
		optional := optionalNames(sec)
		for k, f := range fields {
			if f.conditional {
				optional = append(optional, k)
			}
		}
		seen := map[string]bool{}
		for _, dir := range d.dirs {
			observe(t, d.file, doc, readJSON(t, dir, d.file), seen)
		}
		unseen(t, d.file, doc, seen, optional)
	}
	checkRulesHealth(t, s, outputs)
}

// checkRulesHealth holds drift's rules-health.json to its cell of the drift table.
func checkRulesHealth(t *testing.T, s *specOut, outputs string) {
	var cell string
	for _, r := range docTables(docSection(t, outputs, "## `rolemine drift`"))[0] {
		if r[0] == "`rules-health.json`" {
			cell = r[1]
		}
	}
	spans := ticks(cell)
	if len(spans) < 2 || !strings.Contains(cell, "per rule `") {
		t.Fatalf("docs: rules-health.json's cell has no top level and per-rule shape: %q", cell)
	}
	doc := topShape(t, spans[0])
	rule, ok := parseShape(ticks(cell[strings.Index(cell, "per rule `"):])[0])
	if !ok {
		t.Fatalf("docs: rules-health.json's per-rule fields do not parse")
	}
	doc["rules"] = rule
	seen := map[string]bool{}
	observe(t, "rules-health.json", doc, readJSON(t, s.drift, "rules-health.json"), seen)
	unseen(t, "rules-health.json", doc, seen, nil)
}

var bulletKeysRE = regexp.MustCompile("^`([a-z_]+)`(?:(?:, | and )`([a-z_]+)`)?")

// summaryDoc reads mine's summary.json from #out-summary: the names of its opening
// paragraph (parenthesized text left out) and one bullet per field, with the shape the
// bullet gives and whether it says the field is written only under some condition.
func summaryDoc(t *testing.T, outputs string) (doc shape, conditional []string, optional []string) {
	t.Helper()
	sec := docSection(t, outputs, "#out-summary")
	body := sec[strings.Index(sec, "\n\n")+2:]
	intro, bullets, _ := strings.Cut(body, "\n- ")
	doc = shape{}
	for _, n := range names(stripParens(intro)) {
		doc[n] = nil
	}
	for _, b := range strings.Split(bullets, "\n- ") {
		b = strings.Join(strings.Fields(b), " ")
		m := bulletKeysRE.FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("docs: summary.json bullet names no field: %q", b)
		}
		rest := b[len(m[0]):]
		for _, k := range m[1:] {
			if k == "" {
				continue
			}
			doc[k] = firstShape(rest)
			if strings.HasPrefix(rest, ", only ") {
				conditional = append(conditional, k)
			}
		}
		optional = append(optional, optionalNames(b)...)
	}
	return doc, conditional, optional
}

// stripParens removes parenthesized text (nested too).
func stripParens(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkMineSummary holds mine's (and merge's) summary.json to #out-summary, and the
// universe-only objects' keys to the pages that describe them.
func checkMineSummary(t *testing.T, s *specOut, outputs string) {
	doc, conditional, optional := summaryDoc(t, outputs)
	seen := map[string]bool{}
	for _, dir := range []string{s.flat, s.uni, s.use, s.used, s.next, s.merge} {
		v := readJSON(t, dir, "summary.json")
		observe(t, "summary.json", doc, v, seen)
		for _, k := range keysOf(doc) {
			if _, ok := v.(map[string]any)[k]; !ok && !slices.Contains(conditional, k) {
				t.Errorf("%s/summary.json lacks %s, which docs/outputs.md does not say is conditional", filepath.Base(dir), k)
			}
		}
	}
	unseen(t, "summary.json", doc, seen, optional)
	flat := readJSON(t, s.flat, "summary.json").(map[string]any)
	for _, k := range conditional {
		if _, ok := flat[k]; ok {
			t.Errorf("flat data's summary.json has %s, documented as conditional", k)
		}
	}
	eff := bullet(t, docSection(t, readDoc(t, "effective-privilege.md"), "## Outputs"), "- `summary.json` adds `effective`")
	exc := readDoc(t, "excess-privilege.md")
	usage := bullet(t, docSection(t, exc, "## Usage"), "- `summary.json` `usage`")
	owners := bullet(t, docSection(t, exc, "## Ownership of non-human identities"), "- `summary.json` `nhi_ownership`")
	use := readJSON(t, s.use, "summary.json").(map[string]any)
	checkNamed(t, "summary.json effective", eff, use["effective"], "direct", "findings")
	for sys, v := range use["systems"].(map[string]any) {
		checkNamed(t, "summary.json systems."+sys, eff, v)
	}
	checkNamed(t, "summary.json usage", usage, use["usage"])
	checkNamed(t, "summary.json nhi_ownership", owners, use["nhi_ownership"])
}

// bullet returns the list item of section that starts with prefix, to the next item.
func bullet(t *testing.T, section, prefix string) string {
	t.Helper()
	i := strings.Index(section, "\n"+prefix)
	if i < 0 {
		t.Fatalf("docs: no item %q", prefix)
	}
	b, _, _ := strings.Cut(section[i+1:], "\n- ")
	return b
}

// checkNamed fails for each key of the object v (and of its objects under sub) that text
// does not name in backticks.
func checkNamed(t *testing.T, what, text string, v any, sub ...string) {
	t.Helper()
	named := map[string]bool{}
	for _, n := range names(text) {
		named[n] = true
	}
	o, _ := v.(map[string]any)
	if len(o) == 0 {
		t.Errorf("%s: not written", what)
	}
	for k := range o {
		if !named[k] {
			t.Errorf("%s.%s is written, not documented", what, k)
		}
	}
	for _, k := range sub {
		checkNamed(t, what+"."+k, text, o[k])
	}
}

// checkParquetDocs holds each Parquet output's schema to its column table: names in
// order, types, required or optional, and which data writes each column.
func checkParquetDocs(t *testing.T, s *specOut, outputs string) {
	for _, f := range []struct{ file, section string }{
		{"rules.parquet", "#out-rules-parquet"},
		{"assignments.parquet", "#out-assignments"},
		{"suggestions.parquet", "#out-suggestions-parquet"},
	} {
		tables := docTables(docSection(t, outputs, f.section))
		if len(tables) == 0 || !slices.Equal(tables[0][0], []string{"column", "type", "null", "written"}) {
			t.Fatalf("docs: no column table under %s", f.section)
		}
		for _, r := range s.mineRuns() {
			var want []string
			for _, row := range tables[0][1:] {
				if r.has(row[3]) {
					want = append(want, columnLine(strings.Trim(row[0], "`"), row[1], row[2] != "never" && !strings.HasPrefix(row[2], "never ")))
				}
			}
			if got := parquetColumns(t, filepath.Join(r.dir, f.file)); !slices.Equal(got, want) {
				t.Errorf("%s (%s data):\n written    %q\n documented %q", f.file, r.name, got, want)
			}
		}
	}
}

func columnLine(name, typ string, optional bool) string {
	null := "required"
	if optional {
		null = "optional"
	}
	return fmt.Sprintf("%s %s %s", name, typ, null)
}

// parquetColumns renders a file's top-level columns as "name type required|optional", in
// the vocabulary of docs/outputs.md's column tables.
func parquetColumns(t *testing.T, path string) []string {
	t.Helper()
	pf := openParquetFile(t, path)
	var out []string
	for _, f := range pf.Schema().Fields() {
		out = append(out, columnLine(f.Name(), parquetType(f), f.Optional()))
	}
	return out
}

func parquetType(n parquet.Node) string {
	logical := ""
	if lt := n.Type().LogicalType(); lt != nil {
		logical = lt.String()
	}
	switch {
	case logical == "LIST":
		elem := n.Fields()[0].Fields()[0]
		var parts []string
		for _, f := range elem.Fields() {
			parts = append(parts, f.Name()+": "+parquetType(f))
		}
		return "list<{" + strings.Join(parts, ", ") + "}>"
	case n.Type().Kind() == parquet.ByteArray && logical == "STRING":
		return "string"
	case n.Type().Kind() == parquet.Boolean:
		return "boolean"
	case n.Type().Kind() == parquet.Int64 && logical == "INT(64,true)":
		return "int64"
	}
	return fmt.Sprintf("%v %s", n.Type().Kind(), logical)
}

// csvHeader returns the header row of dir/name.
func csvHeader(t *testing.T, dir, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.Split(strings.TrimSuffix(line, "\r"), ",")
}

var columnsRE = regexp.MustCompile("(?:the columns|a last column) `([^`]*)`")

// csvVariants reads the column lists a section gives each CSV file, paragraph by
// paragraph: "`X.csv` ... the columns `a, b`" is a header of X.csv, and "a last column
// `c`" in the same paragraph adds a variant with c after the previous list.
func csvVariants(section string) map[string][][]string {
	out := map[string][][]string{}
	for _, para := range strings.Split(section, "\n\n") {
		para = strings.Join(strings.Fields(para), " ")
		file := ""
		for _, n := range ticks(para) {
			if strings.HasSuffix(n, ".csv") {
				file = n
				break
			}
		}
		var last []string
		for _, m := range columnsRE.FindAllStringSubmatch(para, -1) {
			cols := strings.Split(strings.ReplaceAll(m[1], " ", ""), ",")
			if strings.HasPrefix(m[0], "a last column") {
				cols = append(slices.Clone(last), cols...)
			}
			out[file] = append(out[file], cols)
			last = cols
		}
	}
	return out
}

// listAfterColon reads a column list written as prose: the backticked names after the
// first ": " of text (parenthesized text left out) up to the sentence's end.
func listAfterColon(text string) []string {
	text = strings.Join(strings.Fields(stripParens(text)), " ")
	_, rest, _ := strings.Cut(text, ": ")
	rest, _, _ = strings.Cut(rest, ". ")
	return names(rest)
}

// checkCSVDocs holds every CSV output's header to the page that lists its columns.
func checkCSVDocs(t *testing.T, s *specOut, outputs string) {
	docs := csvVariants(docSection(t, outputs, "#out-review"))
	exc := readDoc(t, "excess-privilege.md")
	excess := docSection(t, exc, "#excess")
	excess = excess[strings.Index(excess, "`excess.csv`"):]
	docs["excess.csv"] = [][]string{listAfterColon(excess)}
	owners := docSection(t, exc, "## Ownership of non-human identities")
	owners = owners[strings.Index(owners, "- `ownership.csv`"):]
	docs["ownership.csv"] = [][]string{listAfterColon(strings.SplitN(owners, "\n- ", 2)[0])}
	drift := docTables(docSection(t, outputs, "## `rolemine drift`"))[0]
	for _, r := range drift {
		if r[0] == "`remediation.csv`" {
			docs["remediation.csv"] = [][]string{strings.Split(strings.ReplaceAll(ticks(r[1])[0], " ", ""), ",")}
		}
	}
	used := map[string]map[int]bool{}
	for _, dir := range []string{s.flat, s.uni, s.use, s.used, s.drift} {
		for _, f := range written(t, dir) {
			if !strings.HasSuffix(f, ".csv") {
				continue
			}
			got := csvHeader(t, dir, f)
			i := slices.IndexFunc(docs[f], func(w []string) bool { return slices.Equal(w, got) })
			if i < 0 {
				t.Errorf("%s/%s header %v is none the docs give: %v", filepath.Base(dir), f, got, docs[f])
				continue
			}
			if used[f] == nil {
				used[f] = map[int]bool{}
			}
			used[f][i] = true
		}
	}
	for f, vs := range docs {
		for i, v := range vs {
			if !used[f][i] {
				t.Errorf("docs give %s the header %v, which no run wrote", f, v)
			}
		}
	}
}

var nameRE = regexp.MustCompile(`^[a-z][a-z_]*$`)

var xmlElemRE = regexp.MustCompile(`<([A-Za-z]+)((?: [A-Za-z]+="[^"]*")*)`)

// checkRulesXML holds rules.xml to #out-rules-xml: its root element and namespace, the
// elements it holds and their attributes (`DK` standing for D0, D1, ...), and the Type
// values the page names.
func checkRulesXML(t *testing.T, s *specOut, outputs string) {
	sec := docSection(t, outputs, "#out-rules-xml")
	doc := map[string][]string{}
	for _, span := range ticks(sec) {
		span = strings.Join(strings.Fields(span), " ")
		for _, m := range xmlElemRE.FindAllStringSubmatch(span, -1) {
			for _, a := range regexp.MustCompile(`([A-Za-z]+)="([^"]*)"`).FindAllStringSubmatch(m[2], -1) {
				doc[m[1]] = append(doc[m[1]], a[1])
			}
		}
	}
	if !slices.Contains(doc["ConfigurationFile"], "xmlns") {
		t.Fatalf("docs: rules.xml's root element and namespace not found: %v", doc)
	}
	types := ticks(sec[strings.Index(sec, "`Type` is"):])[1:]
	said := map[string]bool{}
	for _, r := range s.mineRuns() {
		b, err := os.ReadFile(filepath.Join(r.dir, "rules.xml"))
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(strings.NewReader(string(b)))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			el, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			attrs, known := doc[el.Name.Local]
			if !known {
				t.Errorf("%s rules.xml: element %s, which the page does not name", r.name, el.Name.Local)
				continue
			}
			for _, a := range el.Attr {
				name := regexp.MustCompile(`^D[0-9]+$`).ReplaceAllString(a.Name.Local, "DK")
				if a.Name.Space == "" && !slices.Contains(attrs, name) && !said[el.Name.Local+name] {
					said[el.Name.Local+name] = true
					t.Errorf("%s rules.xml: %s has %s, which the page does not name", r.name, el.Name.Local, a.Name.Local)
				}
				if el.Name.Local == "SingleRoleRule" && name == "Type" && !slices.Contains(types, a.Value) {
					t.Errorf("%s rules.xml: Type %q is none of %v", r.name, a.Value, types)
				}
			}
		}
	}
}

// checkGenerated holds what gen writes to the page's "Generated data": every data file
// and truth file written is named there, every truth file named is written by some run
// (plain with --nhi-unlabelled and --division-roles, --universe, --usage, both,
// --evolve), and each truth CSV file has the columns the pages give it.
func checkGenerated(t *testing.T, s *specOut, outputs string) {
	sec := docSection(t, outputs, "#generated-data")
	named := map[string]bool{}
	for _, n := range ticks(sec) {
		if strings.HasPrefix(n, "truth/") && !strings.HasSuffix(n, "/") || nameRE.MatchString(n) {
			named[n] = true
		}
	}
	headers := truthHeaders(t, sec+"\n"+docSection(t, readDoc(t, "excess-privilege.md"), "## Generated usage and owners (`gen --usage`)"))
	seen := map[string]bool{}
	for _, dir := range []string{s.flatData, s.uniData, s.useData, s.flatUse, s.nextData} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			if !strings.HasPrefix(rel, "truth") {
				rel = strings.TrimSuffix(rel, filepath.Ext(rel))
			}
			rel = filepath.ToSlash(rel)
			seen[rel] = true
			if !named[rel] {
				t.Errorf("gen writes %s (%s), which the page does not name", rel, filepath.Base(dir))
			}
			if strings.HasSuffix(rel, ".csv") {
				if got := csvHeader(t, dir, rel); !slices.Equal(got, headers[rel]) {
					t.Errorf("gen's %s (%s) has the header %v, the pages give %v", rel, filepath.Base(dir), got, headers[rel])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range keysOf(named) {
		if strings.Contains(n, "/") && !seen[n] {
			t.Errorf("the page names %s among gen's files, which no run wrote", n)
		}
	}
}

var truthHeaderRE = regexp.MustCompile("`(truth/[a-z/_]+\\.csv)`(?::| \\()\\s*`([a-z_, ]+)`")

// truthHeaders reads the columns the pages give each truth CSV file: "`truth/X.csv`:
// `a, b`" or "`truth/X.csv` (`a, b`: ...".
func truthHeaders(t *testing.T, text string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range truthHeaderRE.FindAllStringSubmatch(strings.Join(strings.Fields(text), " "), -1) {
		out[m[1]] = strings.Split(strings.ReplaceAll(m[2], " ", ""), ",")
	}
	if len(out) == 0 {
		t.Fatal("docs: no truth file's columns")
	}
	return out
}
