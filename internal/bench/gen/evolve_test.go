package gen

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
)

// evolveBase generates a small enterprise to evolve.
func evolveBase(t *testing.T, format string) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Generate(context.Background(), Options{Out: dir, Identities: 3000, Seed: 7, Format: format}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// files returns every file under dir (relative path -> bytes).
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEvolveDeterministic(t *testing.T) {
	from := evolveBase(t, "parquet")
	run := func(seed uint64) map[string][]byte {
		o := DefaultEvolveOptions()
		o.From, o.Out, o.Seed = from, t.TempDir(), seed
		if _, err := Evolve(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		return files(t, o.Out)
	}
	a, b, c := run(1), run(1), run(2)
	want := []string{"assignments.parquet", "identities.parquet", "roles.parquet", "truth/changes/access.csv",
		"truth/changes/events.csv", "truth/data.json", "truth/noise.csv", "truth/rules.json"}
	var names []string
	for n := range a {
		names = append(names, filepath.ToSlash(n))
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for n := range a {
		if !bytes.Equal(a[n], b[n]) {
			t.Errorf("%s differs between two runs with the same seed", n)
		}
	}
	if bytes.Equal(a["truth/changes/events.csv"], c["truth/changes/events.csv"]) {
		t.Error("seeds 1 and 2 gave the same events")
	}
}

// TestEvolveTruth checks the next snapshot against its own truth: rates, leavers gone,
// joiners present, due access exactly the planted access not held, stale access held and
// no longer planted, orphans exactly the orphan assignments.
func TestEvolveTruth(t *testing.T) {
	from := evolveBase(t, "csv")
	o := DefaultEvolveOptions()
	o.From, o.Out = from, t.TempDir()
	st, err := Evolve(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := columnar.Load(context.Background(), from, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next, err := columnar.Load(context.Background(), o.Out, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(o.Out, "identities.csv")); err != nil {
		t.Fatalf("format not kept: %v", err)
	}
	humans := 0
	for i := range prev.NumIdentities() {
		if prev.Kind(i) == "human" {
			humans++
		}
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"movers", st.Movers, share(3, humans)}, {"leavers", st.Leavers, share(2, humans)}, {"joiners", st.Joiners, share(2, humans)},
		{"identities", next.NumIdentities(), prev.NumIdentities() - st.Leavers - st.Retired + st.Joiners},
	} {
		// Movers that cannot move (no other team) are skipped; allow a few.
		if c.got > c.want || c.got < c.want-c.want/20 {
			t.Errorf("%s: %d, want about %d", c.name, c.got, c.want)
		}
	}
	tr, err := truth.Load(filepath.Join(o.Out, "truth"))
	if err != nil {
		t.Fatal(err)
	}
	// Planted roles per identity of NEXT, by evaluating the truth rules.
	planted := map[[2]string]bool{}
	for _, role := range tr.Roles {
		for _, p := range role.Rules {
			for i := range next.NumIdentities() {
				if !mining.KindInScope(p.EntityType, next.Kind(i)) {
					continue
				}
				ok := true
				for _, c := range p.Criteria {
					d := next.DimIndex(c.Attribute)
					if v := next.Dims[d].Codes[i]; v < 0 || next.Dims[d].Values[v] != c.Value {
						ok = false
						break
					}
				}
				if ok {
					planted[[2]string{next.IdentityIDs[i], role.RoleID}] = true
				}
			}
		}
	}
	held := map[[2]string]bool{}
	for i := range next.NumIdentities() {
		for _, r := range next.RolesOf(i) {
			held[[2]string{next.IdentityIDs[i], next.Roles.IDs[r]}] = true
		}
	}
	orphans := map[[2]string]bool{}
	for _, or := range next.Orphans {
		orphans[[2]string{or.IdentityID, next.Roles.IDs[or.Role]}] = true
	}
	f, err := os.Open(filepath.Join(o.Out, "truth", ChangesDir, "access.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	due, stale, orph := 0, 0, 0
	for _, row := range rows[1:] {
		k := [2]string{row[0], row[1]}
		switch row[2] {
		case AccessDue:
			due++
			if !planted[k] || held[k] {
				t.Fatalf("due %v: planted %v held %v", k, planted[k], held[k])
			}
		case AccessStale:
			stale++
			if planted[k] || !held[k] {
				t.Fatalf("stale %v: planted %v held %v", k, planted[k], held[k])
			}
		case AccessOrphan:
			orph++
			if !orphans[k] {
				t.Fatalf("orphan %v is not an orphan assignment", k)
			}
		}
	}
	wantDue := 0
	for k := range planted {
		if !held[k] {
			wantDue++
		}
	}
	if due != wantDue || int64(due) != st.Due || orph != len(next.Orphans) || int64(stale) != st.Stale || stale == 0 {
		t.Fatalf("due %d (want %d, stats %d), stale %d (stats %d), orphans %d (want %d)", due, wantDue, st.Due, stale, st.Stale, orph, len(next.Orphans))
	}
	// The next snapshot evolves again, and its truth loads with the truth package.
	o2 := DefaultEvolveOptions()
	o2.From, o2.Out = o.Out, t.TempDir()
	if _, err := Evolve(context.Background(), o2); err != nil {
		t.Fatalf("evolve twice: %v", err)
	}
}

func TestEvolveErrors(t *testing.T) {
	from := evolveBase(t, "csv")
	for _, tc := range []struct {
		name string
		edit func(o *EvolveOptions)
	}{
		{"no FROM", func(o *EvolveOptions) { o.From = "" }},
		{"out is FROM", func(o *EvolveOptions) { o.Out = o.From }},
		{"percentage above 100", func(o *EvolveOptions) { o.Movers = 101 }},
		{"negative percentage", func(o *EvolveOptions) { o.Retired = -1 }},
		{"movers and leavers above 100", func(o *EvolveOptions) { o.Movers, o.Leavers = 60, 50 }},
		{"FROM without truth", func(o *EvolveOptions) { o.From = t.TempDir() }},
		{"FROM is a universe", func(o *EvolveOptions) { o.From = universeBase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultEvolveOptions()
			o.From, o.Out = from, t.TempDir()
			tc.edit(&o)
			if _, err := Evolve(context.Background(), o); !uerr.Is(err) {
				t.Fatalf("got %v, want a user error", err)
			} else if tc.name == "FROM is a universe" && !strings.Contains(err.Error(), "is a universe (gen --universe)") {
				t.Fatalf("got %v, want it to say FROM is a universe", err)
			}
		})
	}
}

// universeBase generates a small universe (gen --universe), which --evolve refuses.
func universeBase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Generate(context.Background(), Options{Out: dir, Identities: 500, Seed: 7, Format: "csv", Universe: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}
