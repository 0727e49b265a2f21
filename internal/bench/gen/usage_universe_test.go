package gen

import (
	"cmp"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/usage"
)

// universePair is one direct pair of a universe recomputed from its CSV files.
type universePair struct {
	last    int64 // Unix seconds; usage.Never.Sec: no date
	account [2]string
	system  string
}

// TestUsageUniversePlanted generates a universe with usage and recomputes its usage
// truth from the CSV files as docs/excess-privilege.md states it, without the loader:
// each row's identity (named, or its account's), each direct pair's latest date and
// system (the smallest account's system, else the role's application), the systems with
// a date, the as-of; inherited pairs found by walking role_grants from the directly held
// roles, each taking the state of the held role with the shortest chain to it (ties: the
// smallest role id). Every role gen --universe writes has an application, so an inherited
// pair's system is its own role's.
func TestUsageUniversePlanted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "u")
	if _, err := Generate(context.Background(), Options{Out: dir, Identities: 4000, Seed: 5, Format: "csv", Usage: true, Universe: true}); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []map[string]string { return readCSVRows(t, filepath.Join(dir, name)) }
	idents := read("identities.csv")
	kind := map[string]string{}
	for _, r := range idents {
		kind[r["identity_id"]] = r["kind"]
	}
	app := map[string]string{}
	for _, r := range read("roles.csv") {
		if app[r["role_id"]] = r["application"]; r["application"] == "" {
			t.Fatalf("role %s has no application", r["role_id"])
		}
	}
	owner := map[[2]string]string{}
	for _, r := range read("accounts.csv") {
		owner[[2]string{r["system"], r["account_id"]}] = r["identity_id"]
	}
	pairs := map[[2]string]*universePair{}
	held := map[string][]string{}
	for _, r := range read("assignments.csv") {
		acct := [2]string{r["system"], r["account_id"]}
		id := r["identity_id"]
		if id == "" {
			id = owner[acct]
		}
		if kind[id] == "" {
			continue // orphan access
		}
		key := [2]string{id, r["role_id"]}
		p := pairs[key]
		if p == nil {
			p = &universePair{last: usage.Never.Sec}
			pairs[key] = p
			held[id] = append(held[id], r["role_id"])
		}
		if r["last_used"] != "" {
			at, err := usage.Parse(r["last_used"])
			if err != nil {
				t.Fatal(err)
			}
			p.last = max(p.last, at.Sec)
		}
		if r["account_id"] != "" && (p.account == [2]string{} || cmp.Or(cmp.Compare(acct[0], p.account[0]), cmp.Compare(acct[1], p.account[1])) < 0) {
			p.account = acct
		}
	}
	asOf, dated := usage.Never.Sec, map[string]bool{}
	for key, p := range pairs {
		if p.system = app[key[1]]; p.account != [2]string{} {
			p.system = p.account[0]
		}
		if p.last != usage.Never.Sec {
			asOf, dated[p.system] = max(asOf, p.last), true
		}
	}
	stateOf := func(p *universePair) usage.State {
		switch {
		case !dated[p.system]:
			return usage.Unknown
		case p.last == usage.Never.Sec || asOf-p.last > usage.DefaultUnusedDays*daySeconds:
			return usage.Unused
		}
		return usage.Used
	}
	grants := map[string][]string{}
	for _, r := range read("role_grants.csv") {
		grants[r["role_id"]] = append(grants[r["role_id"]], r["grants_role_id"])
	}
	want := truth.Usage{ByKind: map[string]*usage.Counts{}, BySystem: map[string]*usage.Counts{}}
	wantUnused := map[[2]string]bool{}
	inherited := 0
	for id, roles := range held {
		isHeld := map[string]bool{}
		for _, r := range roles {
			isHeld[r] = true
			s := stateOf(pairs[[2]string{id, r}])
			count(&want, kind[id], pairs[[2]string{id, r}].system, s)
			if s == usage.Unused {
				wantUnused[[2]string{id, r}] = true
			}
		}
		// Shortest chain from each held role (breadth first), the smallest source on ties.
		type reach struct {
			dist int
			src  string
		}
		best := map[string]reach{}
		for _, s := range roles {
			dist := map[string]int{s: 0}
			for queue := []string{s}; len(queue) > 0; queue = queue[1:] {
				for _, g := range grants[queue[0]] {
					if _, seen := dist[g]; !seen {
						dist[g] = dist[queue[0]] + 1
						queue = append(queue, g)
					}
				}
			}
			for r, d := range dist {
				if b, ok := best[r]; d > 0 && (!ok || d < b.dist || d == b.dist && s < b.src) {
					best[r] = reach{d, s}
				}
			}
		}
		for r, b := range best {
			if !isHeld[r] {
				inherited++
				count(&want, kind[id], app[r], stateOf(pairs[[2]string{id, b.src}]))
			}
		}
	}
	got, err := truth.LoadUsage(filepath.Join(dir, "truth"))
	if err != nil {
		t.Fatal(err)
	}
	if inherited == 0 {
		t.Fatal("no inherited pair planted")
	}
	if got.AsOf != usage.Format(usage.Unix(asOf)) || got.Counts != want.Counts || !reflect.DeepEqual(got.ByKind, want.ByKind) || !reflect.DeepEqual(got.BySystem, want.BySystem) {
		js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		t.Errorf("usage truth %s %+v %s %s\nrecomputed %s %+v %s %s", got.AsOf, got.Counts, js(got.ByKind), js(got.BySystem),
			usage.Format(usage.Unix(asOf)), want.Counts, js(want.ByKind), js(want.BySystem))
	}
	if !reflect.DeepEqual(got.UnusedPairs, wantUnused) {
		t.Errorf("%d unused direct pairs in the truth, %d recomputed", len(got.UnusedPairs), len(wantUnused))
	}
	// The system without usage data: its direct pairs are unknown; its inherited pairs
	// take their sources' states, so some may be used or unused.
	if c := got.BySystem[universeUnknownUsageSystem]; dated[universeUnknownUsageSystem] || c == nil || c.Unknown == 0 ||
		!reflect.DeepEqual(got.UnknownSystems, []string{universeUnknownUsageSystem}) {
		t.Errorf("system %s: dated %v, %+v, unknown systems %v: want no date, unknown usage", universeUnknownUsageSystem,
			dated[universeUnknownUsageSystem], c, got.UnknownSystems)
	}
	checkOwners(t, dir, idents, kind, nil, got)
	// Planted over-privileged: every identity holding planted hidden inherited access is
	// listed, as hidden unless it is dormant or holds stale access.
	hiddenIDs := map[string]bool{}
	for _, r := range read("truth/hidden.csv") {
		hiddenIDs[r["identity_id"]] = true
	}
	nHidden := 0
	for id := range hiddenIDs {
		switch got.Planted[id] {
		case truth.ReasonHidden:
			nHidden++
		case truth.ReasonDormant, truth.ReasonStale:
		default:
			t.Errorf("%s holds planted hidden inherited access but is listed as %q", id, got.Planted[id])
		}
	}
	for id, reason := range got.Planted {
		if reason == truth.ReasonHidden && !hiddenIDs[id] {
			t.Errorf("%s listed as hidden without planted hidden access", id)
		}
	}
	if nHidden == 0 {
		t.Error("no identity over-privileged for hidden inherited access")
	}
}

// count adds one pair of identity kind k in system sys with state s to u.
func count(u *truth.Usage, k, sys string, s usage.State) {
	for _, c := range []struct {
		m   map[string]*usage.Counts
		key string
	}{{u.ByKind, k}, {u.BySystem, sys}} {
		if c.m[c.key] == nil {
			c.m[c.key] = &usage.Counts{}
		}
		c.m[c.key].Add(s)
	}
	u.Add(s)
}
