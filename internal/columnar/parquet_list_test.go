package columnar

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// listIdentity is an identities row with a LIST<string> column and a plain repeated one.
type listIdentity struct {
	ID      string   `parquet:"identity_id"`
	Kind    string   `parquet:"kind"`
	Project []string `parquet:"project,list"`
	Certs   []string `parquet:"cert"`
}

// TestParquetListColumns: list columns of identities are multi-valued attributes (a term
// matches when any value equals); duplicates and empty values within a row add nothing;
// they merge with the attributes file.
func TestParquetListColumns(t *testing.T) {
	dir := t.TempDir()
	rows := []listIdentity{
		{ID: "u1", Project: []string{"gemini", "apollo"}, Certs: []string{"cissp"}},
		{ID: "u2", Project: []string{"apollo", "apollo", ""}},
		{ID: "u3", Kind: "bot", Project: nil, Certs: []string{"aws", "cissp"}},
		{ID: "u4", Project: []string{"vega"}},
	}
	f, err := os.Create(filepath.Join(dir, "identities.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[listIdentity](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("assignments.csv", "identity_id,role_id\nu1,R\n")
	write("attributes.csv", "identity_id,attribute,value\nu4,project,apollo\n")
	s, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	got := map[string]string{}
	for _, name := range []string{"project", "cert"} {
		d := s.DimIndex(name)
		if d < 0 {
			t.Fatalf("no dimension %s: %v", name, dimNamesOf(s))
		}
		dim := &s.Dims[d]
		var parts []string
		for i, id := range s.IdentityIDs {
			var vs []string
			if dim.Codes[i] >= 0 {
				vs = append(vs, dim.Values[dim.Codes[i]])
			}
			for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
				vs = append(vs, dim.Values[c])
			}
			parts = append(parts, id+"="+strings.Join(vs, "|"))
		}
		got[name] = strings.Join(parts, " ")
	}
	want := map[string]string{
		"project": "u1=apollo|gemini u2=apollo u3= u4=apollo|vega",
		"cert":    "u1=cissp u2= u3=aws|cissp u4=",
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s: got %q, want %q", k, got[k], want[k])
		}
	}
	if s.Kind(2) != "bot" || s.Kind(0) != HumanKind {
		t.Errorf("kinds %q %q", s.Kind(0), s.Kind(2))
	}
}

func dimNamesOf(s *Snapshot) []string {
	var out []string
	for _, d := range s.Dims {
		out = append(out, d.Name)
	}
	return out
}

// TestParquetListOfNonStrings: a list column whose elements are not strings (DuckDB's
// INTEGER[]) is refused naming the file, the column and the element type; so is a list
// of strings where one value per row is read (an identity_id).
func TestParquetListOfNonStrings(t *testing.T) {
	type intList struct {
		ID   string  `parquet:"identity_id"`
		Tags []int32 `parquet:"tags,list"`
	}
	type idList struct {
		ID []string `parquet:"identity_id,list"`
	}
	for _, c := range []struct {
		write func(f *os.File) error
		want  string
	}{
		{func(f *os.File) error {
			w := parquet.NewGenericWriter[intList](f)
			if _, err := w.Write([]intList{{ID: "u1", Tags: []int32{1, 2}}}); err != nil {
				return err
			}
			return w.Close()
		}, "identities.parquet column tags: is a list of INT32 (INT(32,true)); expected one value per row"},
		{func(f *os.File) error {
			w := parquet.NewGenericWriter[idList](f)
			if _, err := w.Write([]idList{{ID: []string{"u1"}}}); err != nil {
				return err
			}
			return w.Close()
		}, "identities.parquet column identity_id: is a list of BYTE_ARRAY (STRING); expected one value per row"},
	} {
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, "identities.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte("identity_id,role_id\nu1,R\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Load(context.Background(), dir, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
