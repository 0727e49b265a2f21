package columnar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/usage"
)

// Universe is what the optional inputs of effective privilege add to a snapshot
// (docs/effective-privilege.md): accounts in systems, role grants,
// multi-valued attributes and owners. A snapshot of flat inputs has none (nil).
type Universe struct {
	// Accounts are the accounts file's rows sorted by (system, account_id); nil without one.
	Accounts *Accounts
	// PairAccount is aligned with Snapshot.IdentIdx: the account (index into Accounts)
	// through which the direct pair is granted, the lexically smallest (system,
	// account_id) when several are, or -1 when the pair is granted on the identity alone.
	// Nil when no assignment names an account.
	PairAccount []int32
	// Grants are the role grants (holding From grants To) as role indices, sorted and
	// deduplicated. Nil without a role_grants file.
	Grants []RoleGrant
	// Owners holds identities.owner_id per identity ("" for none); nil without the column.
	Owners []string
	// LastUsed is aligned with Snapshot.IdentIdx: the latest assignments.last_used of the
	// direct pair's rows as an index into Dates, or -1 when none of them has a date. Nil
	// without a last_used column (docs/excess-privilege.md). Four bytes a pair rather
	// than sixteen: Dates holds each distinct date once.
	LastUsed []int32
	// DatedSystems and DatedRoles say where the assignments rows of known identities carry
	// a last_used date, each row in its own system: by account system (an index into
	// Accounts.Systems) for a row through an account, by role for a row on the identity
	// alone (its system is the role's application). A pair folds rows of several systems
	// when an identity holds a role through accounts in several, so which systems have
	// usage data is read here, not from the pairs. Nil without a last_used column.
	DatedSystems, DatedRoles []bool
	// Dates are the distinct last_used instants of the assignments (exact to the
	// nanosecond), ascending (so a larger index is a later date).
	Dates []usage.Instant
	// Findings are the non-fatal observations of the optional inputs.
	Findings UniverseFindings
}

// LastUsedAt returns the last use of the direct pair at CSR position k, or usage.Never
// when it has none.
func (u *Universe) LastUsedAt(k int64) usage.Instant {
	if d := u.LastUsed[k]; d >= 0 {
		return u.Dates[d]
	}
	return usage.Never
}

// RoleGrant says that holding role From effectively grants role To.
type RoleGrant struct{ From, To int32 }

// Accounts are the accounts of every system, sorted by (system, account_id).
type Accounts struct {
	// Systems are the system names, sorted; System[k] indexes them.
	Systems []string
	System  []int32
	ID      []string
	// Identity is the index of the identity the account is correlated to, or -1 when it
	// is uncorrelated or its identity is unknown; IdentityID gives the identity's id.
	Identity []int32
	// owner is the code of each account's identity_id among owners (-1: uncorrelated),
	// the accounts file's identity_id values, each stored once (a person's accounts
	// share one): no string per account for the collector to scan.
	owner  []int32
	owners []string
	// codeAccount and links find an account by the code of its account_id in the
	// assignments' account_id column while assignments are resolved (buildAccounts joins
	// the two): codeAccount is an account of each code (-1: none), and links[x] what
	// resolving a row needs of account x, the next account with the same account_id in
	// another system (-1: none) among it. Nil outside loading.
	codeAccount []int32
	links       []accountLink
}

// accountLink is what resolving an assignments row needs of an account, in one place
// (resolveAccounts reads it at random, once or more per row): its system and identity
// (Accounts.System, Accounts.Identity), whether it names an identity at all (a non-empty
// Accounts.IdentityID), and sameID, the next account with the same account_id.
type accountLink struct {
	system, identity, sameID int32
	named                    bool
}

// IdentityID returns the identity_id account x is correlated to, "" for an uncorrelated
// account.
func (a *Accounts) IdentityID(x int) string {
	if c := a.owner[x]; c >= 0 {
		return a.owners[c]
	}
	return ""
}

// Len returns the number of accounts.
func (a *Accounts) Len() int { return len(a.ID) }

// Find returns the index of the account (system, id), or -1.
func (a *Accounts) Find(system, id string) int32 {
	lo, hi := 0, len(a.ID)
	for lo < hi {
		m := (lo + hi) / 2
		if c := compareAccount(a.Systems[a.System[m]], a.ID[m], system, id); c < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(a.ID) && a.Systems[a.System[lo]] == system && a.ID[lo] == id {
		return int32(lo)
	}
	return -1
}

func compareAccount(s1, a1, s2, a2 string) int {
	if c := strings.Compare(s1, s2); c != 0 {
		return c
	}
	return strings.Compare(a1, a2)
}

// UniverseFindings are the non-fatal observations of the optional inputs.
type UniverseFindings struct {
	// UncorrelatedAccounts counts accounts with no identity.
	UncorrelatedAccounts int `json:"uncorrelated_accounts"`
	// AccountsOfUnknownIdentities counts accounts naming an identity absent from identities.
	AccountsOfUnknownIdentities int `json:"accounts_of_unknown_identities"`
	// UnknownAccountAssignments counts assignment rows naming an account absent from
	// accounts (their access is orphan).
	UnknownAccountAssignments int `json:"unknown_account_assignments"`
	// ImplicitGrantRoles counts roles named only by role_grants (created implicitly, and
	// also counted in Findings.ImplicitRoles).
	ImplicitGrantRoles int `json:"implicit_grant_roles"`
	// AttributeRowsOfUnknownIdentities counts attributes rows naming an identity absent
	// from identities (ignored); UnknownAttributeIdentities lists the first few.
	AttributeRowsOfUnknownIdentities int      `json:"attribute_rows_of_unknown_identities"`
	UnknownAttributeIdentities       []string `json:"unknown_attribute_identities"`
	// DuplicateAttributeValues counts attribute values given twice for one identity.
	DuplicateAttributeValues int `json:"duplicate_attribute_values"`
}

// maxListedIDs bounds the identity ids a finding lists.
const maxListedIDs = 20

// OwnerColumn is the reserved identities column naming the identity accountable for a
// non-human identity; like kind it is never an attribute of criteria.
const OwnerColumn = "owner_id"

var (
	accountsSpec = tableSpec{
		name:      "accounts",
		required:  []string{"system", "account_id"},
		known:     map[string]colMode{"system": modeRequired, "account_id": modeRequired, "identity_id": modeValue},
		keepLines: true,
		raw:       []string{"account_id"},
		unsealed:  []string{"account_id"},
		runs:      []string{"identity_id"},
	}
	grantsSpec = tableSpec{
		name:     "role_grants",
		required: []string{"role_id", "grants_role_id"},
		known:    map[string]colMode{"role_id": modeRequired, "grants_role_id": modeRequired},
	}
	// The attributes' identity ids are read raw with runs (an identity's rows are
	// usually together): they are matched to the identities by value (identityCodes),
	// with no map of their own. Chunk dictionaries would do as well, but a file of nearly
	// one row per identity makes them fall back to a map (judgeChunkDicts).
	attributesSpec = tableSpec{
		name:      "attributes",
		required:  []string{"identity_id", "attribute", "value"},
		known:     map[string]colMode{"identity_id": modeRequired, "attribute": modeRequired, "value": modeValue},
		keepLines: true,
		runs:      []string{"identity_id"},
	}
	// assignmentsAccountSpec reads an assignments file that has account columns: a row
	// names an identity, an account, or both, checked after reading (resolveAccounts).
	assignmentsAccountSpec = tableSpec{
		name:     "assignments",
		required: []string{"role_id"},
		known: map[string]colMode{"identity_id": modeValue, "role_id": modeRequired,
			"system": modeValue, "account_id": modeValue},
		keepLines:  true,
		chunkDicts: []string{"account_id", "identity_id"},
	}
)

// adaptSpec returns the spec to read a file with the given columns by: an assignments
// file with a system or account_id column is read with assignmentsAccountSpec; every
// other file with spec itself, so flat inputs are read exactly as before.
//
// An assignments file with a last_used column reads it too (docs/excess-privilege.md),
// with the rows' line numbers for the errors of its dates.
func adaptSpec(spec *tableSpec, names []string) *tableSpec {
	if spec.name != "assignments" {
		return spec
	}
	if slices.Contains(names, "account_id") || slices.Contains(names, "system") {
		spec = &assignmentsAccountSpec
	}
	if slices.Contains(names, LastUsedColumn) {
		withUsage := *spec
		withUsage.known = maps.Clone(spec.known)
		withUsage.known[LastUsedColumn] = modeValue
		withUsage.keepLines = true
		spec = &withUsage
	}
	return spec
}

// LastUsedColumn is the optional assignments column giving when access was last used.
const LastUsedColumn = "last_used"

// optionalInputs are the optional files of effective privilege, in this order.
var optionalInputs = []*tableSpec{&accountsSpec, &grantsSpec, &attributesSpec}

// readOptional reads the optional inputs present in dir (nil for those absent), running
// after (unless nil) on each once read; a panic on its goroutines goes to bugs.
func readOptional(ctx context.Context, dir string, after func(*tableSpec, *table), bugs *parallel.Bugs) ([]*table, error) {
	tables := make([]*table, len(optionalInputs))
	errs := make([]error, len(optionalInputs))
	var wg sync.WaitGroup
	for k, spec := range optionalInputs {
		path, err := findOptional(dir, spec.name)
		if err != nil {
			return nil, err
		}
		if path == "" {
			continue
		}
		bugs.Go(&wg, func() {
			tables[k], errs[k] = readTable(ctx, path, spec)
			if errs[k] == nil && after != nil {
				after(spec, tables[k])
			}
		})
	}
	wg.Wait()
	return tables, errors.Join(errs...)
}

// findOptional returns the path of name.parquet or name.csv in dir, "" when neither
// exists.
func findOptional(dir, name string) (string, error) {
	var found []string
	for _, ext := range []string{".parquet", ".csv"} {
		p := filepath.Join(dir, name+ext)
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return "", fmt.Errorf("%s%s: %w", name, ext, err)
		case st.IsDir():
			return "", fmt.Errorf("%s%s is a directory; expected a file", name, ext)
		}
		found = append(found, p)
	}
	if len(found) > 1 {
		return "", fmt.Errorf("both %s.parquet and %s.csv exist; keep only one", name, name)
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return "", nil
}

// value returns row's value of c, "" for none or a missing column.
func (c *column) value(row int) string {
	if c == nil || c.codes[row] < 0 {
		return ""
	}
	return c.vals[c.codes[row]]
}
