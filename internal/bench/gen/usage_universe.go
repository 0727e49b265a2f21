package gen

// Usage planted on a universe (`rolemine gen --usage --universe`,
// docs/excess-privilege.md#generated): the dates go on the direct grants as on flat data,
// and the assignments keep the account columns gen --universe wrote; the owners are the
// ones gen --universe planted. The truth counts every effective pair: an inherited pair
// has the state of the direct pair its chain starts at and the system
// docs/effective-privilege.md gives it.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/usage"
)

// universeUnknownUsageSystem is the system of a universe whose feed reports no usage.
const universeUnknownUsageSystem = incompleteSystem

// usedAccountAssignmentRow is a universe's assignments row with its last use.
type usedAccountAssignmentRow struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
	System     string `parquet:"system,dict"`
	AccountID  string `parquet:"account_id,dict"`
	LastUsed   string `parquet:"last_used,dict"`
}

func (r *usedAccountAssignmentRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.RoleID, r.System, r.AccountID, r.LastUsed)
}

// universeInherited calls fn with the system and usage state of each inherited pair of
// identity i (nothing without role grants). The state is that of the direct pair the
// chain starts at; the system is the application of the nearest role with one on the
// chain, walking back from the inherited role (the start excluded), else the start's.
func (p *usagePlant) universeInherited(i int, fn func(sys string, s usage.State)) {
	if p.eff == nil {
		return
	}
	snap, pairs := p.snap, p.eff.Pairs
	lo, hi := pairs.Of(i)
	for k := lo; k < hi; k++ {
		if pairs.KindAt(k) != effective.Inherited {
			continue
		}
		src, _ := slices.BinarySearch(snap.RolesOf(i), pairs.SourceAt(k))
		d := snap.IdentOff[i] + int64(src)
		sys := p.pairSystem(d)
		chain := p.eff.Closure.Via(pairs.SourceAt(k), pairs.Role[k])
		for x := len(chain) - 1; x > 0; x-- {
			if a := snap.Roles.Application[chain[x]]; a != "" {
				sys = a
				break
			}
		}
		fn(sys, p.stateOf(d))
	}
}

// rewriteUniverseAssignments rewrites a universe's assignments with last_used: each row
// gets the planted last use of the direct pair it grants, rows of orphan access none.
func (p *usagePlant) rewriteUniverseAssignments(dir, format string) error {
	rows, err := readAccountAssignments(filepath.Join(dir, "assignments."+format), format)
	if err != nil {
		return err
	}
	snap := p.snap
	identOf := make(map[string]int, snap.NumIdentities())
	for i, id := range snap.IdentityIDs {
		identOf[id] = i
	}
	dates := p.dates()
	out := make([]usedAccountAssignmentRow, len(rows))
	for n, r := range rows {
		out[n] = usedAccountAssignmentRow{r.IdentityID, r.RoleID, r.System, r.AccountID, ""}
		if k := p.rowPair(r, identOf); k >= 0 {
			out[n].LastUsed = dates[p.last[k]+2]
		}
	}
	return writeTable[usedAccountAssignmentRow](dir, "assignments", format,
		[]string{"identity_id", "role_id", "system", "account_id", "last_used"}, out)
}

// rowPair returns the CSR position of the direct pair an assignments row grants (the
// identity it names, else the identity its account is correlated to), or -1 for orphan
// access.
func (p *usagePlant) rowPair(r accountAssignmentRow, identOf map[string]int) int64 {
	snap := p.snap
	i, ok := identOf[r.IdentityID]
	if r.IdentityID == "" {
		a := snap.Universe.Accounts
		x := a.Find(r.System, r.AccountID)
		if x < 0 || a.Identity[x] < 0 {
			return -1
		}
		i, ok = int(a.Identity[x]), true
	}
	if !ok {
		return -1
	}
	role, found := slices.BinarySearch(snap.Roles.IDs, r.RoleID)
	if !found {
		return -1
	}
	pos, held := slices.BinarySearch(snap.RolesOf(i), int32(role))
	if !held {
		return -1
	}
	return snap.IdentOff[i] + int64(pos)
}

// readAccountAssignments reads back the assignments gen --universe wrote.
func readAccountAssignments(path, format string) ([]accountAssignmentRow, error) {
	if format == "parquet" {
		rows, err := parquet.ReadFile[accountAssignmentRow](path)
		if err != nil {
			return nil, fmt.Errorf("gen --usage: read %s: %w", path, err)
		}
		return rows, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gen --usage: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("gen --usage: read %s: %w", path, err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], []string{"identity_id", "role_id", "system", "account_id"}) {
		return nil, fmt.Errorf("gen --usage: %s: not the assignments gen --universe writes", path)
	}
	rows := make([]accountAssignmentRow, len(recs)-1)
	for n, r := range recs[1:] {
		rows[n] = accountAssignmentRow{IdentityID: r[0], RoleID: r[1], System: r[2], AccountID: r[3]}
	}
	return rows, nil
}

// readHiddenIdentities returns the identities of the planted hidden inherited pairs gen
// --universe wrote (truth/hidden.csv; none when it wrote no such file).
func readHiddenIdentities(truthDir string) (map[string]bool, error) {
	path := filepath.Join(truthDir, model.HiddenFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gen --usage: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 || !slices.Equal(recs[0], model.HiddenHeader) {
		return nil, fmt.Errorf("gen --usage: read %s: %v (want the header %v)", path, err, model.HiddenHeader)
	}
	ids := map[string]bool{}
	for _, r := range recs[1:] {
		ids[r[0]] = true
	}
	return ids, nil
}
