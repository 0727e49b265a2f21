package columnar

import (
	"cmp"
	"fmt"
	"slices"
)

// buildAccounts turns the accounts table into Accounts, sorted by (system, account_id),
// correlating each to an identity index. A (system, account_id) given twice is a data
// error naming both rows.
func buildAccounts(t *table, identIdx map[string]int32, f *UniverseFindings) (*Accounts, error) {
	sc, ac, ic := t.col("system"), t.col("account_id"), t.col("identity_id")
	sysVals, sysRank := sortDict(sc.vals)
	order := accountOrder(t.rows, sc, ac, sysRank)
	probs := newProblems(t.file)
	a := &Accounts{Systems: sysVals, byID: ac.ids, codeAccount: make([]int32, len(ac.vals))}
	for k := range a.codeAccount {
		a.codeAccount[k] = -1
	}
	for n, row := range order {
		if n > 0 {
			prev := order[n-1]
			if sc.codes[prev] == sc.codes[row] && ac.codes[prev] == ac.codes[row] {
				probs.add(t.pos(row), "account_id", fmt.Sprintf("duplicate account %q in system %q (first at row %d); (system, account_id) must be unique",
					ac.vals[ac.codes[row]], sc.vals[sc.codes[row]], t.pos(prev)))
				continue
			}
		}
		id := ic.value(row)
		ident := int32(-1)
		switch i, ok := identIdx[id]; {
		case id == "":
			f.UncorrelatedAccounts++
		case ok:
			ident = i
		default:
			f.AccountsOfUnknownIdentities++
		}
		code := ac.codes[row]
		a.sameID = append(a.sameID, a.codeAccount[code])
		a.codeAccount[code] = int32(len(a.ID))
		a.System = append(a.System, sysRank[sc.codes[row]])
		a.ID = append(a.ID, ac.vals[ac.codes[row]])
		a.IdentityID = append(a.IdentityID, id)
		a.Identity = append(a.Identity, ident)
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return a, nil
}

// accountOrder returns the rows of the accounts table sorted by (system, account_id),
// ties (a duplicate account) in file order, so that the first row is the one kept. Each
// row is sorted by its system rank and the 8 bytes of its account_id that follow the
// prefix every account_id of its system shares (such as "arn:aws:iam::"), as integers;
// only rows equal on those compare their strings.
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
		sys  int32
		row  int32
		word uint64
	}
	keys := make([]key, rows)
	for row := range keys {
		s, v := sc.codes[row], ac.vals[ac.codes[row]]
		var w uint64
		for j := len(lcp[s]); j < len(lcp[s])+8; j++ {
			w <<= 8
			if j < len(v) {
				w |= uint64(v[j])
			}
		}
		keys[row] = key{sys: sysRank[s], row: int32(row), word: w}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.sys, b.sys); c != 0 {
			return c
		}
		if c := cmp.Compare(a.word, b.word); c != 0 {
			return c
		}
		if ca, cb := ac.codes[a.row], ac.codes[b.row]; ca != cb {
			return cmp.Compare(ac.vals[ca], ac.vals[cb])
		}
		return cmp.Compare(a.row, b.row)
	})
	order := make([]int, rows)
	for k := range keys {
		order[k] = int(keys[k].row)
	}
	return order
}

// accountRef is what assignments rows naming one (system, account_id) share: the
// account (-1 when absent from accounts), its identity, and the identity key of rows that
// name no identity.
type accountRef struct {
	sys     int32 // system code in the assignments file; -2: not resolved yet
	account int32
	owner   string
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
// It rewrites the table's identity_id column so that buildAssignments sees one identity
// key per row: the identity id, or for orphan access a key naming the account (which
// never equals an identity id, as it starts with a NUL byte), and returns each row's
// account (-1 for none). Each account is looked up once, by its account_id code (a map
// holds the rare account_id shared by two systems).
func resolveAccounts(t *table, accts *Accounts, identIdx map[string]int32, f *UniverseFindings) ([]int32, error) {
	ic, sc, ac := t.col("identity_id"), t.col("system"), t.col("account_id")
	probs := newProblems(t.file)
	key := newColumn("identity_id", modeValue, nil, t.rows)
	key.keys = true // orphanKey joins with NUL
	rows := make([]int32, t.rows)
	byCode := make([]accountRef, len(ac.vals))
	for k := range byCode {
		byCode[k].sys = -2
	}
	shared := map[[2]int32]*accountRef{}
	ref := func(row int) *accountRef {
		s, a := sc.codes[row], ac.codes[row]
		r := &byCode[a]
		if r.sys != -2 && r.sys != s {
			if r = shared[[2]int32{s, a}]; r == nil {
				r = &accountRef{sys: -2}
				shared[[2]int32{s, a}] = r
			}
		}
		if r.sys == -2 {
			*r = lookupAccount(s, sc.vals[s], ac.vals[a], accts, identIdx, key)
		}
		return r
	}
	for row := 0; row < t.rows; row++ {
		id, sys, acct := ic.value(row), sc.value(row), ac.value(row)
		rows[row] = -1
		switch {
		case sys == "" && acct == "":
			if id == "" {
				probs.add(t.pos(row), "identity_id", "no identity_id and no system+account_id; expected an identity, an account, or both")
			}
			key.codes = append(key.codes, key.internString(id))
			continue
		case sys == "" || acct == "":
			missing := "system"
			if acct == "" {
				missing = "account_id"
			}
			probs.add(t.pos(row), missing, fmt.Sprintf("empty %s; an account is named by both system and account_id", missing))
			key.codes = append(key.codes, codeEmpty)
			continue
		}
		r := ref(row)
		rows[row] = r.account
		if r.account < 0 {
			f.UnknownAccountAssignments++
		}
		switch {
		case id == "":
			key.codes = append(key.codes, r.key)
		case r.owner != "" && r.owner != id:
			probs.add(t.pos(row), "identity_id", fmt.Sprintf("identity %q, but account %q of system %q belongs to identity %q in accounts; expected the same identity or an empty identity_id",
				id, acct, sys, r.owner))
			key.codes = append(key.codes, codeEmpty)
		default:
			key.codes = append(key.codes, identityKey(id, sys, acct, identIdx, key))
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

// lookupAccount resolves one (system, account_id) named by assignments rows.
func lookupAccount(sysCode int32, sys, acct string, accts *Accounts, identIdx map[string]int32, key *column) accountRef {
	r := accountRef{sys: sysCode, account: -1}
	if accts != nil {
		r.account = accts.lookup(sys, acct)
	}
	if r.account >= 0 {
		r.owner = accts.IdentityID[r.account]
	}
	r.key = identityKey(r.owner, sys, acct, identIdx, key)
	return r
}

// identityKey interns the identity key of access granted to identity id (possibly "")
// through the account (sys, acct): the id when the identity is known, else the orphan key
// naming the account.
func identityKey(id, sys, acct string, identIdx map[string]int32, key *column) int32 {
	if _, known := identIdx[id]; known {
		return key.internString(id)
	}
	return key.internString(orphanKey(id, sys, acct))
}

// orphanKey is the identity key of orphan access through an account.
func orphanKey(identity, system, account string) string {
	return "\x00" + identity + "\x00" + system + "\x00" + account
}
