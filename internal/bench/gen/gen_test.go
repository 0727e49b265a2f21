package gen

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/testroot"
	"github.com/rolemine/rolemine/internal/uerr"
)

// data is one generated data set read back.
type data struct {
	dir    string
	stats  *Stats
	idents []identityRow
	roles  []roleRow
	asg    []assignmentRow
	truth  *truth.Truth
}

var (
	tierSOnce sync.Once
	tierS     *data
	tierSErr  error
)

// loadTierS generates tier S once for the package's tests.
func loadTierS(t *testing.T) *data {
	t.Helper()
	tierSOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rolemine-gen-test")
		if err != nil {
			tierSErr = err
			return
		}
		tierS, tierSErr = generateAndRead(dir, Options{Out: dir, Tier: "S", Seed: 42})
	})
	if tierSErr != nil {
		t.Fatal(tierSErr)
	}
	return tierS
}

func TestMain(m *testing.M) { os.Exit(testroot.Main(m)) }

func generateAndRead(dir string, opts Options) (*data, error) {
	st, err := Generate(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	d := &data{dir: dir, stats: st}
	if d.idents, err = parquet.ReadFile[identityRow](filepath.Join(dir, "identities.parquet")); err != nil {
		return nil, err
	}
	if d.roles, err = parquet.ReadFile[roleRow](filepath.Join(dir, "roles.parquet")); err != nil {
		return nil, err
	}
	if d.asg, err = parquet.ReadFile[assignmentRow](filepath.Join(dir, "assignments.parquet")); err != nil {
		return nil, err
	}
	if d.truth, err = truth.Load(filepath.Join(dir, "truth")); err != nil {
		return nil, err
	}
	return d, nil
}

// attr returns the named attribute of an identity row.
func attr(r *identityRow, name string) string {
	switch name {
	case "kind":
		return r.Kind
	case "department":
		return r.Department
	case "team":
		return r.Team
	case "title":
		return r.Title
	case "location":
		return r.Location
	case "employment_type":
		return r.EmploymentType
	case "cost_center":
		return r.CostCenter
	case "email":
		return r.Email
	case "manager":
		return r.Manager
	case "application":
		return r.Application
	case "environment":
		return r.Environment
	case "owner_team":
		return r.OwnerTeam
	}
	return "\x00unknown"
}

func plantedMatch(r *identityRow, p truth.Rule) bool {
	if !mining.KindInScope(p.EntityType, r.Kind) {
		return false
	}
	for _, c := range p.Criteria {
		if attr(r, c.Attribute) != c.Value {
			return false
		}
	}
	return true
}

type pair struct{ ident, role string }

func TestDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if _, err := Generate(context.Background(), Options{Out: dir, Identities: 3000, Seed: 7}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Generate(context.Background(), Options{Out: c, Identities: 3000, Seed: 8}); err != nil {
		t.Fatal(err)
	}
	files := []string{"identities.parquet", "roles.parquet", "assignments.parquet", "truth/rules.json", "truth/noise.csv"}
	for _, f := range files {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
		z, err := os.ReadFile(filepath.Join(c, f))
		if err != nil {
			t.Fatal(err)
		}
		if f != "roles.parquet" && bytes.Equal(x, z) {
			t.Errorf("%s identical for seeds 7 and 8", f)
		}
	}
	left, _ := filepath.Glob(filepath.Join(a, ".*tmp"))
	left2, _ := filepath.Glob(filepath.Join(a, "truth", ".*tmp"))
	if len(left)+len(left2) > 0 {
		t.Errorf("temporary files left: %v %v", left, left2)
	}
}

// TestReplacesEarlierDataSet: gen into a directory that holds an earlier gen's data set
// leaves exactly the new one (found by the audit: a flat CSV run over a universe with
// usage kept accounts, role_grants and attributes .parquet, the universe and usage truth,
// and the Parquet tables beside the new CSV, so mine refused the directory or read another
// seed's accounts with the new identities). A file gen never writes is left alone, and so
// is everything when the options are refused.
func TestReplacesEarlierDataSet(t *testing.T) {
	dir, fresh := t.TempDir(), t.TempDir()
	ctx := context.Background()
	if _, err := Generate(ctx, Options{Out: dir, Identities: 500, Seed: 7, Universe: true, Usage: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := listFiles(t, dir)
	if _, err := Generate(ctx, Options{Out: dir, Identities: 99}); err == nil {
		t.Fatal("99 identities accepted")
	}
	if got := listFiles(t, dir); !slices.Equal(got, before) {
		t.Fatalf("a refused run changed the directory: %v, was %v", got, before)
	}
	for _, d := range []string{dir, fresh} {
		if _, err := Generate(ctx, Options{Out: d, Identities: 500, Seed: 8, Format: "csv"}); err != nil {
			t.Fatal(err)
		}
	}
	got, want := listFiles(t, dir), append(listFiles(t, fresh), "notes.txt")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files after the second run: %v, want %v", got, want)
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func between(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %v, want in [%v, %v]", what, got, lo, hi)
	}
}

func TestTierSShape(t *testing.T) {
	d := loadTierS(t)
	st := d.stats
	if len(d.idents) != 10_000 || st.Identities != 10_000 {
		t.Fatalf("identities: %d rows, stats %d; want 10000", len(d.idents), st.Identities)
	}
	if len(d.roles) != st.Roles || len(d.truth.Roles) != st.Roles {
		t.Errorf("roles: %d rows, %d in truth, stats %d", len(d.roles), len(d.truth.Roles), st.Roles)
	}
	between(t, "roles", float64(st.Roles), 450, 500)
	if int64(len(d.asg)) != st.Assignments {
		t.Errorf("assignments: %d rows, stats %d", len(d.asg), st.Assignments)
	}
	between(t, "assignments per identity", float64(len(d.asg))/10_000, 10, 30)

	kinds := map[string]int{}
	distinct := map[string]map[string]int{}
	for i := range d.idents {
		r := &d.idents[i]
		kinds[r.Kind]++
		for _, a := range identityHeader[2:] {
			if v := attr(r, a); v != "" {
				if distinct[a] == nil {
					distinct[a] = map[string]int{}
				}
				distinct[a][v]++
			}
		}
	}
	between(t, "human share", float64(kinds["human"])/10_000, 0.75, 0.85)
	for _, k := range []string{"service_account", "api_key", "workload"} {
		if kinds[k] == 0 {
			t.Errorf("no %s identities", k)
		}
	}
	between(t, "departments", float64(len(distinct["department"])), 15, 25)
	between(t, "locations", float64(len(distinct["location"])), 10, 30)
	between(t, "applications", float64(len(distinct["application"])), 50, 300)
	between(t, "environments", float64(len(distinct["environment"])), 4, 4)
	if n := len(distinct["email"]); n != kinds["human"] {
		t.Errorf("%d distinct e-mails for %d humans", n, kinds["human"])
	}
	// Zipf-like departments: the largest is far bigger than the smallest.
	sizes := slices.Collect(func(yield func(int) bool) {
		for _, n := range distinct["department"] {
			if !yield(n) {
				return
			}
		}
	})
	slices.Sort(sizes)
	if sizes[len(sizes)-1] < 20*sizes[0] {
		t.Errorf("department sizes %v are not very unequal", sizes)
	}
	// Teams nest in departments: one department per team.
	teamDept := map[string]string{}
	for i := range d.idents {
		r := &d.idents[i]
		if r.Team == "" {
			continue
		}
		if dep, ok := teamDept[r.Team]; ok && dep != r.Department {
			t.Fatalf("team %s in departments %s and %s", r.Team, dep, r.Department)
		}
		teamDept[r.Team] = r.Department
	}

	var rule, project int
	for _, r := range d.truth.Roles {
		if r.Type == truth.TypeRule {
			rule++
		} else {
			project++
		}
	}
	between(t, "rule role share", float64(rule)/float64(st.Roles), 0.70, 0.85)
	between(t, "project role share", float64(project)/float64(st.Roles), 0.08, 0.22)
	between(t, "missing rate", float64(st.Missing)/float64(st.Planted), 0.005, 0.015)
	between(t, "extra rate", float64(st.Extra)/float64(st.Planted), 0.01, 0.02)
	between(t, "mover share", float64(st.Movers)/float64(st.Humans), 0.03, 0.05)
	if st.Stale == 0 {
		t.Error("no stale access")
	}
	for _, r := range d.roles {
		if r.Validations < 0 || r.Validations > 3 || r.Category == "" {
			t.Errorf("role %+v: validations outside 0..3 or no category", r)
		}
	}
}

func TestIdentityNaming(t *testing.T) {
	d := loadTierS(t)
	human := regexp.MustCompile(`^u\d{7}$`)
	nhi := regexp.MustCompile(`^(svc|key|wl)-(.+)-(prod|staging|dev|test)-\d+$`)
	prefix := map[string]string{"service_account": "svc", "api_key": "key", "workload": "wl"}
	ids := map[string]bool{}
	for i := range d.idents {
		r := &d.idents[i]
		if ids[r.IdentityID] {
			t.Fatalf("duplicate identity_id %s", r.IdentityID)
		}
		ids[r.IdentityID] = true
		if r.Kind == "human" {
			if !human.MatchString(r.IdentityID) || r.Department == "" || r.Title == "" || r.Email == "" || r.Team == "" ||
				r.Application != "" || r.Environment != "" || r.OwnerTeam != "" {
				t.Fatalf("human %+v", *r)
			}
			continue
		}
		m := nhi.FindStringSubmatch(r.IdentityID)
		if m == nil || m[1] != prefix[r.Kind] || m[2] != r.Application || m[3] != r.Environment {
			t.Fatalf("non-human %+v: id does not follow <kind>-<app>-<env>-<n>", *r)
		}
		if r.Department != "" || r.Title != "" || r.Email != "" || r.Manager != "" || r.Team != "" {
			t.Fatalf("non-human %+v has human attributes", *r)
		}
	}
	for i := range d.idents {
		if m := d.idents[i].Manager; m != "" && !ids[m] {
			t.Fatalf("manager %s of %s is not an identity", m, d.idents[i].IdentityID)
		}
	}
}

func TestPlantedRules(t *testing.T) {
	d := loadTierS(t)
	held := map[pair]bool{}
	for _, a := range d.asg {
		held[pair{a.IdentityID, a.RoleID}] = true
	}
	missing := map[pair]bool{}
	for _, n := range d.truth.Noise {
		if n.Type == truth.NoiseMissing {
			missing[pair{n.IdentityID, n.RoleID}] = true
		}
	}
	attrs := map[string]bool{"kind": true}
	for _, a := range identityHeader[2:] {
		attrs[a] = true
	}
	for _, r := range d.truth.Roles {
		if r.Type != truth.TypeRule {
			continue
		}
		for _, p := range r.Rules {
			if len(p.Criteria) < 1 || len(p.Criteria) > 3 {
				t.Errorf("role %s: rule with %d terms", r.RoleID, len(p.Criteria))
			}
			for k, c := range p.Criteria {
				if !attrs[c.Attribute] || (k > 0 && c.Attribute <= p.Criteria[k-1].Attribute) {
					t.Errorf("role %s: criteria %v not on distinct known attributes in order", r.RoleID, p.Criteria)
				}
			}
			n := 0
			for i := range d.idents {
				id := &d.idents[i]
				if !plantedMatch(id, p) {
					continue
				}
				n++
				key := pair{id.IdentityID, r.RoleID}
				if held[key] == missing[key] {
					t.Fatalf("%s matches a planted rule of %s: held %v, missing %v", id.IdentityID, r.RoleID, held[key], missing[key])
				}
			}
			if n < minGroup {
				t.Errorf("role %s: planted rule %+v selects %d identities, want at least %d", r.RoleID, p, n, minGroup)
			}
		}
	}
}

func TestNoiseConsistent(t *testing.T) {
	d := loadTierS(t)
	held := map[pair]bool{}
	for _, a := range d.asg {
		held[pair{a.IdentityID, a.RoleID}] = true
	}
	byID := map[string]*identityRow{}
	for i := range d.idents {
		byID[d.idents[i].IdentityID] = &d.idents[i]
	}
	roles := map[string]truth.Role{}
	for _, r := range d.truth.Roles {
		roles[r.RoleID] = r
	}
	counts := map[string]int64{}
	seen := map[pair]bool{}
	for _, n := range d.truth.Noise {
		key := pair{n.IdentityID, n.RoleID}
		if seen[key] {
			t.Fatalf("noise %v listed twice", key)
		}
		seen[key] = true
		counts[n.Type]++
		r, ok := roles[n.RoleID]
		id := byID[n.IdentityID]
		if !ok || r.Type != truth.TypeRule || id == nil {
			t.Fatalf("noise %+v: unknown identity or not a rule role", n)
		}
		matches := slices.ContainsFunc(r.Rules, func(p truth.Rule) bool { return plantedMatch(id, p) })
		switch n.Type {
		case truth.NoiseMissing:
			if held[key] || !matches {
				t.Fatalf("missing %+v: held %v, planted %v", n, held[key], matches)
			}
		default:
			if !held[key] || matches {
				t.Fatalf("%s %+v: held %v, planted on final attributes %v", n.Type, n, held[key], matches)
			}
		}
		if n.Type == truth.NoiseStale && id.Kind != "human" {
			t.Fatalf("stale %+v on a non-human", n)
		}
	}
	st := d.stats
	if counts["missing"] != st.Missing || counts["extra"] != st.Extra || counts["stale"] != st.Stale {
		t.Errorf("noise file counts %v, stats missing %d extra %d stale %d", counts, st.Missing, st.Extra, st.Stale)
	}
}

func TestProjectRolesUnexplainable(t *testing.T) {
	d := loadTierS(t)
	project := map[string]bool{}
	for _, r := range d.truth.Roles {
		if r.Type == truth.TypeProject {
			project[r.RoleID] = true
		}
	}
	byID := map[string]*identityRow{}
	cell := map[string]int{}
	cellAttrs := []string{"department", "team", "title", "location", "employment_type", "cost_center", "manager"}
	for i := range d.idents {
		r := &d.idents[i]
		byID[r.IdentityID] = r
		for _, a := range cellAttrs {
			if v := attr(r, a); v != "" {
				cell[a+"="+v]++
			}
		}
	}
	holders := map[string][]string{}
	for _, a := range d.asg {
		if project[a.RoleID] {
			holders[a.RoleID] = append(holders[a.RoleID], a.IdentityID)
		}
	}
	small, handful := 0, 0
	for role := range project {
		hs := holders[role]
		switch {
		case len(hs) == 0:
			t.Errorf("project role %s has no holder", role)
		case len(hs) <= 2:
			small++
		default:
			handful++
		}
		inCell := map[string]int{}
		depts := map[string]bool{}
		for _, h := range hs {
			r := byID[h]
			depts[r.Department] = true
			for _, a := range cellAttrs {
				if v := attr(r, a); v != "" {
					inCell[a+"="+v]++
				}
			}
		}
		if len(hs) > 2 && len(depts) < 2 {
			t.Errorf("project role %s: holders from %d department(s)", role, len(depts))
		}
		for c, n := range inCell {
			if pop := cell[c]; pop >= 3 && float64(n) > 0.3*float64(pop) {
				t.Errorf("project role %s: %d of %d identities of %s", role, n, pop, c)
			}
		}
	}
	if small == 0 || handful == 0 {
		t.Errorf("%d roles with one or two holders, %d with a handful; want both", small, handful)
	}
}

func TestCSVFormat(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(context.Background(), Options{Out: dir, Identities: 1000, Seed: 3, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name   string
		header []string
		rows   int64
	}{
		{"identities.csv", identityHeader, int64(st.Identities)},
		{"roles.csv", roleHeader, int64(st.Roles)},
		{"assignments.csv", assignmentHeader, st.Assignments},
		{"truth/noise.csv", model.NoiseHeader, st.Missing + st.Extra + st.Stale},
	} {
		fh, err := os.Open(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if !slices.Equal(recs[0], f.header) || int64(len(recs)-1) != f.rows {
			t.Errorf("%s: header %v, %d rows; want %v, %d", f.name, recs[0], len(recs)-1, f.header, f.rows)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"tier", Options{Out: dir, Tier: "XXL"}, "tier"},
		{"format", Options{Out: dir, Format: "json"}, "format"},
		{"no out", Options{}, "output directory"},
		{"negative", Options{Out: dir, Identities: -1}, "negative"},
		{"too few", Options{Out: dir, Identities: 10}, "at least"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(context.Background(), tc.opts)
			if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v: want a user error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Options{Out: dir, Identities: 1000})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "assignments.parquet")); err == nil {
		t.Error("assignments written despite cancellation")
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		opts     Options
		n, roles int
		tier     string
	}{
		{Options{}, 10_000, 500, "S"},
		{Options{Tier: "l"}, 1_000_000, 50_000, "L"},
		{Options{Tier: "XL"}, 5_000_000, 100_000, "XL"},
		{Options{Tier: "M", Identities: 20_000}, 20_000, 1_000, "M"},
		{Options{Identities: 2_000, Roles: 77}, 2_000, 77, "S"},
	}
	for _, tc := range tests {
		n, roles, tier, err := sizes(tc.opts)
		if err != nil || n != tc.n || roles != tc.roles || tier != tc.tier {
			t.Errorf("sizes(%+v) = %d, %d, %q, %v; want %d, %d, %q", tc.opts, n, roles, tier, err, tc.n, tc.roles, tc.tier)
		}
	}
}
