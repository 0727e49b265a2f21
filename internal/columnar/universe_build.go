package columnar

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/usage"
)

// universeBuild carries the optional inputs through Load: prepare runs before the
// identities, roles and assignments are built, finish after.
type universeBuild struct {
	u        *Universe
	accounts *table
	grants   *table
	attrs    *table
	// rows: how each assignments row was resolved (nil without account columns).
	rows []int32
	// rowUsed is each assignments row's last_used as an index into u.Dates, -1 for none
	// (nil without the column).
	rowUsed []int32
	// pairs gets each direct pair's account and last use while the assignments are built
	// (nil without account columns and last_used).
	pairs *pairRows
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
// identities' identity_id column only, so buildIdentities may run at the same time. sa is
// the accounts' sortAccounts (nil: sorted here).
func prepareUniverse(ids, asg *table, opt []*table, sa *sortedAccounts, owners []string, identIdx *identityIndex) (*universeBuild, error) {
	accountCols := asg.col("account_id") != nil || asg.col("system") != nil
	lastUsed := asg.col(LastUsedColumn)
	if owners == nil && !accountCols && lastUsed == nil && opt[0] == nil && opt[1] == nil && opt[2] == nil && len(ids.lists) == 0 {
		return nil, nil
	}
	b := &universeBuild{u: &Universe{Owners: owners}, accounts: opt[0], grants: opt[1], attrs: opt[2], lists: ids.lists}
	f := &b.u.Findings
	if b.accounts != nil {
		var asgIDs []string
		if c := asg.col("account_id"); c != nil {
			asgIDs = c.vals
		}
		a, err := buildAccounts(b.accounts, sa, identIdx, asgIDs, f)
		if err != nil {
			return nil, err
		}
		b.u.Accounts = a
	}
	var spare []int32
	if accountCols {
		if sc := asg.col("system"); sc != nil && len(sc.codes) == asg.rows {
			spare = sc.codes // dead once the rows are resolved
		}
		rows, err := resolveAccounts(asg, b.u.Accounts, ids.col("identity_id").vals, identIdx, f)
		if err != nil {
			return nil, err
		}
		b.rows = rows
		if a := b.u.Accounts; a != nil {
			a.codeAccount, a.links = nil, nil // only for resolving; let the GC have them
		}
		// The rows' accounts and identity keys are resolved: the account columns (millions
		// of strings the collector would scan while the assignments are built) are done.
		asg.cols = slices.DeleteFunc(asg.cols, func(c *column) bool { return c.name == "system" || c.name == "account_id" })
	}
	if b.accounts != nil {
		b.accounts.cols, b.accounts = nil, nil // Accounts holds what is kept of them
	}
	if lastUsed != nil {
		used, dates, err := parseLastUsed(asg, lastUsed)
		if err != nil {
			return nil, err
		}
		b.rowUsed, b.u.Dates = used, dates
	}
	if accountCols || lastUsed != nil {
		b.pairs = &pairRows{acct: b.rows, used: b.rowUsed, spare: spare}
		if a := b.u.Accounts; a != nil {
			b.pairs.acctSystem, b.pairs.systems = a.System, len(a.Systems)
		}
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
func (b *universeBuild) dimensions(s *Snapshot, identIdx *identityIndex, opts LoadOptions) error {
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

// pairRows returns what buildAssignments is to fold each direct pair's rows into (nil for
// none, or for no universe: b nil).
func (b *universeBuild) pairRows() *pairRows {
	if b == nil {
		return nil
	}
	return b.pairs
}

// finish completes the universe once the snapshot is built: orphan access through
// accounts named, each direct pair's account and last use (from buildAssignments, through
// pairs), and grants as role indices.
func (b *universeBuild) finish(s *Snapshot) {
	s.Universe = b.u
	if b.rows != nil {
		nameOrphans(s)
		if slices.ContainsFunc(b.pairs.pairAcct, func(a int32) bool { return a >= 0 }) {
			b.u.PairAccount = b.pairs.pairAcct
		}
	}
	if b.rowUsed != nil {
		b.u.LastUsed = b.pairs.pairUsed
		b.u.DatedSystems, b.u.DatedRoles = b.pairs.datedSystems, b.pairs.datedRoles
	}
	b.rows, b.rowUsed, b.pairs = nil, nil, nil
	if b.grants != nil {
		b.countGrantRoles(s)
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

// parseLastUsed parses each distinct last_used value once and returns each row's date as
// an index into the distinct dates (ascending instants; -1 for an empty value).
// Malformed dates are data errors naming their rows.
func parseLastUsed(t *table, c *column) ([]int32, []usage.Instant, error) {
	parsed := make([]usage.Instant, len(c.vals))
	bad := make([]error, len(c.vals))
	for code, v := range c.vals {
		parsed[code], bad[code] = usage.Parse(v)
	}
	dates := make([]usage.Instant, 0, len(parsed))
	for code, d := range parsed {
		if bad[code] == nil {
			dates = append(dates, d)
		}
	}
	slices.SortFunc(dates, usage.Instant.Compare)
	dates = slices.Compact(dates)
	index := make([]int32, len(parsed))
	for code, d := range parsed {
		k, _ := slices.BinarySearchFunc(dates, d, usage.Instant.Compare)
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

// roleGrants turns the role_grants rows into role indices, sorted and deduplicated
// (u.Grants). roleCode is the assignments' role_id dictionary, to which prepareUniverse
// added every role the grants name, and asgRole the role index of each of its codes
// (buildRoles): each distinct role id of the file is looked up once, and no row needs a
// search of the role table. It needs nothing of the assignments' rows, so Load runs it
// beside buildAssignments.
func (b *universeBuild) roleGrants(roleCode map[string]int32, asgRole []int32) {
	if b.grants == nil {
		return
	}
	t := b.grants
	from, to := t.col("role_id"), t.col("grants_role_id")
	roleOf := func(c *column) []int32 {
		idx := make([]int32, len(c.vals))
		for code, id := range c.vals {
			idx[code] = asgRole[roleCode[id]]
		}
		return idx
	}
	fromRole, toRole := roleOf(from), roleOf(to)
	grants := make([]RoleGrant, t.rows)
	for row := range grants {
		grants[row] = RoleGrant{From: fromRole[from.codes[row]], To: toRole[to.codes[row]]}
	}
	slices.SortFunc(grants, func(x, y RoleGrant) int {
		return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To))
	})
	b.u.Grants = slices.Compact(grants)
}

// countGrantRoles counts the roles only grants name: implicit roles (named by no roles
// file row) that nobody holds directly.
func (b *universeBuild) countGrantRoles(s *Snapshot) {
	named := make([]bool, len(s.Roles.IDs))
	for _, g := range b.u.Grants {
		named[g.From], named[g.To] = true, true
	}
	for r, ok := range named {
		if ok && s.Roles.Implicit[r] && len(s.Holders(r)) == 0 {
			b.u.Findings.ImplicitGrantRoles++
		}
	}
}
