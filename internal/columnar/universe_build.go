package columnar

import (
	"cmp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/rolemine/rolemine/internal/usage"
)

// universeBuild carries the optional inputs through Load: prepare runs before the
// identities, roles and assignments are built, finish after.
type universeBuild struct {
	u        *Universe
	accounts *table
	grants   *table
	attrs    *table
	// rows: how each assignments row was resolved (nil without account columns), with
	// its role code and identity key code captured before buildAssignments reuses them
	// (with account columns or last_used).
	rows     []int32
	rowRole  []int32
	rowIdent []int32
	// rowUsed is each assignments row's last_used as an index into u.Dates, -1 for none
	// (nil without the column).
	rowUsed []int32
	// keyIdent is the identity index of each assignments identity code (-1: unknown),
	// built once so that resolving a row looks no string up.
	keyIdent []int32
	// lists are the identities' Parquet list columns.
	lists []*listColumn
}

// takeOwners takes the reserved owner_id column off the identities and returns each
// identity's owner ("" for none), or nil without the column.
func takeOwners(ids *table) []string {
	owner := ids.col(OwnerColumn)
	if owner == nil {
		return nil
	}
	owners := make([]string, ids.rows)
	for i := range owners {
		owners[i] = owner.value(i)
	}
	ids.cols = slices.DeleteFunc(ids.cols, func(c *column) bool { return c == owner })
	return owners
}

// prepareUniverse starts the universe of the optional tables (accounts, role_grants,
// attributes, any of them nil) and of the reserved owner_id column (owners, from
// takeOwners): it resolves assignment rows naming accounts, and adds roles named only by
// grants to the assignments' role dictionary so that buildRoles creates them. It returns
// nil when there is nothing of the kind, leaving flat inputs untouched. It reads the
// identities' identity_id column only, so buildIdentities may run at the same time.
func prepareUniverse(ids, asg *table, opt []*table, owners []string) (*universeBuild, error) {
	accountCols := asg.col("account_id") != nil || asg.col("system") != nil
	lastUsed := asg.col(LastUsedColumn)
	if owners == nil && !accountCols && lastUsed == nil && opt[0] == nil && opt[1] == nil && opt[2] == nil && len(ids.lists) == 0 {
		return nil, nil
	}
	b := &universeBuild{u: &Universe{Owners: owners}, accounts: opt[0], grants: opt[1], attrs: opt[2], lists: ids.lists}
	identIdx := identityIndex(ids.col("identity_id").vals)
	f := &b.u.Findings
	if b.accounts != nil {
		var asgIDs []string
		if c := asg.col("account_id"); c != nil {
			asgIDs = c.vals
		}
		a, err := buildAccounts(b.accounts, identIdx, asgIDs, f)
		if err != nil {
			return nil, err
		}
		b.u.Accounts = a
	}
	if accountCols {
		rows, err := resolveAccounts(asg, b.u.Accounts, ids.col("identity_id").vals, identIdx, f)
		if err != nil {
			return nil, err
		}
		b.rows = rows
		if a := b.u.Accounts; a != nil {
			a.codeAccount, a.sameID = nil, nil // only for resolving; let the GC have them
		}
	}
	if lastUsed != nil {
		used, dates, err := parseLastUsed(asg, lastUsed)
		if err != nil {
			return nil, err
		}
		b.rowUsed, b.u.Dates = used, dates
	}
	if accountCols || lastUsed != nil {
		b.rowIdent = slices.Clone(asg.col("identity_id").codes)
		b.rowRole = slices.Clone(asg.col("role_id").codes)
	}
	if b.grants != nil {
		rc := asg.col("role_id")
		for _, name := range []string{"role_id", "grants_role_id"} {
			c := b.grants.col(name)
			for _, v := range c.vals {
				if _, ok := rc.ids[v]; !ok {
					rc.ids[v] = int32(len(rc.vals))
					rc.vals = append(rc.vals, v)
				}
			}
		}
	}
	return b, nil
}

// dimensions merges the multi-valued attributes (identities' list columns and the
// attributes file) into the dimensions. It needs the identities built and nothing of the
// assignments, so Load runs it beside buildAssignments.
func (b *universeBuild) dimensions(s *Snapshot, identIdx identityIndex, opts LoadOptions) error {
	for _, lc := range b.lists {
		putDimension(s, multiDimension(lc.name, lc.vals), slices.Contains(opts.ExcludeDimensions, lc.name))
	}
	if len(b.lists) > 0 {
		rebuildSkipped(s)
	}
	if b.attrs != nil {
		return mergeAttributes(s, b.attrs, identIdx, opts.ExcludeDimensions, &b.u.Findings)
	}
	return nil
}

// finish completes the universe once the snapshot is built: orphan access through
// accounts named, each direct pair's account, and grants as role indices. keys is the
// assignments' identity_id column as buildAssignments read it.
func (b *universeBuild) finish(s *Snapshot, keys *column, identIdx identityIndex, asgRole []int32) {
	s.Universe = b.u
	if b.rowIdent != nil {
		b.keyIdent = identityCodes(keys, identIdx)
	}
	if b.rows != nil {
		nameOrphans(s)
		b.pairAccounts(s, asgRole)
	}
	if b.rowUsed != nil {
		b.pairLastUsed(s, asgRole)
	}
	if b.grants != nil {
		b.roleGrants(s)
	}
}

// nameOrphans turns the account keys of orphan access (orphanKey) back into identity and
// account, and restores the orphan order: by identity id, system, account, role.
func nameOrphans(s *Snapshot) {
	for k := range s.Orphans {
		o := &s.Orphans[k]
		if rest, ok := strings.CutPrefix(o.IdentityID, "\x00"); ok {
			parts := strings.SplitN(rest, "\x00", 3)
			o.IdentityID, o.System, o.AccountID = parts[0], parts[1], parts[2]
		}
	}
	slices.SortFunc(s.Orphans, func(a, b Orphan) int {
		return cmp.Or(strings.Compare(a.IdentityID, b.IdentityID), strings.Compare(a.System, b.System),
			strings.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Role, b.Role))
	})
	s.Findings.OrphanIdentities = s.Findings.OrphanIdentities[:0]
	for k, o := range s.Orphans {
		if o.IdentityID != "" && (k == 0 || s.Orphans[k-1].IdentityID != o.IdentityID) {
			s.Findings.OrphanIdentities = append(s.Findings.OrphanIdentities, o.IdentityID)
		}
	}
}

// pairAccounts records, for each direct pair granted through an account, the lexically
// smallest such account (accounts are sorted, so the smallest index). Blocks of rows run
// in parallel; the smallest is kept whatever order they come in.
func (b *universeBuild) pairAccounts(s *Snapshot, asgRole []int32) {
	pa := make([]int32, len(s.IdentIdx))
	for k := range pa {
		pa[k] = -1
	}
	var any atomic.Bool
	blocks := splitEven(len(b.rows), 4*runtime.GOMAXPROCS(0))
	forEach(len(blocks)-1, func(x int) {
		for row := blocks[x]; row < blocks[x+1]; row++ {
			acct := b.rows[row]
			if acct < 0 {
				continue
			}
			if k := b.pairOf(s, row, asgRole); k >= 0 {
				keepExtreme(&pa[k], acct, func(old, v int32) bool { return old < 0 || v < old })
				any.Store(true)
			}
		}
	})
	if any.Load() {
		b.u.PairAccount = pa
	}
}

// keepExtreme stores v at p unless the value there is better (better(old, v) false), by
// compare-and-swap: rows of one pair may meet in two blocks.
func keepExtreme(p *int32, v int32, better func(old, v int32) bool) {
	for {
		old := atomic.LoadInt32(p)
		if !better(old, v) || atomic.CompareAndSwapInt32(p, old, v) {
			return
		}
	}
}

// pairOf returns the CSR position (in Snapshot.IdentIdx) of the direct pair assignments
// row grants, or -1 for orphan access.
func (b *universeBuild) pairOf(s *Snapshot, row int, asgRole []int32) int64 {
	if b.rowIdent[row] < 0 {
		return -1
	}
	i := b.keyIdent[b.rowIdent[row]]
	if i < 0 {
		return -1
	}
	r := asgRole[b.rowRole[row]]
	p, found := slices.BinarySearch(s.RolesOf(int(i)), r)
	if !found {
		return -1
	}
	return s.IdentOff[i] + int64(p)
}

// pairLastUsed records, for each direct pair, the latest last_used of its rows (-1 when
// none has a date), blocks of rows in parallel.
func (b *universeBuild) pairLastUsed(s *Snapshot, asgRole []int32) {
	lu := make([]int32, len(s.IdentIdx))
	for k := range lu {
		lu[k] = -1
	}
	blocks := splitEven(len(b.rowUsed), 4*runtime.GOMAXPROCS(0))
	forEach(len(blocks)-1, func(x int) {
		for row := blocks[x]; row < blocks[x+1]; row++ {
			if d := b.rowUsed[row]; d >= 0 {
				if k := b.pairOf(s, row, asgRole); k >= 0 {
					keepExtreme(&lu[k], d, func(old, v int32) bool { return v > old })
				}
			}
		}
	})
	b.u.LastUsed = lu
	b.rowUsed = nil
}

// parseLastUsed parses each distinct last_used value once and returns each row's date as
// an index into the distinct dates (ascending Unix seconds; -1 for an empty value).
// Malformed dates are data errors naming their rows.
func parseLastUsed(t *table, c *column) ([]int32, []int64, error) {
	parsed := make([]int64, len(c.vals))
	bad := make([]error, len(c.vals))
	for code, v := range c.vals {
		parsed[code], bad[code] = usage.Parse(v)
	}
	dates := make([]int64, 0, len(parsed))
	for code, d := range parsed {
		if bad[code] == nil {
			dates = append(dates, d)
		}
	}
	slices.Sort(dates)
	dates = slices.Compact(dates)
	index := make([]int32, len(parsed))
	for code, d := range parsed {
		k, _ := slices.BinarySearch(dates, d)
		index[code] = int32(k)
	}
	probs := newProblems(t.file)
	out := make([]int32, t.rows)
	for row, code := range c.codes {
		switch {
		case code < 0:
			out[row] = -1
		case bad[code] != nil:
			probs.add(t.pos(row), LastUsedColumn, bad[code].Error())
		default:
			out[row] = index[code]
		}
	}
	return out, dates, probs.err()
}

// roleGrants turns the role_grants rows into role indices (sorted, deduplicated) and
// counts the roles only grants name.
func (b *universeBuild) roleGrants(s *Snapshot) {
	t := b.grants
	from, to := t.col("role_id"), t.col("grants_role_id")
	index := func(id string) int32 {
		k, _ := slices.BinarySearch(s.Roles.IDs, id)
		return int32(k)
	}
	named := map[int32]bool{}
	for row := 0; row < t.rows; row++ {
		g := RoleGrant{From: index(from.value(row)), To: index(to.value(row))}
		b.u.Grants = append(b.u.Grants, g)
		named[g.From], named[g.To] = true, true
	}
	slices.SortFunc(b.u.Grants, func(x, y RoleGrant) int {
		return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To))
	})
	b.u.Grants = slices.Compact(b.u.Grants)
	// Implicit roles that nobody holds directly were brought in by grants alone.
	for r := range named {
		if s.Roles.Implicit[r] && len(s.Holders(int(r))) == 0 {
			b.u.Findings.ImplicitGrantRoles++
		}
	}
}
