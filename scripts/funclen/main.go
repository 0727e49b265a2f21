// Command funclen lists the functions of the repository's Go code that are longer than
// the project's limits (docs/development.md): a non-test function over 80 lines, or a
// command function of cmd/rolemine (cmdX) over 60. A function's length counts the lines
// from its func keyword to its closing brace, both included; its doc comment does not
// count. Test files and testdata are skipped.
//
//	go run ./scripts/funclen [-max 80] [-cmd-max 60] [-top N] [DIR]
//
// It prints one line per function over a limit and exits 1 when there is any; -top N
// also prints the N longest functions. The test beside it runs the same check on the
// repository, so `make test` fails when a function grows past a limit.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Func is one function or method and its length in lines.
type Func struct {
	File  string
	Line  int
	Name  string
	Lines int
}

func (f Func) String() string {
	return fmt.Sprintf("%s:%d: %s %d lines", f.File, f.Line, f.Name, f.Lines)
}

// Limits are the longest a function may be.
type Limits struct {
	// Max is the limit of any non-test function; CmdMax the limit of a command function
	// (a function named cmdX in cmd/rolemine).
	Max, CmdMax int
}

// isCommand reports whether fn, declared in file (slash-separated, relative to the root),
// is a command function of cmd/rolemine.
func isCommand(file string, fn Func) bool {
	return strings.HasPrefix(file, "cmd/rolemine/") && strings.HasPrefix(fn.Name, "cmd")
}

// Over returns the functions of fns over lim, in the order given.
func Over(fns []Func, lim Limits) []Func {
	var out []Func
	for _, fn := range fns {
		if fn.Lines > lim.Max || isCommand(fn.File, fn) && fn.Lines > lim.CmdMax {
			out = append(out, fn)
		}
	}
	return out
}

// Scan parses every non-test Go file below root (skipping testdata and hidden folders)
// and returns its functions, by file and line. File names are relative to root, with
// forward slashes.
func Scan(root string) ([]Func, error) {
	var out []Func
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		fns, err := scanFile(path, filepath.ToSlash(rel))
		out = append(out, fns...)
		return err
	})
	return out, err
}

// scanFile returns the functions of one Go file, named rel in the results.
func scanFile(path, rel string) ([]Func, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("funclen: %w", err)
	}
	var out []Func
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) == 1 {
			name = recvName(fd.Recv.List[0].Type) + "." + name
		}
		start, end := fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line
		out = append(out, Func{File: rel, Line: start, Name: name, Lines: end - start + 1})
	}
	return out, nil
}

// recvName is the type name of a method's receiver, without pointer or type parameters.
func recvName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return "?"
		}
	}
}

func main() {
	var lim Limits
	flag.IntVar(&lim.Max, "max", 80, "longest non-test function, in lines")
	flag.IntVar(&lim.CmdMax, "cmd-max", 60, "longest command function of cmd/rolemine, in lines")
	top := flag.Int("top", 0, "also print the N longest functions")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	fns, err := Scan(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	over := Over(fns, lim)
	for _, fn := range over {
		fmt.Println("over the limit:", fn)
	}
	if *top > 0 {
		slices.SortStableFunc(fns, func(a, b Func) int { return b.Lines - a.Lines })
		for _, fn := range fns[:min(*top, len(fns))] {
			fmt.Println(fn)
		}
	}
	if len(over) > 0 {
		os.Exit(1)
	}
}
