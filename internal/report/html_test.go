package report

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/bench/gen"
)

// tierS generates, mines and writes tier S once per test binary (about 3 s).
var tierS = sync.OnceValues(func() (*mined, error) {
	dir, err := os.MkdirTemp("", "rolemine-report-S")
	if err != nil {
		return nil, err
	}
	if _, err := gen.Generate(context.Background(), gen.Options{Out: dir, Tier: "S", Seed: 1}); err != nil {
		return nil, err
	}
	return mineDir(dir, "../../examples/mining.xml", filepath.Join(dir, "out"))
})

func tierSModel(t *testing.T) (*mined, []byte) {
	t.Helper()
	x, err := tierS()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := x.bound(t).WriteHTML(context.Background(), &buf, x.cls.RuleOf); err != nil {
		t.Fatal(err)
	}
	return x, buf.Bytes()
}

// figure is one element of the page that carries data-k (its source) and data-v (its
// exact value); text is its visible text ("" for chart shapes).
type figure struct{ key, v, text string }

var figureRE = regexp.MustCompile(`data-k="([^"]*)" data-v="([^"]*)">([^<]*)<`)

func figures(page string) []figure {
	var fs []figure
	for _, m := range figureRE.FindAllStringSubmatch(page, -1) {
		fs = append(fs, figure{html.UnescapeString(m[1]), m[2], html.UnescapeString(m[3])})
	}
	return fs
}

// expected resolves a figure's key against summary.json, roles.json and rules.json (read
// as generic JSON, not through the report's types) and the miner's classification.
type expected struct {
	summary map[string]any
	roles   map[string]map[string]any
	rules   map[string]map[string]any
	groups  map[string][3]float64 // "category:X" / "application:X" -> roles, holders, tp
	idents  map[string][2]float64 // identity -> held, unexplained
	// flat holds figures of the universe sections by their full key, read from
	// excess.csv, ownership.csv and explain (excess_html_test.go).
	flat map[string]float64
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func newExpected(t *testing.T, x *mined) *expected {
	e := &expected{roles: map[string]map[string]any{}, rules: map[string]map[string]any{}, groups: map[string][3]float64{}, idents: map[string][2]float64{}}
	readJSON(t, filepath.Join(x.out, SummaryJSONFile), &e.summary)
	var roles struct{ Roles []map[string]any }
	readJSON(t, filepath.Join(x.out, RolesJSONFile), &roles)
	for _, r := range roles.Roles {
		e.roles[r["role_id"].(string)] = r
		for _, g := range []string{"category", "application"} {
			k := g + ":" + r[g].(string)
			v := e.groups[k]
			e.groups[k] = [3]float64{v[0] + 1, v[1] + r["holders"].(float64), v[2] + r["tp"].(float64)}
		}
	}
	var rules struct{ Rules []map[string]any }
	readJSON(t, filepath.Join(x.out, RulesJSONFile), &rules)
	for _, r := range rules.Rules {
		e.rules[r["rule_id"].(string)] = r
	}
	for i, id := range x.snap.IdentityIDs {
		var u float64
		for k := x.snap.IdentOff[i]; k < x.snap.IdentOff[i+1]; k++ {
			if x.cls.RuleOf[k] < 0 {
				u++
			}
		}
		e.idents[id] = [2]float64{float64(x.snap.IdentOff[i+1] - x.snap.IdentOff[i]), u}
	}
	return e
}

// path walks a dotted path through decoded JSON ("assignments.by_kind.human.total",
// "mining_rules.0.scope_size").
func path(v any, p string) (float64, bool) {
	for _, part := range strings.Split(p, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			k, err := strconv.Atoi(part)
			if err != nil || k < 0 || k >= len(x) {
				return 0, false
			}
			v = x[k]
		default:
			return 0, false
		}
	}
	f, ok := v.(float64)
	return f, ok
}

func pct100(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(1e6*a/b) / 1e4
}

// value returns the expected value of key, or ok=false when the key has no source.
func (e *expected) value(key string) (float64, bool) {
	if v, ok := e.flat[key]; ok {
		return v, true
	}
	parts := strings.Split(key, ":")
	switch {
	case len(parts) == 2 && strings.HasPrefix(parts[0], "usage") && parts[1] == "unused_pct":
		// The stale share of a usage count: unused of used + unused.
		used, ok1 := path(e.summary, parts[0]+".used")
		unused, ok2 := path(e.summary, parts[0]+".unused")
		return pct100(unused, used+unused), ok1 && ok2
	case len(parts) == 2 && strings.HasPrefix(parts[0], "systems.") && parts[1] == "explained_pct":
		// A system's coverage: explained of its effective pairs.
		explained, ok1 := path(e.summary, parts[0]+".explained")
		pairs, ok2 := path(e.summary, parts[0]+".assignments")
		return pct100(explained, pairs), ok1 && ok2
	case key == "rules:over_broad":
		n := 0.0
		for _, r := range e.rules {
			if r["over_broad"] == true {
				n++
			}
		}
		return n, true
	case len(parts) == 1:
		return path(e.summary, key)
	case len(parts) == 2 && strings.HasPrefix(parts[0], "assignments.by_kind."):
		// Chart bars of the kind split: "assignments.by_kind.K:explained".
		return path(e.summary, parts[0]+"."+parts[1])
	case parts[0] == "roles.json" && len(parts) >= 3:
		r := e.roles[parts[1]]
		if r == nil {
			return 0, false
		}
		h, tp := r["holders"].(float64), r["tp"].(float64)
		switch strings.Join(parts[2:], ":") {
		case "holders":
			return h, true
		case "tp", "bar:explained":
			return tp, true
		case "unexplained", "bar:unexplained":
			return h - tp, true
		case "validations":
			return r["validations"].(float64), true
		}
	case (parts[0] == "category" || parts[0] == "application") && len(parts) == 3:
		g, ok := e.groups[parts[0]+":"+parts[1]]
		if !ok {
			return 0, false
		}
		switch parts[2] {
		case "roles":
			return g[0], true
		case "holders":
			return g[1], true
		case "explained":
			return g[2], true
		case "unexplained":
			return g[1] - g[2], true
		case "explained_pct":
			return pct100(g[2], g[1]), true
		}
	case parts[0] == "rule" && len(parts) == 3:
		if r := e.rules[parts[1]]; r != nil {
			return path(r, parts[2])
		}
	case parts[0] == "identity" && len(parts) == 3:
		if c, ok := e.idents[parts[1]]; ok {
			switch parts[2] {
			case "held":
				return c[0], true
			case "unexplained":
				return c[1], true
			}
		}
	}
	return 0, false
}

// checkFigures holds every figure of page against its source (figureErrors) and returns
// how many it checked.
func checkFigures(t *testing.T, page string, e *expected) int {
	t.Helper()
	n, errs := figureErrors(page, e)
	for _, err := range errs {
		t.Error(err)
	}
	return n
}

// figureErrors holds every figure of page against its source; outcome counts (a
// classification of roles.json reasons) are checked through their totals. It returns
// how many figures it checked and every mismatch.
func figureErrors(page string, e *expected) (int, []string) {
	n := 0
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	var outcomes, coveredOutcomes float64
	for _, f := range figures(page) {
		v, err := strconv.ParseFloat(f.v, 64)
		if err != nil {
			fail("%s: data-v %q is not a number", f.key, f.v)
			continue
		}
		if strings.HasPrefix(f.key, "outcome:") {
			if f.text != "" {
				outcomes += v
				if strings.HasPrefix(f.key, "outcome:covered by ") {
					coveredOutcomes += v
				}
			}
			continue
		}
		want, ok := e.value(f.key)
		if !ok {
			fail("figure %q has no source in summary.json, roles.json, rules.json or the classification", f.key)
			continue
		}
		n++
		if math.Abs(v-want) > 1e-9 {
			fail("figure %s: page says %v, source says %v", f.key, v, want)
		}
		if f.text == "" {
			continue
		}
		wantText := fmtInt(int64(want))
		if strings.HasSuffix(f.key, "_pct") {
			wantText = fmtPct(want)
		}
		if f.text != wantText {
			fail("figure %s: page shows %q, want %q", f.key, f.text, wantText)
		}
	}
	if total, _ := path(e.summary, "roles.total"); outcomes != total {
		fail("roles by outcome add up to %v, summary.json has %v roles", outcomes, total)
	}
	if covered, _ := path(e.summary, "roles.covered"); coveredOutcomes != covered {
		fail("covered roles by outcome add up to %v, summary.json has %v", coveredOutcomes, covered)
	}
	return n, errs
}

// TestReportFiguresMatchOutputs: every figure of report.html equals summary.json,
// roles.json, rules.json or the classification, on tier S mined with the example
// configuration.
func TestReportFiguresMatchOutputs(t *testing.T) {
	x, page := tierSModel(t)
	e := newExpected(t, x)
	n := checkFigures(t, string(page), e)
	if n < 200 {
		t.Errorf("only %d figures checked; the page lost its data-k attributes?", n)
	}
	// The split by category covers every known assignment exactly once.
	var h, tp float64
	for k, g := range e.groups {
		if strings.HasPrefix(k, "category:") {
			h += g[1]
			tp += g[2]
		}
	}
	if known, _ := path(e.summary, "assignments.known"); h != known {
		t.Errorf("categories hold %v assignments, summary.json has %v known", h, known)
	}
	if ex, _ := path(e.summary, "assignments.explained"); tp != ex {
		t.Errorf("categories explain %v assignments, summary.json says %v", tp, ex)
	}
	for _, want := range []string{`content="` + ContentSecurityPolicy + `"`, `id="rule-scatter"`, `class="sortable"`, "low coverage"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//|url\(`).FindString(string(page)); m != "" {
		t.Errorf("page references an external resource: %s", m)
	}
	if m := regexp.MustCompile(`https?://`).FindString(string(page)); m != "" {
		t.Errorf("page contains a URL %q: it must not need the network", m)
	}
}

// TestReportRegeneratedFromFiles: report.html from the model files read back equals the
// one built from the model in memory, byte for byte.
func TestReportRegeneratedFromFiles(t *testing.T) {
	x, page := tierSModel(t)
	mf, err := NewModel(x.snap, x.m, x.cls, RunInfo{Version: "test", Backend: "cpu", Workers: 2, Config: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bind(x.snap, mf)
	if err != nil {
		t.Fatal(err)
	}
	var mem bytes.Buffer
	if err := b.WriteHTML(context.Background(), &mem, x.cls.RuleOf); err != nil {
		t.Fatal(err)
	}
	fromFiles := x.bound(t)
	ruleOf, err := fromFiles.Classify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var files bytes.Buffer
	if err := fromFiles.WriteHTML(context.Background(), &files, ruleOf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem.Bytes(), files.Bytes()) || !bytes.Equal(page, files.Bytes()) {
		t.Error("report.html differs between the model in memory and the model files")
	}
}

const chromium = "/usr/bin/chromium"

// runChromium runs headless Chromium on a page with the flags of issue 3 plus extra, and
// returns its stdout, its stderr and the network log it wrote.
func runChromium(t *testing.T, page string, extra ...string) (stdout, stderr, netlog string) {
	t.Helper()
	dir := t.TempDir()
	nl := filepath.Join(dir, "netlog.json")
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
		"--log-net-log=" + nl, "--hide-scrollbars"}, extra...)
	args = append(args, "file://"+page)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, e.String())
	}
	data, _ := os.ReadFile(nl)
	return o.String(), e.String(), string(data)
}

var consoleRE = regexp.MustCompile(`(?m)^.*CONSOLE.*$`)

// pageRequests returns the network requests the page made, from Chromium's net log:
// requests that have an initiator (the browser's own background requests, such as the
// component updater, have "not an origin") or whose isolation key is the file:// page.
func pageRequests(t *testing.T, netlog string) []string {
	t.Helper()
	var nl struct {
		Events []struct {
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(netlog), &nl); err != nil {
		t.Fatalf("chromium's net log: %v", err)
	}
	var urls []string
	for _, e := range nl.Events {
		url, _ := e.Params["url"].(string)
		init, ok := e.Params["initiator"].(string)
		nik, _ := e.Params["network_isolation_key"].(string)
		if url == "" || !ok {
			continue
		}
		if init != "not an origin" || strings.Contains(nik, "file://") {
			urls = append(urls, url)
		}
	}
	return urls
}

// TestReportInChromium opens report.html of tier S in real headless Chromium (make
// chromium installs it): no console message, no network request, the script ran, the
// charts are there and the headline figures in the rendered DOM equal summary.json. It
// takes screenshots at 1280 and 390 px (kept in $ROLEMINE_SCREENSHOTS when set).
func TestReportInChromium(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not found: run `make chromium` to install Debian's chromium", chromium)
	}
	x, page := tierSModel(t)
	dir := t.TempDir()
	file := filepath.Join(dir, ReportHTMLFile)
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}

	// The checks can fail: a page with a console error and a remote image trips both.
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte(`<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>`), 0o644)
	_, stderr, netlog := runChromium(t, bad, "--dump-dom")
	if !consoleRE.MatchString(stderr) || len(pageRequests(t, netlog)) == 0 {
		t.Fatalf("the console or network checks do not detect a bad page (console seen: %v, requests seen: %v)",
			consoleRE.MatchString(stderr), pageRequests(t, netlog))
	}

	dom, stderr, netlog := runChromium(t, file, "--dump-dom", "--window-size=1280,2000")
	if m := consoleRE.FindAllString(stderr, -1); len(m) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(m, "\n"))
	}
	if m := pageRequests(t, netlog); len(m) > 0 {
		t.Errorf("the page made network requests: %v", m)
	}
	if !strings.Contains(dom, `data-ready="1"`) {
		t.Error("the page's script did not run to the end")
	}
	e := newExpected(t, x)
	if n := checkFigures(t, dom, e); n < 200 {
		t.Errorf("only %d figures in the rendered DOM", n)
	}
	kinds := len(e.summary["assignments"].(map[string]any)["by_kind"].(map[string]any))
	bars := strings.Count(dom, `<svg class="bar"`)
	if bars < kinds+len(e.groups) {
		t.Errorf("%d bar charts rendered, want at least %d (kinds, categories, applications)", bars, kinds+len(e.groups))
	}
	if n := strings.Count(dom, `<circle class="pt"`); n == 0 {
		t.Error("the rule precision chart has no point")
	}
	for _, key := range []string{"assignments.explained", "assignments.unexplained", "assignments.explained_pct", "identities.total", "roles.covered", "rules.total", "suggestions"} {
		want, _ := path(e.summary, key)
		re := regexp.MustCompile(`data-k="` + regexp.QuoteMeta(key) + `" data-v="([^"]*)"`)
		m := re.FindStringSubmatch(dom)
		if m == nil {
			t.Errorf("headline %s missing from the rendered page", key)
			continue
		}
		if got, _ := strconv.ParseFloat(m[1], 64); got != want {
			t.Errorf("headline %s: page %v, summary.json %v", key, got, want)
		}
	}

	shots := os.Getenv("ROLEMINE_SCREENSHOTS")
	if shots == "" {
		shots = dir
	}
	for _, w := range []int{1280, 390} {
		png := filepath.Join(shots, fmt.Sprintf("report-%d.png", w))
		runChromium(t, file, "--screenshot="+png, fmt.Sprintf("--window-size=%d,2400", w))
		st, err := os.Stat(png)
		if err != nil || st.Size() < 10_000 {
			t.Errorf("screenshot at %d px: %v (%v bytes)", w, err, st)
		}
	}
}

// TestKeepTopMatchesSort: keepTop's running top n is the first n of the whole list
// sorted by identRank, for random counts with many ties (the identity breaks them) and n
// from 1 to 30. It fails with the worst kept one not dropped, or a tie ordered by arrival.
func TestKeepTopMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for round := range 300 {
		all := make([]identCount, rng.IntN(200))
		for k := range all {
			all[k] = identCount{ident: int32(rng.IntN(1000)), unexplained: int64(rng.IntN(4)), validationsOfUnexp: int64(rng.IntN(3))}
		}
		n := 1 + round%30
		var top []identCount
		for _, ic := range all {
			top = keepTop(top, ic, n)
		}
		want := slices.Clone(all)
		slices.SortStableFunc(want, identRank)
		want = want[:min(n, len(want))]
		if !slices.Equal(top, want) {
			t.Fatalf("round %d, top %d of %d: got %v, want %v", round, n, len(all), top, want)
		}
	}
}

// TestFirstStableMatchesSortStable: firstStable's indices are the first k of
// slices.SortStableFunc's order, for random keys with many ties, k from 0 past n. It
// fails with ties kept in another order or an index kept past the k-th.
func TestFirstStableMatchesSortStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for round := range 3000 {
		n, spread := rng.IntN(80), 1+rng.IntN(12)
		keys := make([]int, n)
		for i := range keys {
			keys[i] = rng.IntN(spread)
		}
		byKey := func(a, b int) int { return cmp.Compare(keys[a], keys[b]) }
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, byKey)
		k := rng.IntN(n + 3)
		got := firstStable(n, k, byKey)
		if w := want[:min(k, n)]; !slices.Equal(got, w) {
			t.Fatalf("round %d: n %d, k %d, keys %v:\ngot  %v\nwant %v", round, n, k, keys, got, w)
		}
	}
}
