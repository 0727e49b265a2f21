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
	order := make([]int, t.rows)
	for k := range order {
		order[k] = k
	}
	sysVals, sysRank := sortDict(sc.vals)
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(sysRank[sc.codes[a]], sysRank[sc.codes[b]]); c != 0 {
			return c
		}
		return cmp.Compare(ac.vals[ac.codes[a]], ac.vals[ac.codes[b]])
	})
	probs := newProblems(t.file)
	a := &Accounts{Systems: sysVals}
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

// rowAccount is how one assignments row was resolved.
type rowAccount struct {
	account int32 // index into Accounts, -1 when the row names no known account
	system  string
	id      string
}

// resolveAccounts resolves each row of an assignments file with account columns to the
// identity it grants (docs/effective-privilege.md). A row names an identity_id, or a system and
// an account_id, or both:
//   - neither, or only one of system and account_id: a data error;
//   - both, where the account is correlated to another identity: a data error;
//   - an account absent from accounts, uncorrelated, or correlated to an identity absent
//     from identities: the access is orphan, with the account named.
//
// It rewrites the table's identity_id column so that buildAssignments sees one identity
// key per row: the identity id, or for orphan access a key naming the account (which
// never equals an identity id, as it starts with a NUL byte), and returns each row's
// account.
func resolveAccounts(t *table, accts *Accounts, identIdx map[string]int32, f *UniverseFindings) ([]rowAccount, error) {
	ic, sc, ac := t.col("identity_id"), t.col("system"), t.col("account_id")
	probs := newProblems(t.file)
	key := newColumn("identity_id", modeValue, nil, t.rows)
	key.keys = true // orphanKey joins with NUL
	rows := make([]rowAccount, t.rows)
	for row := 0; row < t.rows; row++ {
		id, sys, acct := ic.value(row), sc.value(row), ac.value(row)
		ra := rowAccount{account: -1, system: sys, id: acct}
		switch {
		case sys == "" && acct == "" && id == "":
			probs.add(t.pos(row), "identity_id", "no identity_id and no system+account_id; expected an identity, an account, or both")
		case (sys == "") != (acct == ""):
			col, missing := "system", "system"
			if acct == "" {
				col, missing = "account_id", "account_id"
			}
			probs.add(t.pos(row), col, fmt.Sprintf("empty %s; an account is named by both system and account_id", missing))
		case acct != "":
			if accts != nil {
				ra.account = accts.Find(sys, acct)
			}
			var owner string
			if ra.account >= 0 {
				owner = accts.IdentityID[ra.account]
			} else {
				f.UnknownAccountAssignments++
			}
			if id != "" && owner != "" && owner != id {
				probs.add(t.pos(row), "identity_id", fmt.Sprintf("identity %q, but account %q of system %q belongs to identity %q in accounts; expected the same identity or an empty identity_id",
					id, acct, sys, owner))
			}
			if id == "" {
				id = owner
			}
		}
		rows[row] = ra
		if _, known := identIdx[id]; known || (id != "" && acct == "") {
			// A known identity, named directly or through its account; or an unknown
			// identity named without an account (an orphan as in flat inputs).
			key.codes = append(key.codes, key.internString(id))
			continue
		}
		// Orphan access: keyed by the identity (unknown, or "") and the account.
		key.codes = append(key.codes, key.internString(orphanKey(id, sys, acct)))
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

// orphanKey is the identity key of orphan access through an account.
func orphanKey(identity, system, account string) string {
	return "\x00" + identity + "\x00" + system + "\x00" + account
}
