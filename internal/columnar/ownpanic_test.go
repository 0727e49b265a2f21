package columnar

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestOwnBug: a recovered panic raised in rolemine's code (explicit, an index out of
// range, a nil dereference, the standard library called by it) is a bug, a
// *parallel.PanicError; one raised in parquet-go is not.
func TestOwnBug(t *testing.T) {
	bugOf := func(f func()) (bug *parallel.PanicError) {
		defer func() {
			if p := recover(); p != nil {
				bug = ownBug(p)
			}
		}()
		f()
		return nil
	}
	var nilCol *column
	i := len(os.Args) + 1
	for name, f := range map[string]func(){
		"explicit": func() { panic("own") },
		"index":    func() { _ = []int{1}[i] },
		"nil":      func() { _ = nilCol.vals },
		"strings":  func() { _ = strings.Repeat("x", -i) },
	} {
		if bug := bugOf(f); bug == nil || !strings.Contains(string(bug.Stack), "TestOwnBug") {
			t.Errorf("own panic %s: bug %v", name, bug)
		}
	}
	if bug := bugOf(func() { _ = parquet.Int(i) }); bug != nil {
		t.Errorf("a panic raised in parquet-go: a bug %v", bug)
	}
}

// TestDecodeOwnPanicIsBug: decodeParquetColumn's recover reports a panic of its own code
// (here a nil column) as a bug, not as corrupt data, and Load returns a panic of a column's
// worker (WithDecodeFault) as a bug naming the directory, never a user error.
func TestDecodeOwnPanicIsBug(t *testing.T) {
	dir := t.TempDir()
	p := writeParquet(t, dir, "identities", tbl{header: []string{"identity_id:req"}, rows: [][]string{{"u1"}}})
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	leaf := pf.Root().Column("identity_id")
	err = decodeParquetColumn(context.Background(), pf, leaf, nil, nil)
	if !errors.As(err, new(*parallel.PanicError)) || strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("error %v, want a PanicError", err)
	}
	if err := os.WriteFile(dir+"/assignments.csv", []byte("identity_id,role_id\nu1,R1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := WithDecodeFault(context.Background(), func(file, column string) {
		if column != "" {
			panic("fault in " + file + " " + column)
		}
	})
	_, err = Load(ctx, dir, LoadOptions{})
	var bug *parallel.PanicError
	if !errors.As(err, &bug) || bug.Value != "fault in identities.parquet identity_id" || uerr.Is(err) || !strings.HasPrefix(err.Error(), "load "+dir) {
		t.Fatalf("error %v, want the fault's PanicError", err)
	}
}

// TestForEachBug: a panic in forEach's worker comes back from Load's recover as the
// worker's PanicError, its stack the worker's.
func TestForEachBug(t *testing.T) {
	var err error
	func() {
		defer func() { err = recoverBug("d", nil, recover()) }()
		forEach(4, func(i int) {
			if i == 2 {
				panic("item 2")
			}
		})
	}()
	var bug *parallel.PanicError
	if !errors.As(err, &bug) || bug.Value != "item 2" || !strings.Contains(string(bug.Stack), "TestForEachBug.func") || err.Error() != "load d: panic: item 2" {
		t.Fatalf("error %v", err)
	}
}

// TestLoadGoroutineBug: a panic on the goroutine reading a file (a CSV file here, which has
// no recover of its own) makes Load return it, a PanicError naming the directory, and not
// a later panic its missing table leads to; every file's goroutine and the load end.
func TestLoadGoroutineBug(t *testing.T) {
	for _, file := range []string{"identities.csv", "assignments.csv", "roles.csv", "accounts.csv"} {
		dir := t.TempDir()
		for name, body := range map[string]string{
			"identities.csv":  "identity_id,department\nu1,Sales\nu2,Eng\n",
			"assignments.csv": "identity_id,role_id\nu1,R1\nu2,R2\n",
			"roles.csv":       "role_id\nR1\nR2\n",
			"accounts.csv":    "account_id,system,identity_id\na1,S,u1\n",
		} {
			if err := os.WriteFile(dir+"/"+name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ctx := WithDecodeFault(context.Background(), func(f, column string) {
			if f == file && column == "" {
				panic("reader bug in " + f)
			}
		})
		_, err := Load(ctx, dir, LoadOptions{})
		var bug *parallel.PanicError
		if !errors.As(err, &bug) || bug.Value != "reader bug in "+file || uerr.Is(err) || !strings.HasPrefix(err.Error(), "load "+dir) {
			t.Fatalf("%s: error %v, want the reader's PanicError", file, err)
		}
	}
}
