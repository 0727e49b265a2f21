package fuzzmin

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestOff: minimizing is turned off only for the target being fuzzed and only when
// -fuzzminimizetime was not given; without the two flags it is an error.
func TestOff(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-test.fuzz", "FuzzLoadParquet"}, "0s"},
		{[]string{"-test.fuzz", "^FuzzLoadParquet$"}, "0s"},
		{[]string{"-test.fuzz", "FuzzLoadParquet", "-test.fuzzminimizetime", "5s"}, "5s"},
		{[]string{"-test.fuzz", "FuzzLoadCSV"}, "1m0s"},
		{nil, "1m0s"},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.String("test.fuzz", "", "")
		minimize := fs.Duration("test.fuzzminimizetime", time.Minute, "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if err := off(fs, "FuzzLoadParquet"); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got := minimize.String(); got != c.want {
			t.Errorf("%v: minimize time %s, want %s", c.args, got, c.want)
		}
	}
	if off(flag.NewFlagSet("test", flag.ContinueOnError), "FuzzLoadParquet") == nil {
		t.Error("no error without the testing flags")
	}
	if flag.Lookup("test.fuzz") == nil || flag.Lookup("test.fuzzminimizetime") == nil {
		t.Error("the testing package's fuzz flags are gone: the fuzz targets would stall minimizing")
	}
}

// TestTargetsCallOff: every fuzz target in the module's test files calls fuzzmin.Off.
func TestTargetsCallOff(t *testing.T) {
	targets := fuzzTargets(t)
	for _, f := range targets {
		if !f.callsOff {
			t.Errorf("%s (%s) does not call fuzzmin.Off", f.name, f.dir)
		}
	}
	if len(targets) < 9 {
		t.Errorf("found %d fuzz targets (%v), want at least the nine of the eighteenth session", len(targets), targets)
	}
}

// TestMakeFuzzRunsEveryTarget: the Makefile's fuzz recipe runs every fuzz target of the
// module, each in its own package, as docs/development.md says of `make fuzz`.
func TestMakeFuzzRunsEveryTarget(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	_, recipe, ok := strings.Cut(string(mk), "\nfuzz:\n")
	if !ok {
		t.Fatal("Makefile: no fuzz target")
	}
	recipe, _, _ = strings.Cut(recipe, "\n\n")
	run := map[string]bool{}
	for _, m := range regexp.MustCompile(`-fuzz '?\^?(Fuzz\w+)\$*'? .* \./(\S+)`).FindAllStringSubmatch(recipe, -1) {
		run[m[2]+" "+m[1]] = true
	}
	for _, f := range fuzzTargets(t) {
		if key := filepath.ToSlash(f.dir) + " " + f.name; !run[key] {
			t.Errorf("make fuzz does not run %s in ./%s", f.name, filepath.ToSlash(f.dir))
		}
		delete(run, filepath.ToSlash(f.dir)+" "+f.name)
	}
	for k := range run {
		t.Errorf("make fuzz runs %s, which is no fuzz target", k)
	}
}

// fuzzTarget is a fuzz test function: its name, its package's directory relative to the
// module root, and whether it calls fuzzmin.Off.
type fuzzTarget struct {
	name, dir string
	callsOff  bool
}

// fuzzTargets parses every test file of the module (but testdata, node_modules and
// hidden directories) and returns its fuzz targets.
func fuzzTargets(t *testing.T) []fuzzTarget {
	t.Helper()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var targets []fuzzTarget
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fn.Name.Name, "Fuzz") || fn.Body == nil {
				continue
			}
			targets = append(targets, fuzzTarget{fn.Name.Name, dir, callsOff(fn.Body)})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return targets
}

// callsOff says whether body calls fuzzmin.Off.
func callsOff(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if s, ok := c.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == "Off" {
				if x, ok := s.X.(*ast.Ident); ok && x.Name == "fuzzmin" {
					found = true
				}
			}
		}
		return !found
	})
	return found
}
