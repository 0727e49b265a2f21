package truth

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// Files of the usage truth that `rolemine gen --usage` writes into truth/
// (docs/excess-privilege.md#generated).
const (
	// UsageFile holds the planted usage counts and ownership findings (Usage).
	UsageFile = "usage.json"
	// UnusedFile lists every planted unused direct pair of a known identity.
	UnusedFile = "unused.csv"
	// OwnersFile lists every non-human identity with an ownership finding.
	OwnersFile = "owners.csv"
	// OverPrivilegedFile lists the planted over-privileged identities.
	OverPrivilegedFile = "overprivileged.csv"
)

// Headers of the usage truth's CSV files.
var (
	UnusedHeader         = []string{"identity_id", "role_id", "last_used"}
	OwnersHeader         = []string{"identity_id", "owner_id", "finding", "owner_left"}
	OverPrivilegedHeader = []string{"identity_id", "group", "reason"}
)

// Ownership findings of OwnersFile (docs/excess-privilege.md#ownership).
const (
	FindingNoOwner       = "no_owner"
	FindingOwnerUnknown  = "owner_unknown"
	FindingOwnerNotHuman = "owner_not_human"
)

// Reasons of OverPrivilegedFile.
const (
	// ReasonDormant: none of the identity's access is used.
	ReasonDormant = "dormant"
	// ReasonStale: the identity moved and kept access it no longer uses (planted stale
	// noise, unexplained and unused).
	ReasonStale = "stale"
)

// Groups of OverPrivilegedFile, as in excess.csv.
const (
	GroupHuman    = "human"
	GroupNonHuman = "non_human"
)

// Usage is truth/usage.json plus the lists of the three CSV files.
type Usage struct {
	// AsOf and UnusedDays are the judgement the counts hold for: the newest planted
	// last_used (the default --as-of) and the default --unused-days.
	AsOf       string `json:"as_of"`
	UnusedDays int    `json:"unused_days"`
	// UnknownSystems have no last_used at all.
	UnknownSystems []string `json:"unknown_systems"`
	// Counts are the effective pairs of known identities by planted state, overall, by
	// kind and by system (as summary.json's usage).
	usage.Counts
	ByKind   map[string]*usage.Counts `json:"by_kind"`
	BySystem map[string]*usage.Counts `json:"by_system"`
	// UnusedRuleGranted counts the unused pairs that planted rules grant (neither planted
	// noise nor project roles): the access that mining used access only (UsedOnly) should
	// turn from explained into unexplained.
	UnusedRuleGranted int64 `json:"unused_rule_granted"`
	// Owners counts the non-human identities by ownership finding; OwnersLeft those
	// whose owner was a human of the previous snapshot and is gone (gen --evolve).
	Owners     Owners `json:"owners"`
	OwnersLeft int64  `json:"owners_left"`
	// OverPrivileged counts the planted over-privileged identities by group.
	OverPrivileged map[string]int `json:"over_privileged"`

	// UnusedPairs are the planted unused direct pairs (identity id, role id).
	UnusedPairs map[[2]string]bool `json:"-"`
	// Findings maps each non-human identity with a finding to it; OwnerLeft holds those
	// whose owner left since the previous snapshot.
	Findings  map[string]string `json:"-"`
	OwnerLeft map[string]bool   `json:"-"`
	// Planted maps each planted over-privileged identity to its reason.
	Planted map[string]string `json:"-"`
}

// LoadUsage reads the usage truth in dir (a data directory's truth/ folder); it returns
// nil, nil when the data was generated without --usage.
func LoadUsage(dir string) (*Usage, error) {
	path := filepath.Join(dir, UsageFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load truth: %w", err))
	}
	u := &Usage{UnusedPairs: map[[2]string]bool{}, Findings: map[string]string{}, OwnerLeft: map[string]bool{}, Planted: map[string]string{}}
	if err := json.Unmarshal(b, u); err != nil {
		return nil, uerr.New("load truth %s: %w", path, err)
	}
	err = readTruthCSV(filepath.Join(dir, UnusedFile), UnusedHeader, func(rec []string) error {
		u.UnusedPairs[[2]string{rec[0], rec[1]}] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTruthCSV(filepath.Join(dir, OwnersFile), OwnersHeader, func(rec []string) error {
		switch rec[2] {
		case FindingNoOwner, FindingOwnerUnknown, FindingOwnerNotHuman:
		default:
			return fmt.Errorf("column finding: %q: expected %s, %s or %s", rec[2], FindingNoOwner, FindingOwnerUnknown, FindingOwnerNotHuman)
		}
		u.Findings[rec[0]] = rec[2]
		if rec[3] == "true" {
			u.OwnerLeft[rec[0]] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTruthCSV(filepath.Join(dir, OverPrivilegedFile), OverPrivilegedHeader, func(rec []string) error {
		u.Planted[rec[0]] = rec[2]
		return nil
	})
	return u, err
}

// readTruthCSV reads a truth CSV file with the given header, calling row for each record.
func readTruthCSV(path string, header []string, row func(rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return uerr.WrapInput(fmt.Errorf("load truth: %w", err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return uerr.New("load truth %s: header: %w", path, err)
	}
	if strings.Join(head, ",") != strings.Join(header, ",") {
		return uerr.New("load truth %s: header %q: expected %s", path, strings.Join(head, ","), strings.Join(header, ","))
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return uerr.New("load truth %s: %w", path, err)
		}
		if err := row(rec); err != nil {
			return uerr.New("load truth %s: line %d: %w", path, line, err)
		}
	}
}
