package fuzzmin

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
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
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var targets []string
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
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fn.Name.Name, "Fuzz") || fn.Body == nil {
				continue
			}
			targets = append(targets, fn.Name.Name)
			if !callsOff(fn.Body) {
				t.Errorf("%s (%s) does not call fuzzmin.Off", fn.Name.Name, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) < 9 {
		t.Errorf("found %d fuzz targets (%v), want at least the nine of the eighteenth session", len(targets), targets)
	}
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
