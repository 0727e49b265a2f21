package gen

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
)

// Row types of the universe's files.

type accountRow struct {
	System     string `parquet:"system,dict"`
	AccountID  string `parquet:"account_id"`
	IdentityID string `parquet:"identity_id"`
}

func (r *accountRow) record(dst []string) []string {
	return append(dst[:0], r.System, r.AccountID, r.IdentityID)
}

type accountAssignmentRow struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
	System     string `parquet:"system,dict"`
	AccountID  string `parquet:"account_id,dict"`
}

func (r *accountAssignmentRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.RoleID, r.System, r.AccountID)
}

type grantRow struct {
	RoleID       string `parquet:"role_id"`
	GrantsRoleID string `parquet:"grants_role_id"`
}

func (r *grantRow) record(dst []string) []string { return append(dst[:0], r.RoleID, r.GrantsRoleID) }

type attributeRow struct {
	IdentityID string `parquet:"identity_id,dict"`
	Attribute  string `parquet:"attribute,dict"`
	Value      string `parquet:"value,dict"`
}

func (r *attributeRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.Attribute, r.Value)
}

// ownedIdentityRow is an identities row with owner_id.
type ownedIdentityRow struct {
	IdentityID     string `parquet:"identity_id"`
	Kind           string `parquet:"kind,dict"`
	Department     string `parquet:"department,dict"`
	Team           string `parquet:"team,dict"`
	Title          string `parquet:"title,dict"`
	Location       string `parquet:"location,dict"`
	EmploymentType string `parquet:"employment_type,dict"`
	CostCenter     string `parquet:"cost_center,dict"`
	Email          string `parquet:"email"`
	Manager        string `parquet:"manager,dict"`
	Application    string `parquet:"application,dict"`
	Environment    string `parquet:"environment,dict"`
	OwnerTeam      string `parquet:"owner_team,dict"`
	OwnerID        string `parquet:"owner_id,dict"`
}

func (r *ownedIdentityRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.Kind, r.Department, r.Team, r.Title, r.Location,
		r.EmploymentType, r.CostCenter, r.Email, r.Manager, r.Application, r.Environment, r.OwnerTeam, r.OwnerID)
}

// writeTable writes rows to dir/name.format in one go.
func writeTable[T any, P interface {
	*T
	recorder
}](dir, name, format string, header []string, rows []T) error {
	t, err := newTable[T, P](dir, name, format, header)
	if err != nil {
		return err
	}
	for lo := 0; lo < len(rows); lo += 1 << 16 {
		if err := t.write(rows[lo:min(len(rows), lo+1<<16)]); err != nil {
			t.abort()
			return err
		}
	}
	return t.close()
}

// writeIdentitiesOwned rewrites identities with owner_id: a random human for each
// non-human identity; instead, 3% of them name someone absent from identities (an owner
// who left), 2% no one, and 1% the previous non-human identity. The counts go to the
// truth (universe.owners).
func (u *universe) writeIdentitiesOwned(dir, format string) error {
	snap := u.snap
	var humans []string
	for i, id := range snap.IdentityIDs {
		if snap.Kind(i) == columnar.HumanKind {
			humans = append(humans, id)
		}
	}
	rows := baseIdentityRows(snap)
	prevNHI := "" // the previous non-human identity: the owner planted as not human
	for i, id := range snap.IdentityIDs {
		if snap.Kind(i) != columnar.HumanKind && len(humans) > 0 {
			rows[i].OwnerID = humans[u.rng.IntN(len(humans))]
			// One draw decides the findings (docs/excess-privilege.md#ownership), so the
			// random stream is the same as before they were planted.
			switch f := u.rng.Float64(); {
			case f < 0.03:
				rows[i].OwnerID = fmt.Sprintf("departed-%05d", i)
				u.owners.OwnerUnknown++
			case f < 0.05:
				rows[i].OwnerID = ""
				u.owners.NoOwner++
			case f < 0.06 && prevNHI != "":
				rows[i].OwnerID = prevNHI
				u.owners.OwnerNotHuman++
			default:
				u.owners.OwnedByHuman++
			}
			u.owners.NonHuman++
			prevNHI = id
		}
	}
	return writeTable[ownedIdentityRow](dir, "identities", format, append(slices.Clone(identityHeader), "owner_id"), rows)
}

// baseIdentityRows returns the identities of snap (a data set written by gen) as rows
// without owner_id.
func baseIdentityRows(snap *columnar.Snapshot) []ownedIdentityRow {
	val := func(name string, i int) string {
		d := snap.DimIndex(name)
		if d < 0 || snap.Dims[d].Codes[i] < 0 {
			return ""
		}
		return snap.Dims[d].Values[snap.Dims[d].Codes[i]]
	}
	rows := make([]ownedIdentityRow, snap.NumIdentities())
	for i, id := range snap.IdentityIDs {
		rows[i] = ownedIdentityRow{IdentityID: id, Kind: val("kind", i), Department: val("department", i),
			Team: val("team", i), Title: val("title", i), Location: val("location", i),
			EmploymentType: val("employment_type", i), CostCenter: val("cost_center", i), Email: val("email", i),
			Manager: val("manager", i), Application: val("application", i), Environment: val("environment", i),
			OwnerTeam: val("owner_team", i)}
	}
	return rows
}

// writeRolesUniverse rewrites roles with every new role and each role's system as its
// application.
func (u *universe) writeRolesUniverse(dir, format string) error {
	rs := &u.snap.Roles
	rows := make([]roleRow, len(u.roles))
	for r, id := range u.roles {
		rows[r] = roleRow{RoleID: id, Application: systemOf(id)}
		if r < len(rs.IDs) {
			rows[r].Category, rows[r].Validations, rows[r].Description = rs.Category[r], int32(rs.Validations[r]), rs.Description[r]
			continue
		}
		rows[r].Category, rows[r].Description = "group", "planted by gen --universe"
		if entitlementSystem(id) != "" {
			rows[r].Category = "entitlement"
		}
	}
	return writeTable[roleRow](dir, "roles", format, roleHeader, rows)
}

// writeAccess writes accounts and assignments (rows naming accounts, identities or both)
// and returns the per-system counts.
func (u *universe) writeAccess(ctx context.Context, dir, format string) (map[string]*model.SystemTruth, error) {
	snap := u.snap
	stats := map[string]*model.SystemTruth{}
	for _, s := range universeSystems {
		stats[s] = &model.SystemTruth{}
	}
	if u.inc != nil {
		stats[incompleteSystem] = &model.SystemTruth{}
	}
	if u.gap != nil {
		stats[grantGapSystem] = &model.SystemTruth{}
	}
	var accts []accountRow
	var asg []accountAssignmentRow
	for i, id := range snap.IdentityIDs {
		if i%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		accts, asg = u.identityAccess(i, id, stats, accts, asg)
	}
	for _, o := range snap.Orphans {
		asg = append(asg, accountAssignmentRow{IdentityID: o.IdentityID, RoleID: snap.Roles.IDs[o.Role]})
	}
	bySystem := map[string][]string{}
	for _, id := range u.roles {
		if entitlementSystem(id) == "" { // entitlements are held only through roles
			bySystem[systemOf(id)] = append(bySystem[systemOf(id)], id)
		}
	}
	for _, sys := range universeSystems {
		accts, asg = u.staleAccounts(sys, stats[sys], bySystem[sys], u.rng, accts, asg)
	}
	if u.inc != nil {
		accts, asg = u.staleAccounts(incompleteSystem, stats[incompleteSystem], bySystem[incompleteSystem], u.inc.rng, accts, asg)
	}
	if u.gap != nil {
		accts, asg = u.staleAccounts(grantGapSystem, stats[grantGapSystem], bySystem[grantGapSystem], u.gap.rng, accts, asg)
	}
	u.st.Accounts = len(accts)
	for _, st := range stats {
		u.st.UncorrelatedAccounts += st.UncorrelatedAccounts
	}
	if err := writeTable[accountRow](dir, "accounts", format, []string{"system", "account_id", "identity_id"}, accts); err != nil {
		return nil, err
	}
	return stats, writeTable[accountAssignmentRow](dir, "assignments", format,
		[]string{"identity_id", "role_id", "system", "account_id"}, asg)
}

// identityAccess appends identity i's accounts (one per system it holds a role of) and
// its grants, in role order: by account, by identity or both (drawn from u.rng), except
// where the incomplete or the grant-gap system withholds them.
func (u *universe) identityAccess(i int, id string, stats map[string]*model.SystemTruth, accts []accountRow, asg []accountAssignmentRow) ([]accountRow, []accountAssignmentRow) {
	roles := make([]int32, 0, len(u.held[i]))
	for r := range u.held[i] {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	has := map[string]bool{}
	for _, r := range roles {
		sys := systemOf(u.roles[r])
		if sys == incompleteSystem && u.inc.withheld[i] {
			// The accounts export lacks this holder's account: the grant names the
			// identity. No draw, so the other rows stay as they were.
			asg = append(asg, accountAssignmentRow{IdentityID: id, RoleID: u.roles[r]})
			continue
		}
		if !has[sys] {
			has[sys] = true
			accts = append(accts, accountRow{sys, accountID(sys, id), id})
			stats[sys].Accounts++
		}
		row := accountAssignmentRow{RoleID: u.roles[r], System: sys, AccountID: accountID(sys, id)}
		if sys == grantGapSystem && u.gap.withheld[[2]int32{int32(i), r}] {
			continue // the account is there, the grants export lacks the grant
		}
		if sys == incompleteSystem || sys == grantGapSystem {
			asg = append(asg, row) // by account; no draw, as above
			continue
		}
		switch x := u.rng.Float64(); {
		case x < 0.1:
			row = accountAssignmentRow{IdentityID: id, RoleID: u.roles[r]}
		case x < 0.2:
			row.IdentityID = id
		}
		asg = append(asg, row)
	}
	return accts, asg
}

// staleAccounts appends a system's uncorrelated accounts (0.5% of its accounts, at least
// 2), each holding one or two of its roles, drawn from rng.
func (u *universe) staleAccounts(sys string, st *model.SystemTruth, roles []string, rng *rand.Rand, accts []accountRow, asg []accountAssignmentRow) ([]accountRow, []accountAssignmentRow) {
	for k := range max(2, st.Accounts/200) {
		acct := fmt.Sprintf("stale-%s-%04d", sys, k+1)
		accts = append(accts, accountRow{System: sys, AccountID: acct})
		st.Accounts++
		st.UncorrelatedAccounts++
		for _, role := range pickFrom(rng, roles, 1+rng.IntN(2)) {
			asg = append(asg, accountAssignmentRow{RoleID: role, System: sys, AccountID: acct})
			st.OrphanAssignments++
		}
	}
	return accts, asg
}

// writeUniverseTruth appends the new roles to truth/rules.json and writes universe.json
// and hidden.csv.
func (u *universe) writeUniverseTruth(truthDir string, systems map[string]*model.SystemTruth) error {
	tf := *u.tr
	tf.Roles = append(slices.Clone(tf.Roles), u.newTruth...)
	if err := atomicFile(filepath.Join(truthDir, model.TruthRulesFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(&tf)
	}); err != nil {
		return err
	}
	ut := model.UniverseTruth{Systems: systems, Grants: u.grants, HiddenInherited: u.st.Hidden,
		Redundant: u.st.Redundant, InheritedOnly: u.st.Inherited, Owners: &u.owners,
		Entitlements: u.st.Entitlements, EntitlementGrants: len(u.bundles)}
	if u.inc != nil {
		ut.Incomplete = &u.inc.IncompleteSystem
	}
	if u.gap != nil {
		ut.GrantGap = &u.gap.GrantGapSystem
	}
	if err := atomicFile(filepath.Join(truthDir, model.UniverseTruthFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(&ut)
	}); err != nil {
		return err
	}
	return atomicFile(filepath.Join(truthDir, model.HiddenFile), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write(model.HiddenHeader)
		for _, h := range u.hidden {
			cw.Write([]string{h.identity, h.role, h.via})
		}
		cw.Flush()
		return cw.Error()
	})
}

// plantUniverse rewrites the flat data set in dir as an effective-privilege universe.
func plantUniverse(ctx context.Context, dir, format string, seed uint64) (*UniverseStats, error) {
	snap, err := columnar.Load(ctx, dir, columnar.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("gen --universe: reload %s: %w", dir, err)
	}
	truthDir := filepath.Join(dir, "truth")
	tr, err := truth.Load(truthDir)
	if err != nil {
		return nil, err
	}
	u := newUniverse(snap, tr, seed)
	u.teamGroups()
	u.broadNestings()
	u.projectMembership()
	u.plantIncomplete(seed)
	u.plantGrantGap(seed)
	u.plantBundles(seed)
	var attrs []attributeRow
	for i, ps := range u.projects {
		for _, p := range ps {
			attrs = append(attrs, attributeRow{snap.IdentityIDs[i], "project", p})
		}
	}
	grants := make([]grantRow, 0, len(u.grants)+len(u.bundles))
	for _, g := range append(slices.Clone(u.grants), u.bundles...) {
		grants = append(grants, grantRow{g[0], g[1]})
	}
	systems, err := u.writeAccess(ctx, dir, format)
	if err != nil {
		return nil, err
	}
	for _, write := range []func() error{
		func() error { return u.writeIdentitiesOwned(dir, format) },
		func() error { return u.writeRolesUniverse(dir, format) },
		func() error {
			return writeTable[grantRow](dir, "role_grants", format, []string{"role_id", "grants_role_id"}, grants)
		},
		func() error {
			return writeTable[attributeRow](dir, "attributes", format, []string{"identity_id", "attribute", "value"}, attrs)
		},
		func() error { return u.writeUniverseTruth(truthDir, systems) },
	} {
		if err := write(); err != nil {
			return nil, err
		}
	}
	return &u.st, nil
}
