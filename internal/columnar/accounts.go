package columnar

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// buildAccounts turns the accounts table into Accounts, sorted by (system, account_id),
// correlating each to an identity index. A (system, account_id) given twice is a data
// error naming both rows.
//
// asgIDs, when not nil, are the values of the assignments' account_id column by code:
// each code is joined here to the accounts with that account_id (Accounts.codeAccount,
// Accounts.sameID), for resolveAccounts. The accounts' account_id column is raw (one code
// per row), so the join matches codes of the two columns (stringJoin), while the accounts
// are sorted.
func buildAccounts(t *table, identIdx map[string]int32, asgIDs []string, f *UniverseFindings) (*Accounts, error) {
	sc, ac, ic := t.col("system"), t.col("account_id"), t.col("identity_id")
	sysVals, sysRank := sortDict(sc.vals)
	var order []int
	var sorted sync.WaitGroup
	sorted.Go(func() { order = accountOrder(t.rows, sc, ac, sysRank) })
	var head, next []int32
	if asgIDs != nil {
		head, next = stringJoin(ac.vals, asgIDs)
	}
	identOf := identityCodes(ic, identIdx)
	sorted.Wait()

	probs := newProblems(t.file)
	a := &Accounts{Systems: sysVals, System: make([]int32, 0, t.rows), ID: make([]string, 0, t.rows),
		IdentityID: make([]string, 0, t.rows), Identity: make([]int32, 0, t.rows)}
	for n, row := range order {
		id := ac.vals[ac.codes[row]]
		if n > 0 {
			if prev := order[n-1]; sc.codes[prev] == sc.codes[row] && ac.vals[ac.codes[prev]] == id {
				probs.add(t.pos(row), "account_id", fmt.Sprintf("duplicate account %q in system %q (first at row %d); (system, account_id) must be unique",
					id, sc.vals[sc.codes[row]], t.pos(prev)))
				continue
			}
		}
		owner, ident := "", int32(-1)
		switch code := ic.code(row); {
		case code < 0:
			f.UncorrelatedAccounts++
		case identOf[code] >= 0:
			owner, ident = ic.vals[code], identOf[code]
		default:
			owner = ic.vals[code]
			f.AccountsOfUnknownIdentities++
		}
		a.System = append(a.System, sysRank[sc.codes[row]])
		a.ID = append(a.ID, id)
		a.IdentityID = append(a.IdentityID, owner)
		a.Identity = append(a.Identity, ident)
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	if head != nil {
		a.joinCodes(order, ac.codes, head, next)
	}
	return a, nil
}

// joinCodes turns stringJoin's result over the accounts' account_id codes into
// codeAccount and sameID over the accounts (order: the accounts' rows in account order,
// without duplicates).
func (a *Accounts) joinCodes(order []int, codes, head, next []int32) {
	account := make([]int32, len(next)) // account_id code -> account
	for k := range account {
		account[k] = -1
	}
	for x, row := range order {
		account[codes[row]] = int32(x)
	}
	at := func(code int32) int32 {
		if code < 0 {
			return -1
		}
		return account[code]
	}
	a.codeAccount = make([]int32, len(head))
	for k, code := range head {
		a.codeAccount[k] = at(code)
	}
	a.sameID = make([]int32, len(order))
	for x, row := range order {
		a.sameID[x] = at(next[codes[row]])
	}
}

// identityCodes returns the identity index of each value of a column of identity ids (-1
// for an id absent from identIdx): one map lookup per distinct id rather than per row.
// Nil for a nil column.
func identityCodes(c *column, identIdx map[string]int32) []int32 {
	if c == nil {
		return nil
	}
	out := make([]int32, len(c.vals))
	for code, id := range c.vals {
		if i, ok := identIdx[id]; ok {
			out[code] = i
		} else {
			out[code] = -1
		}
	}
	return out
}

// accountOrder returns the rows of the accounts table sorted by (system, account_id),
// ties (a duplicate account) in file order, so that the first row is the one kept. Each
// row is sorted by its system rank and the 8 bytes of its account_id that follow the
// prefix every account_id of its system shares (such as "arn:aws:iam::"), as integers;
// only rows equal on those compare their strings. The systems are sorted in parallel.
func accountOrder(rows int, sc, ac *column, sysRank []int32) []int {
	lcp := make([]string, len(sc.vals)) // per system code: the common prefix so far
	seen := make([]bool, len(sc.vals))
	for row := 0; row < rows; row++ {
		s, v := sc.codes[row], ac.vals[ac.codes[row]]
		if !seen[s] {
			seen[s], lcp[s] = true, v
			continue
		}
		n := 0
		for n < len(lcp[s]) && n < len(v) && lcp[s][n] == v[n] {
			n++
		}
		lcp[s] = lcp[s][:n]
	}
	type key struct {
		row  int32
		word uint64
	}
	// Bucket the rows by system rank (a counting sort, file order within a system), then
	// sort each system's rows on their own, systems in parallel.
	start := make([]int, len(sysRank)+1)
	for row := 0; row < rows; row++ {
		start[sysRank[sc.codes[row]]+1]++
	}
	for r := range sysRank {
		start[r+1] += start[r]
	}
	fill := slices.Clone(start[:len(sysRank)])
	keys := make([]key, rows)
	for row := range rows {
		s, v := sc.codes[row], ac.vals[ac.codes[row]]
		var w uint64
		for j := len(lcp[s]); j < len(lcp[s])+8; j++ {
			w <<= 8
			if j < len(v) {
				w |= uint64(v[j])
			}
		}
		r := sysRank[s]
		keys[fill[r]] = key{row: int32(row), word: w}
		fill[r]++
	}
	forEach(len(sysRank), func(r int) {
		slices.SortFunc(keys[start[r]:start[r+1]], func(a, b key) int {
			if c := cmp.Compare(a.word, b.word); c != 0 {
				return c
			}
			if ca, cb := ac.codes[a.row], ac.codes[b.row]; ca != cb {
				return cmp.Compare(ac.vals[ca], ac.vals[cb])
			}
			return cmp.Compare(a.row, b.row)
		})
	})
	order := make([]int, rows)
	for k := range keys {
		order[k] = int(keys[k].row)
	}
	return order
}

// accountRef is what assignments rows naming one (system, account_id) share: the
// account (-1 when absent from accounts), its identity (id, and index or -1), and the
// identity key of rows that name no identity.
type accountRef struct {
	sys     int32 // system code in the assignments file; -2: not resolved yet
	account int32
	owner   string
	ownerIx int32
	key     int32
}

// resolveAccounts resolves each row of an assignments file with account columns to the
// identity it grants (docs/effective-privilege.md). A row names an identity_id, or a
// system and an account_id, or both:
//   - neither, or only one of system and account_id: a data error;
//   - both, where the account is correlated to another identity: a data error;
//   - an account absent from accounts, uncorrelated, or correlated to an identity absent
//     from identities: the access is orphan, with the account named.
//
// It replaces the table's identity_id column so that buildAssignments sees one identity
// key per row: the identity id, or for orphan access a key naming the account (which
// never equals an identity id, as it starts with a NUL byte), and returns each row's
// account (-1 for none). The new column's dictionary starts with identIDs, the identity
// ids in index order, so that the key of identity i is code i. Everything is resolved
// by codes: each account once, by its account_id code (buildAccounts joined those to the
// accounts; a map holds the rare account_id shared by two systems), each identity id once.
func resolveAccounts(t *table, accts *Accounts, identIDs []string, identIdx map[string]int32, f *UniverseFindings) ([]int32, error) {
	ic, sc, ac := t.col("identity_id"), t.col("system"), t.col("account_id")
	r := newAccountResolver(accts, identIDs, identIdx, ic, sc, ac, t.rows)
	probs := newProblems(t.file)
	rows := make([]int32, t.rows)
	key := r.key
	for row := 0; row < t.rows; row++ {
		icode, scode, acode := ic.code(row), sc.code(row), ac.code(row)
		rows[row] = -1
		switch {
		case scode < 0 && acode < 0:
			if icode < 0 {
				probs.add(t.pos(row), "identity_id", "no identity_id and no system+account_id; expected an identity, an account, or both")
				key.codes[row] = codeEmpty
				continue
			}
			key.codes[row] = r.identityKey(icode, -1, -1)
			continue
		case scode < 0 || acode < 0:
			missing := "system"
			if acode < 0 {
				missing = "account_id"
			}
			probs.add(t.pos(row), missing, fmt.Sprintf("empty %s; an account is named by both system and account_id", missing))
			key.codes[row] = codeEmpty
			continue
		}
		ref := r.ref(scode, acode)
		rows[row] = ref.account
		if ref.account < 0 {
			f.UnknownAccountAssignments++
		}
		switch {
		case icode < 0:
			key.codes[row] = ref.key
		case ref.owner != "" && !r.sameIdentity(ref, icode):
			probs.add(t.pos(row), "identity_id", fmt.Sprintf("identity %q, but account %q of system %q belongs to identity %q in accounts; expected the same identity or an empty identity_id",
				ic.vals[icode], ac.vals[acode], sc.vals[scode], ref.owner))
			key.codes[row] = codeEmpty
		default:
			key.codes[row] = r.identityKey(icode, scode, acode)
		}
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	if ic == nil {
		t.cols = append(t.cols, key)
	} else {
		*ic = *key
	}
	return rows, nil
}

// accountResolver holds what resolveAccounts looks up by code: the assignments' columns,
// the identity index of each identity_id code, the accounts' system of each system code,
// and each account's accountRef, built on first use.
type accountResolver struct {
	accts      *Accounts
	ic, sc, ac *column
	identOf    []int32 // identity_id code -> identity index, -1: unknown
	sysRank    []int32 // system code -> index into accts.Systems, -1: none
	byCode     []accountRef
	shared     map[[2]int32]*accountRef // accounts whose account_id code another system has in byCode
	key        *column
}

func newAccountResolver(accts *Accounts, identIDs []string, identIdx map[string]int32, ic, sc, ac *column, rows int) *accountResolver {
	r := &accountResolver{accts: accts, ic: ic, sc: sc, ac: ac, identOf: identityCodes(ic, identIdx),
		shared: map[[2]int32]*accountRef{}}
	if sc != nil {
		r.sysRank = make([]int32, len(sc.vals))
		for code, name := range sc.vals {
			r.sysRank[code] = -1
			if accts != nil {
				if k, ok := slices.BinarySearch(accts.Systems, name); ok {
					r.sysRank[code] = int32(k)
				}
			}
		}
	}
	if ac != nil {
		r.byCode = make([]accountRef, len(ac.vals))
		for k := range r.byCode {
			r.byCode[k].sys = -2
		}
	}
	r.key = newColumn("identity_id", modeValue, nil, 0)
	r.key.keys = true // orphanKey joins with NUL
	r.key.vals = make([]string, len(identIDs), len(identIDs)+64)
	copy(r.key.vals, identIDs)
	r.key.codes = make([]int32, rows)
	return r
}

// ref returns the accountRef of the account (system code, account_id code).
func (r *accountResolver) ref(scode, acode int32) *accountRef {
	ref := &r.byCode[acode]
	if ref.sys != -2 && ref.sys != scode {
		if ref = r.shared[[2]int32{scode, acode}]; ref == nil {
			ref = &accountRef{sys: -2}
			r.shared[[2]int32{scode, acode}] = ref
		}
	}
	if ref.sys == -2 {
		*ref = accountRef{sys: scode, account: -1, ownerIx: -1}
		if a := r.accts; a != nil && r.sysRank[scode] >= 0 && a.codeAccount != nil {
			for x := a.codeAccount[acode]; x >= 0; x = a.sameID[x] {
				if a.System[x] == r.sysRank[scode] {
					ref.account = x
					break
				}
			}
		}
		if x := ref.account; x >= 0 {
			ref.owner, ref.ownerIx = r.accts.IdentityID[x], r.accts.Identity[x]
		}
		if ref.ownerIx >= 0 {
			ref.key = ref.ownerIx
		} else {
			ref.key = r.key.internString(orphanKey(ref.owner, r.sc.vals[scode], r.ac.vals[acode]))
		}
	}
	return ref
}

// sameIdentity reports whether the identity_id of code icode names the identity ref's
// account is correlated to.
func (r *accountResolver) sameIdentity(ref *accountRef, icode int32) bool {
	if i := r.identOf[icode]; i >= 0 && ref.ownerIx >= 0 {
		return i == ref.ownerIx
	}
	return ref.owner == r.ic.vals[icode]
}

// identityKey returns the key code of access granted to the identity_id of code icode
// through the account (scode, acode), or through no account when scode is -1: the
// identity's index when it is known, else the orphan key naming the account (the id
// itself without an account).
func (r *accountResolver) identityKey(icode, scode, acode int32) int32 {
	if i := r.identOf[icode]; i >= 0 {
		return i
	}
	id := r.ic.vals[icode]
	if scode < 0 {
		return r.key.internString(id)
	}
	return r.key.internString(orphanKey(id, r.sc.vals[scode], r.ac.vals[acode]))
}

// orphanKey is the identity key of orphan access through an account.
func orphanKey(identity, system, account string) string {
	return "\x00" + identity + "\x00" + system + "\x00" + account
}
