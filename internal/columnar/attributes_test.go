package columnar

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestMergeAttributesMatchesReference loads random identities with random attributes
// files (CSV, and Parquet with small row groups so that an identity id recurs in several
// chunk dictionaries) and checks the merged dimensions and findings against
// refMergeAttributes, a literal merge through per-identity lists of strings applied to
// the same identities loaded without the attributes file. The rounds cover attributes
// that are also columns or list columns of identities, values repeated for one identity,
// empty values, unknown identities and a reserved attribute name (an error).
func TestMergeAttributesMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for round := range 80 {
		format := []string{"csv", "parquet"}[round%2]
		dir, baseDir := t.TempDir(), t.TempDir()
		n := 1 + rng.IntN(40)
		pool := []string{"apollo", "gemini", "Sales", "Eng", "zeta", "a", "apollo2"}
		pick := func() string { return pool[rng.IntN(len(pool))] }
		ids := tbl{header: []string{"identity_id", "dept", "project"}}
		if format == "parquet" {
			ids.header = append(ids.header, "skill:list")
		}
		for i := range n {
			row := []string{fmt.Sprintf("u%d", i), pick(), nullValue}
			if rng.IntN(3) > 0 {
				row[2] = pick()
			}
			if format == "parquet" {
				row = append(row, pick())
			}
			ids.rows = append(ids.rows, row)
		}
		asg := tbl{header: []string{"identity_id", "role_id"}, rows: [][]string{{"u0", "R1"}}}
		attrs := tbl{header: []string{"identity_id:reqdict", "attribute:reqdict", "value:dict"}}
		attrNames := []string{"project", "dept", "zone", "skill", "project"}
		if round%10 == 9 {
			attrNames = append(attrNames, "kind")
		}
		for range rng.IntN(4 * n) {
			id := fmt.Sprintf("u%d", rng.IntN(n+3)) // some unknown
			v := pick()
			if rng.IntN(8) == 0 {
				v = nullValue
			}
			attrs.rows = append(attrs.rows, []string{id, attrNames[rng.IntN(len(attrNames))], v})
		}
		for _, d := range []string{dir, baseDir} {
			if format == "parquet" {
				writeParquetLists(t, d, ids)
			} else {
				writeTable(t, d, "identities", format, ids)
			}
			writeTable(t, d, "assignments", "csv", asg)
		}
		opts := []parquet.WriterOption{parquet.MaxRowsPerRowGroup(int64(1 + rng.IntN(5)))}
		path := writeTable(t, dir, "attributes", format, attrs, opts...)

		got, gotErr := Load(context.Background(), dir, LoadOptions{})
		base, err := Load(context.Background(), baseDir, LoadOptions{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		at, err := readTable(context.Background(), path, &attributesSpec)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var f UniverseFindings
		wantErr := refMergeAttributes(base, at, newIdentityIndex(base.IdentityIDs), nil, &f)
		if wantErr != nil || gotErr != nil {
			if wantErr == nil || gotErr == nil || !strings.Contains(gotErr.Error(), wantErr.Error()) {
				t.Fatalf("round %d: error %v, want %v", round, gotErr, wantErr)
			}
			continue
		}
		if !reflect.DeepEqual(got.Dims, base.Dims) {
			t.Fatalf("round %d: dimensions\n%+v\nwant\n%+v", round, got.Dims, base.Dims)
		}
		if !reflect.DeepEqual(got.Findings.SkippedDimensions, base.Findings.SkippedDimensions) {
			t.Fatalf("round %d: skipped %v, want %v", round, got.Findings.SkippedDimensions, base.Findings.SkippedDimensions)
		}
		g := got.Universe.Findings
		if g.AttributeRowsOfUnknownIdentities != f.AttributeRowsOfUnknownIdentities ||
			!slices.Equal(g.UnknownAttributeIdentities, f.UnknownAttributeIdentities) ||
			g.DuplicateAttributeValues != f.DuplicateAttributeValues {
			t.Fatalf("round %d: findings %+v, want %+v", round, g, f)
		}
	}
}

// writeParquetLists writes identities.parquet with tb's last column as a list of one
// value per row (an empty list for "a").
func writeParquetLists(t *testing.T, dir string, tb tbl) {
	t.Helper()
	type row struct {
		IdentityID string   `parquet:"identity_id"`
		Dept       string   `parquet:"dept"`
		Project    *string  `parquet:"project,optional"`
		Skill      []string `parquet:"skill,list"`
	}
	var rows []row
	for _, r := range tb.rows {
		x := row{IdentityID: r[0], Dept: r[1]}
		if r[2] != nullValue {
			x.Project = &r[2]
		}
		if r[3] != "a" {
			x.Skill = []string{r[3], r[1]}
		}
		rows = append(rows, x)
	}
	if err := parquet.WriteFile(filepath.Join(dir, "identities.parquet"), rows); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(dir, "identities.csv"))
}

// refMergeAttributes is the literal merge: each identity's values as a list of strings,
// a value appended unless the identity holds it already, the dictionary sorted from
// every list.
func refMergeAttributes(s *Snapshot, t *table, identIdx *identityIndex, excluded []string, f *UniverseFindings) error {
	ic, ac, vc := t.col("identity_id"), t.col("attribute"), t.col("value")
	probs := newProblems(t.file)
	type entry struct {
		ident int32
		value string
	}
	byAttr := map[string][]entry{}
	identOf := identityCodes(ic, identIdx)
	for row := 0; row < t.rows; row++ {
		attr := ac.value(row)
		switch attr {
		case "identity_id", KindDimension, OwnerColumn:
			probs.add(t.pos(row), "attribute", fmt.Sprintf("%q is a reserved column of identities, not an attribute; expected an attribute name such as project", attr))
			continue
		}
		i := int32(-1)
		if code := ic.codes[row]; code >= 0 {
			i = identOf[code]
		}
		if i < 0 {
			id := ic.value(row)
			f.AttributeRowsOfUnknownIdentities++
			if len(f.UnknownAttributeIdentities) < maxListedIDs && !slices.Contains(f.UnknownAttributeIdentities, id) {
				f.UnknownAttributeIdentities = append(f.UnknownAttributeIdentities, id)
			}
			continue
		}
		if v := vc.value(row); v != "" {
			byAttr[attr] = append(byAttr[attr], entry{i, v})
		}
	}
	if err := probs.err(); err != nil {
		return err
	}
	names := make([]string, 0, len(byAttr))
	for name := range byAttr {
		names = append(names, name)
	}
	slices.Sort(names)
	n := s.NumIdentities()
	for _, name := range names {
		vals := make([][]string, n)
		if d := s.DimIndex(name); d >= 0 {
			dim := &s.Dims[d]
			for i := 0; i < n; i++ {
				if c := dim.Codes[i]; c >= 0 {
					vals[i] = append(vals[i], dim.Values[c])
				}
				if dim.MultiOff != nil {
					for _, c := range dim.MultiCodes[dim.MultiOff[i]:dim.MultiOff[i+1]] {
						vals[i] = append(vals[i], dim.Values[c])
					}
				}
			}
		}
		for _, e := range byAttr[name] {
			if slices.Contains(vals[e.ident], e.value) {
				f.DuplicateAttributeValues++
				continue
			}
			vals[e.ident] = append(vals[e.ident], e.value)
		}
		putDimension(s, multiDimension(name, vals), slices.Contains(excluded, name))
	}
	rebuildSkipped(s)
	return nil
}

// TestExcludedAttributeNotWarned: --exclude-dimension of an attribute that only the
// attributes file defines excludes it without the warning meant for names that are no
// dimension; a name that is none still gets it.
func TestExcludedAttributeNotWarned(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"identities.csv":  "identity_id,dept\nu1,Eng\nu2,Eng\n",
		"attributes.csv":  "identity_id,attribute,value\nu1,project,apollo\nu2,project,apollo\n",
		"assignments.csv": "identity_id,role_id\nu1,R\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := Load(context.Background(), dir, LoadOptions{ExcludeDimensions: []string{"project", "nosuch"}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if d := s.DimIndex("project"); d < 0 || !s.Dims[d].Skipped || s.Dims[d].SkipReason != "excluded by user" {
		t.Fatalf("project not excluded: %+v", s.Dims)
	}
	if got := logged.String(); strings.Contains(got, "dimension=project") || !strings.Contains(got, "dimension=nosuch") {
		t.Errorf("warnings:\n%s\nwant one for nosuch and none for project", got)
	}
}
