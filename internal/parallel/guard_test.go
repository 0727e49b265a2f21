package parallel

import (
	"cmp"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The guard (package doc): every goroutine of the module's non-test code starts in this
// package, and every recover() is here, unless a reviewed exemption says why not. An
// exemption is a comment starting with one of these marks, with a reason after it, on
// the site's line or the line above, and an entry in reviewed below.
const (
	goroutineMark = "goroutine:" // a go statement, X.Go(f) (sync.WaitGroup's) or AfterFunc
	recoverMark   = "recover:"   // a call of the builtin recover
)

// exemptKey names the exempted sites of one function.
type exemptKey struct {
	mark string // goroutineMark or recoverMark
	file string // slash path from the module's root
	fn   string // the enclosing function: F, or T.M for a method of T or *T
}

// exemption is a reviewed entry: how many marked sites the function holds, and why they
// need no Each, Bugs.Go or Call around them.
type exemption struct {
	n   int
	why string
}

// reviewed lists every exempted site, each reviewed. A new entry needs the same review:
// a goroutine whose one error (or none) a caller waits for starts through Start, not
// here; another's body must be unable to panic, or run all of its work through Call (or
// only call a function whose own recover returns a panic as a bug); a recover must
// return a panic in rolemine's own code as a bug (a *PanicError, exit 1), never as the
// input's fault.
var reviewed = map[exemptKey]exemption{
	{goroutineMark, "cmd/rolemine/main.go", "runContext"}:                    {1, "context.AfterFunc's function only calls signal.NotifyContext's stop (the signals' default action back after the first), which cannot panic: a callback of the context, not a task to wait for (Start)"},
	{goroutineMark, "internal/kernels/cuda/emitter.go", "newEmitter"}:        {1, "a pool draining a queue: each role is sorted and emitted through Call, and a worker keeps draining after a failure, which Start (one call, one error) cannot do"},
	{goroutineMark, "internal/kernels/cuda/owner.go", "newOwner"}:            {1, "the driver thread, locked to its OS thread for the backend's life, only runs do's closures, each of which runs its call through Call and hands its error to its own caller: no one error to wait for (Start)"},
	{goroutineMark, "internal/mining/run.go", "ruleMining.streaming"}:        {1, "a selector only takes jobs from the queue and releases their budget; each role's selection runs through Call, and after a bug the selectors go on draining the queue (so the backend never blocks), which Start (one call, one error) cannot do"},
	{goroutineMark, "internal/plugins/instance.go", "instance.run"}:          {1, "context.AfterFunc's function only raises the stop flag under a mutex: a callback of the context, not a task to wait for (Start)"},
	{goroutineMark, "internal/report/assignments.go", "encodeGroupsInOrder"}: {2, "the launcher only passes channel tokens; each encoder runs encode through Call and hands its group, or its error, to that group's channel, read in order by the writer; the launcher starts the encoders into the WaitGroup it is counted in, which Start's wait would not cover"},
	{goroutineMark, "internal/report/effective_review.go", "writeChunksOf"}:  {1, "a worker only passes buffers and counts chunks; each chunk is formatted through Call and its error goes to that chunk's channel, read in order by the writer, not to a wait (Start)"},

	{recoverMark, "cmd/rolemine/main.go", "command"}:                     {1, "the command goroutine's panic, returned as a *PanicError (Recovered): exit 1"},
	{recoverMark, "internal/columnar/load.go", "Load"}:                   {1, "orBug: a panic on Load's goroutine is a *PanicError, Bugs' first"},
	{recoverMark, "internal/columnar/lean.go", "LoadHoldings"}:           {1, "orBug, as in Load"},
	{recoverMark, "internal/columnar/parquet.go", "readParquet"}:         {1, "parquet-go's panic is a corrupt file; one in rolemine's code a *PanicError (ownBug)"},
	{recoverMark, "internal/columnar/parquet.go", "openParquet"}:         {1, "the footer: parquet-go's panic is a corrupt file; rolemine's a *PanicError (ownBug)"},
	{recoverMark, "internal/columnar/parquet.go", "decodeParquetColumn"}: {1, "a column's decoding: parquet-go's panic is corrupt data; rolemine's a *PanicError (ownBug)"},
	{recoverMark, "internal/plugins/guard.go", "compileGuarded"}:         {1, "wazero's validator panics on some malformed modules: the plugin is refused"},
	{recoverMark, "internal/plugins/hostpanic.go", "guardHost"}:          {1, "a host function's bug is raised again as an *InternalError (exit 1)"},
}

// site is one goroutine start or recover() of a file.
type site struct {
	key    exemptKey
	line   int
	what   string
	marked bool // a comment with key.mark and a reason on the line or the line above
}

// TestGoroutinesGoThroughParallel parses every non-test Go file of the module (nested
// modules, testdata and this package's own files aside) and fails, naming file:line, on
// each goroutine start and recover() that carries no reviewed exemption.
func TestGoroutinesGoThroughParallel(t *testing.T) {
	root := moduleRoot(t)
	sites := scanModule(t, root)
	lines := map[exemptKey][]int{}
	for _, s := range sites {
		if !s.marked {
			t.Errorf("%s:%d: %s in %s, outside internal/parallel: %s", s.key.file, s.line, s.what, s.key.fn, advice(s.key.mark))
			continue
		}
		lines[s.key] = append(lines[s.key], s.line)
	}
	for _, k := range sortedKeys(lines) {
		if at, e := lines[k], reviewed[k]; e.n != len(at) {
			t.Errorf("%s:%d: %d sites marked %q in %s, %d in guard_test.go's reviewed list: review them and list them there",
				k.file, at[0], len(at), k.mark, k.fn, e.n)
		}
	}
	for _, k := range sortedKeys(reviewed) {
		if lines[k] == nil {
			t.Errorf("guard_test.go: the reviewed exemption %q of %s in %s matches no marked site: remove it", k.mark, k.fn, k.file)
		}
	}
}

// sortedKeys returns m's keys by file, function and mark, for messages in a fixed order.
func sortedKeys[V any](m map[exemptKey]V) []exemptKey {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b exemptKey) int {
		return cmp.Or(strings.Compare(a.file, b.file), strings.Compare(a.fn, b.fn), strings.Compare(a.mark, b.mark))
	})
	return keys
}

// advice says how to fix an unmarked site.
func advice(mark string) string {
	if mark == recoverMark {
		return "recover through parallel.Call or Recovered, or return a panic in rolemine's own code as a *parallel.PanicError and mark the line `// " + mark + " why` (listed in internal/parallel/guard_test.go)"
	}
	return "start it with parallel.Start, Each or Bugs.Go, or run its body through parallel.Call and mark the line `// " + mark + " why` (listed in internal/parallel/guard_test.go)"
}

// moduleRoot is the directory of the module's go.mod, above the test's directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = up
	}
}

// scanModule returns the sites of the module's non-test Go files below root, whatever
// their build constraints.
func scanModule(t *testing.T, root string) []site {
	fset := token.NewFileSet()
	var sites []site
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(must(filepath.Rel(root, path)))
		if d.IsDir() {
			if path != root && skipDir(path, d.Name(), rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found, err := scanSource(fset, rel, src)
		sites = append(sites, found...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sites
}

// skipDir says whether the walk leaves out a directory: one the go command ignores, a
// nested module, or this package.
func skipDir(path, name, rel string) bool {
	if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	if rel == "internal/parallel" {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// scanSource returns the goroutine starts and recover() calls of one file, rel its
// path in messages and keys.
func scanSource(fset *token.FileSet, rel string, src []byte) ([]site, error) {
	f, err := parser.ParseFile(fset, rel, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	marks := markedLines(fset, f)
	var sites []site
	for _, d := range f.Decls {
		fn := declName(d)
		ast.Inspect(d, func(n ast.Node) bool {
			mark, what := classify(n)
			if what != "" {
				line := fset.Position(n.Pos()).Line
				m := marks[mark]
				sites = append(sites, site{exemptKey{mark, rel, fn}, line, what, m[line] || m[line-1]})
			}
			return true
		})
	}
	return sites, nil
}

// markedLines returns, for each mark, the lines that hold a // comment starting with it
// and giving a reason.
func markedLines(fset *token.FileSet, f *ast.File) map[string]map[int]bool {
	marks := map[string]map[int]bool{goroutineMark: {}, recoverMark: {}}
	for _, g := range f.Comments {
		for _, c := range g.List {
			text, line := strings.TrimPrefix(c.Text, "//"), fset.Position(c.Slash).Line
			if text == c.Text {
				continue // a /* */ comment
			}
			for mark, at := range marks {
				if why, ok := strings.CutPrefix(strings.TrimSpace(text), mark); ok && strings.TrimSpace(why) != "" {
					at[line] = true
				}
			}
		}
	}
	return marks
}

// classify says whether n starts a goroutine (a go statement, a one-argument X.Go such as
// sync.WaitGroup's or errgroup's, time's or context's AfterFunc) or calls recover.
// parallel.Bugs' Go, which takes the WaitGroup and the function, is not a site.
func classify(n ast.Node) (mark, what string) {
	switch n := n.(type) {
	case *ast.GoStmt:
		return goroutineMark, "go statement"
	case *ast.CallExpr:
		switch fun := ast.Unparen(n.Fun).(type) {
		case *ast.Ident:
			if fun.Name == "recover" && len(n.Args) == 0 {
				return recoverMark, "recover()"
			}
		case *ast.SelectorExpr:
			if fun.Sel.Name == "Go" && len(n.Args) == 1 {
				return goroutineMark, "goroutine started by X.Go(f) (sync.WaitGroup's)"
			}
			if fun.Sel.Name == "AfterFunc" {
				return goroutineMark, "goroutine started by AfterFunc"
			}
		}
	}
	return "", ""
}

// declName is the name of a top-level function (T.M for a method of T or *T), or "" for
// another declaration.
func declName(d ast.Decl) string {
	fd, ok := d.(*ast.FuncDecl)
	if !ok {
		return ""
	}
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr: // a generic type's method
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// TestScanSource holds the scanner to what it must find and what must not fool it.
func TestScanSource(t *testing.T) {
	const src = `package p

// go func() { panic(1) }() in a comment
var s = "go func() { panic(1) }()"

func bare() {
	go func() {}()
}

func (b *T) marked() {
	// goroutine: reviewed
	go b.run()
	go b.run() // goroutine: reviewed too
}

func (T) unmarked() {
	// goroutine: two lines above

	go run()
	_ = "// goroutine: in a string"
	go run()
	// goroutine:
	go run()
	/* goroutine: a block comment */
	go run()
	// recover: the wrong mark
	go run()
}

func pool(wg *sync.WaitGroup, b *parallel.Bugs) {
	wg.Go(func() {})
	b.Go(wg, func() {})
	time.AfterFunc(0, func() {})
	stop := context.AfterFunc(ctx, func() {})
	b.recover()
	defer func() {
		// recover: reviewed
		if p := recover(); p != nil {
		}
	}()
	_ = recover()
}

func (g *G[K]) generic() { go run() }
`
	sites, err := scanSource(token.NewFileSet(), "p.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		fn     string
		line   int
		mark   string
		marked bool
	}
	var all []got
	for _, s := range sites {
		all = append(all, got{s.key.fn, s.line, s.key.mark, s.marked})
	}
	want := []got{
		{"bare", 7, goroutineMark, false},
		{"T.marked", 12, goroutineMark, true},
		{"T.marked", 13, goroutineMark, true},
		{"T.unmarked", 19, goroutineMark, false},
		{"T.unmarked", 21, goroutineMark, false},
		{"T.unmarked", 23, goroutineMark, false},
		{"T.unmarked", 25, goroutineMark, false},
		{"T.unmarked", 27, goroutineMark, false},
		{"pool", 31, goroutineMark, false},
		{"pool", 33, goroutineMark, false},
		{"pool", 34, goroutineMark, false},
		{"pool", 38, recoverMark, true},
		{"pool", 41, recoverMark, false},
		{"G.generic", 44, goroutineMark, false},
	}
	if !slices.Equal(all, want) {
		t.Errorf("sites:\n got %v\nwant %v", all, want)
	}
}
