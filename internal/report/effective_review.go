package report

import (
	"cmp"
	"context"
	"io"
	"slices"
	"strconv"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// effectiveReviewRow is one unexplained effective pair of review.csv for data with
// accounts or grants.
type effectiveReviewRow struct {
	v           pairView
	validations int
	nonHuman    bool
}

// Reasons of review.csv's reason column, written when a mining rule mines used access
// only (docs/excess-privilege.md#used-only-review).
const (
	// reasonUnused: a rule of the role matches the identity, but the access is unused.
	reasonUnused = "unused"
	// reasonUnmatched: no rule of the role matches the identity (or the role has none).
	reasonUnmatched = "unmatched"
)

// reviewReason says why an unexplained pair is unexplained.
func reviewReason(v *pairView) string {
	if v.unusedOnly {
		return reasonUnused
	}
	return reasonUnmatched
}

// privileged is the validations count from which a role counts as privileged.
const privileged = 2

// WriteEffectiveReviewCSV writes review.csv for data with accounts or grants: one row per
// unexplained effective pair, ranked: unexplained inherited access on privileged roles (2
// or more validations) first, then by validations, non-human identities first, hidden
// inherited access first, then identity file order and role id. Besides the identity and
// role it names the pair's system and account, whether it is inherited and through which
// chain (via), and whether the direct grant is redundant.
func WriteEffectiveReviewCSV(ctx context.Context, w io.Writer, snap *columnar.Snapshot, cls *mining.Classification, eff *Effective) error {
	walk, err := walkPairs(ctx, snap, cls, eff)
	if err != nil {
		return err
	}
	kd := &snap.Dims[snap.KindDim]
	rows := slices.Clone(walk.review)
	first := func(r *effectiveReviewRow) bool { return r.v.inherited && r.validations >= privileged }
	slices.SortStableFunc(rows, func(a, b effectiveReviewRow) int {
		return cmp.Or(-boolCmp(first(&a), first(&b)), cmp.Compare(b.validations, a.validations),
			-boolCmp(a.nonHuman, b.nonHuman), -boolCmp(a.v.hidden, b.v.hidden))
	})
	cw := safecsv.NewWriter(w)
	header := []string{"rank", "identity_id", "kind", "non_human", "role_id", "category", "validations",
		"system", "account_id", "inherited", "via", "hidden_inherited", "redundant"}
	usedOnly := eff != nil && eff.UsedOnly
	if usedOnly {
		header = append(header, "reason")
	}
	cw.Write(header)
	for k := range rows {
		r := &rows[k]
		v := &r.v
		system, via := "", ""
		if v.system >= 0 {
			system = walk.systemNames[v.system]
		}
		if v.inherited {
			via = eff.Eff.Closure.ViaString(v.source, v.role, snap.Roles.IDs)
		}
		rec := []string{strconv.Itoa(k + 1), snap.IdentityIDs[v.ident], kd.Values[kd.Codes[v.ident]],
			strconv.FormatBool(r.nonHuman), snap.Roles.IDs[v.role], snap.Roles.Category[v.role], strconv.Itoa(r.validations),
			system, v.accountOf(snap), strconv.FormatBool(v.inherited), via, strconv.FormatBool(v.hidden), strconv.FormatBool(v.redun)}
		if usedOnly {
			rec = append(rec, reviewReason(v))
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
