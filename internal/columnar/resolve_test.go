package columnar

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestResolveAccountsMatchesRowByRow: resolveAccounts, which takes a row naming its
// system's last account from the row before (resolveBlock), resolves every row as
// resolve does given that row alone, with nothing remembered: the same account, the same
// identity key (orphan keys included), the same unknown accounts and the same data
// errors. The rows come in runs of one account repeated, with and without an
// identity_id, over accounts of known identities, of unknown ones, uncorrelated and
// absent from the accounts file, in systems with and without accounts.
func TestResolveAccountsMatchesRowByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	identIDs := []string{"u0", "u1", "u2", "u3"}
	idx := newIdentityIndex(identIDs)
	people := []string{"", "u0", "u1", "u2", "u3", "ghost"}
	errs := 0
	for round := range 300 {
		accts, asgIDs := randomAccounts(rng, people, idx)
		asg := randomAccountRows(rng, people, asgIDs, round%3 == 0)
		want := cloneTable(asg)
		wantRows, wantKeys, wantUnknown, wantErr := resolveRowByRow(want, accts, identIDs, idx)

		var f UniverseFindings
		gotRows, err := resolveAccounts(asg, accts, identIDs, idx, &f)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("round %d: error %v, want %v", round, err, wantErr)
		}
		if err != nil {
			errs++
			continue
		}
		key := asg.col("identity_id")
		gotKeys := make([]string, asg.rows)
		for row := range gotKeys {
			gotKeys[row] = key.vals[key.codes[row]]
		}
		if !slices.Equal(gotRows, wantRows) || !slices.Equal(gotKeys, wantKeys) || f.UnknownAccountAssignments != wantUnknown {
			t.Fatalf("round %d: accounts %v keys %q unknown %d, want %v %q %d",
				round, gotRows, gotKeys, f.UnknownAccountAssignments, wantRows, wantKeys, wantUnknown)
		}
	}
	if errs == 0 || errs > 200 {
		t.Fatalf("%d of 300 rounds had data errors: the rows test too little", errs)
	}
}

// randomAccounts returns accounts a0..a5 in systems AD and SAP (some left out), each
// correlated to one of people or to none, and the assignments' account_id values by
// code (a0..a7: a6 and a7 are no account).
func randomAccounts(rng *rand.Rand, people []string, idx *identityIndex) (*Accounts, []string) {
	at := &table{file: "accounts.csv"}
	sc := newColumn("system", modeRequired, nil, 0)
	ac := newColumn("account_id", modeRequired, nil, 0)
	ic := newColumn("identity_id", modeValue, nil, 0)
	for _, sys := range []string{"SAP", "AD"} {
		for k := range 6 {
			if rng.IntN(4) == 0 {
				continue
			}
			sc.codes = append(sc.codes, sc.internString(sys))
			ac.codes = append(ac.codes, ac.internString(fmt.Sprintf("a%d", k)))
			ic.codes = append(ic.codes, ic.internString(people[rng.IntN(len(people))]))
			at.rows++
		}
	}
	at.cols = []*column{sc, ac, ic}
	asgIDs := []string{"a3", "a0", "a1", "a2", "a6", "a4", "a5", "a7"}
	var f UniverseFindings
	accts, err := buildAccounts(at, nil, idx, asgIDs, &f)
	if err != nil {
		panic(err)
	}
	return accts, asgIDs
}

// randomAccountRows returns assignment rows in runs of one (identity_id, system,
// account_id) repeated 1 to 4 times; noIdentity: no identity_id column.
func randomAccountRows(rng *rand.Rand, people, asgIDs []string, noIdentity bool) *table {
	t := &table{file: "assignments.csv"}
	ic := newColumn("identity_id", modeValue, nil, 0)
	sc := newColumn("system", modeValue, nil, 0)
	ac := newColumn("account_id", modeValue, nil, 0)
	for _, v := range asgIDs {
		ac.internString(v) // codes in asgIDs' order, as buildAccounts joined them
	}
	for range 1 + rng.IntN(40) {
		person, sys, acct := "", "", ""
		if rng.IntN(8) != 0 {
			sys, acct = []string{"AD", "SAP", "HR"}[rng.IntN(3)], asgIDs[rng.IntN(len(asgIDs))]
		}
		if !noIdentity && (sys == "" || rng.IntN(16) == 0) {
			person = people[rng.IntN(len(people))]
		}
		if person == "" && sys == "" {
			person = people[1+rng.IntN(len(people)-1)]
		}
		for range 1 + rng.IntN(4) {
			ic.codes = append(ic.codes, ic.internString(person))
			sc.codes = append(sc.codes, sc.internString(sys))
			ac.codes = append(ac.codes, ac.internString(acct))
			t.rows++
		}
	}
	t.cols = []*column{sc, ac}
	if !noIdentity {
		t.cols = append(t.cols, ic)
	}
	return t
}

// cloneTable copies t's columns with their codes, which resolveAccounts writes over.
func cloneTable(t *table) *table {
	c := *t
	c.cols = nil
	for _, col := range t.cols {
		cc := *col
		cc.codes = slices.Clone(col.codes)
		c.cols = append(c.cols, &cc)
	}
	return &c
}

// resolveRowByRow resolves each row of t by itself (a fresh lastFound per row) and
// returns the rows' accounts, their identity keys as strings (orphanKey for orphan
// access), the count of rows naming an unknown account and the data errors.
func resolveRowByRow(t *table, accts *Accounts, identIDs []string, idx *identityIndex) ([]int32, []string, int, error) {
	r := newAccountResolver(t, accts, identIDs, idx)
	keys := make([]string, t.rows)
	var orphans []orphanRow
	unknown := 0
	for row := range t.rows {
		o := orphanRow{int32(row), r.ic.code(row), r.sc.code(row), r.ac.code(row)}
		status := r.resolve(row, o.icode, o.scode, o.acode, r.newLastFound())
		if status&rowUnknownAccount != 0 {
			unknown++
		}
		if status&rowOrphan != 0 {
			orphans = append(orphans, o)
		} else if k := r.key.codes[row]; k >= 0 {
			keys[row] = identIDs[k]
		}
	}
	if err := r.probs.err(); err != nil {
		return nil, nil, 0, err
	}
	for _, o := range orphans {
		keys[o.row] = r.orphanKey(o)
	}
	return r.rows, keys, unknown, nil
}
