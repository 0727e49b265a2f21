package truth

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/uerr"
)

type (
	// Universe is the planted truth of an effective-privilege universe (`rolemine gen
	// --universe`): truth/universe.json and truth/hidden.csv.
	Universe = model.UniverseTruth
	// IncompleteSystem is a system whose export lacks some of its holders.
	IncompleteSystem = model.IncompleteSystem
	// Owners counts the non-human identities by ownership finding, as summary.json's
	// nhi_ownership does (the same declaration).
	Owners = model.OwnershipSummary
	// SystemTruth is one system's planted accounts.
	SystemTruth = model.SystemTruth
	// HiddenPair is one planted hidden inherited (identity, role) pair.
	HiddenPair = model.HiddenPair
	// GrantGapSystem is a system whose export lacks some grants.
	GrantGapSystem = model.GrantGapSystem
)

// LoadUniverse reads dir/universe.json and dir/hidden.csv; it returns nil, nil when the
// data set is not a universe (no universe.json).
func LoadUniverse(dir string) (*Universe, error) {
	b, err := os.ReadFile(filepath.Join(dir, "universe.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, uerr.Wrap(fmt.Errorf("load truth: %w", err))
	}
	u := &Universe{}
	if err := json.Unmarshal(b, u); err != nil {
		return nil, uerr.Wrap(fmt.Errorf("load truth %s: %w", filepath.Join(dir, "universe.json"), err))
	}
	if u.Hidden, err = loadHidden(filepath.Join(dir, "hidden.csv")); err != nil {
		return nil, err
	}
	return u, nil
}

// loadHidden reads truth/hidden.csv: its header, then one row per planted pair. A pair
// listed twice is refused: it would count twice among the planted pairs and lower the
// recall of a model that finds it.
func loadHidden(path string) ([]HiddenPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, uerr.Wrap(fmt.Errorf("load truth: %w", err))
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, uerr.Wrap(fmt.Errorf("load truth %s: %w", path, err))
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "identity_id,role_id,via" {
		return nil, uerr.New("load truth %s: header: expected identity_id,role_id,via", path)
	}
	var out []HiddenPair
	seen := map[[2]string]int{}
	for k, row := range rows[1:] {
		line := k + 2
		if len(row) != 3 || row[0] == "" || row[1] == "" {
			return nil, uerr.New("load truth %s row %d: want identity_id,role_id,via, ids non-empty", path, line)
		}
		key := [2]string{row[0], row[1]}
		if first, dup := seen[key]; dup {
			return nil, uerr.New("load truth %s row %d: pair (%s, %s) already listed on row %d", path, line, row[0], row[1], first)
		}
		seen[key] = line
		out = append(out, HiddenPair{IdentityID: row[0], RoleID: row[1], Via: row[2]})
	}
	return out, nil
}

// UniverseQuality scores effective privilege against a planted universe.
type UniverseQuality struct {
	// HiddenPlanted pairs were planted; HiddenFound of them are reported hidden, and
	// ViaNamed of those name the planted chain in via; HiddenReported is every pair
	// reported hidden.
	HiddenPlanted, HiddenFound, ViaNamed, HiddenReported int
	Recall, Precision                                    float64
	// Systems compares uncorrelated accounts and their orphan access per system.
	Systems []SystemScore
	// PlantedOwners and LoadedOwners compare the ownership findings (nil planted: the
	// truth has none).
	PlantedOwners, LoadedOwners *Owners
	// PlantedIncomplete is the system planted incomplete (nil: none); Flagged the systems
	// flagged as possibly incomplete, with their reasons (set by the caller).
	PlantedIncomplete *IncompleteSystem
	Flagged           map[string]string
	// PlantedGrantGap is the system planted without some grants (nil: none), and
	// GapSuggested the grants the rules suggest on its roles (set by the caller).
	PlantedGrantGap *GrantGapSystem
	GapSuggested    int64
}

// SystemScore is one system's planted and loaded uncorrelated accounts and orphan access.
type SystemScore struct {
	System                        string
	PlantedUncorrelated, Loaded   int
	PlantedOrphans, LoadedOrphans int
}

// String renders the score for the mine command's output.
func (q *UniverseQuality) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hidden inherited: %d planted, %d found (recall %.1f%%), %d reported (precision %.1f%%), planted chain named in via for %d of the %d found\n",
		q.HiddenPlanted, q.HiddenFound, 100*q.Recall, q.HiddenReported, 100*q.Precision, q.ViaNamed, q.HiddenFound)
	for _, s := range q.Systems {
		fmt.Fprintf(&b, "system %-10s uncorrelated accounts %d planted, %d loaded; orphan access %d planted, %d loaded\n",
			s.System, s.PlantedUncorrelated, s.Loaded, s.PlantedOrphans, s.LoadedOrphans)
	}
	if p, l := q.PlantedOwners, q.LoadedOwners; p != nil && l != nil {
		fmt.Fprintf(&b, "ownership of %d non-human identities (planted/found): no owner %d/%d, owner unknown %d/%d, owner not human %d/%d, owned by a human %d/%d\n",
			p.NonHuman, p.NoOwner, l.NoOwner, p.OwnerUnknown, l.OwnerUnknown, p.OwnerNotHuman, l.OwnerNotHuman, p.OwnedByHuman, l.OwnedByHuman)
	}
	if p := q.PlantedIncomplete; p != nil {
		flagged := make([]string, 0, len(q.Flagged))
		for name := range q.Flagged {
			flagged = append(flagged, name)
		}
		sort.Strings(flagged)
		fmt.Fprintf(&b, "incomplete systems: planted %s (%d holders withheld)", p.System, p.IdentitiesWithheld)
		if g := q.PlantedGrantGap; g != nil {
			fmt.Fprintf(&b, ", %s (%d grants withheld, %d suggested on its roles)", g.System, g.GrantsWithheld, q.GapSuggested)
		}
		fmt.Fprintf(&b, "; flagged [%s]", strings.Join(flagged, " "))
		for k, name := range flagged {
			sep := ": "
			if k > 0 {
				sep = "; "
			}
			fmt.Fprintf(&b, "%s%s: %s", sep, name, q.Flagged[name])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ScoreUniverse scores the effective classification against the planted universe.
func ScoreUniverse(snap *columnar.Snapshot, eff *mining.Effective, ec *mining.EffectiveClassification, u *Universe) (*UniverseQuality, error) {
	if eff == nil || ec == nil || snap.Universe == nil {
		return nil, fmt.Errorf("truth.ScoreUniverse: the data has no role grants")
	}
	q := &UniverseQuality{HiddenPlanted: len(u.Hidden)}
	planted := map[[2]string]string{}
	for _, h := range u.Hidden {
		planted[[2]string{h.IdentityID, h.RoleID}] = h.Via
	}
	p := eff.Pairs
	for i, id := range snap.IdentityIDs {
		lo, hi := p.Of(i)
		for k := lo; k < hi; k++ {
			if !ec.HiddenAt(k) {
				continue
			}
			q.HiddenReported++
			r := p.Role[k]
			via, ok := planted[[2]string{id, snap.Roles.IDs[r]}]
			if !ok {
				continue
			}
			q.HiddenFound++
			if p.KindAt(k) == effective.Inherited && eff.Closure.ViaString(p.SourceAt(k), r, snap.Roles.IDs) == via {
				q.ViaNamed++
			}
		}
	}
	q.Recall = ratio(float64(q.HiddenFound), float64(q.HiddenPlanted))
	q.Precision = ratio(float64(q.HiddenFound), float64(q.HiddenReported))
	loaded := map[string]*SystemScore{}
	get := func(s string) *SystemScore {
		if loaded[s] == nil {
			loaded[s] = &SystemScore{System: s}
		}
		return loaded[s]
	}
	// Orphan access is counted on the uncorrelated accounts only, as the truth counts
	// it: an account absent from the accounts file is orphan too, but not uncorrelated.
	uncorrelated := map[[2]string]bool{}
	if a := snap.Universe.Accounts; a != nil {
		for k := range a.ID {
			if a.IdentityID(k) == "" {
				s := a.Systems[a.System[k]]
				get(s).Loaded++
				uncorrelated[[2]string{s, a.ID[k]}] = true
			}
		}
	}
	for _, o := range snap.Orphans {
		if uncorrelated[[2]string{o.System, o.AccountID}] {
			get(o.System).LoadedOrphans++
		}
	}
	for s, st := range u.Systems {
		g := get(s)
		g.PlantedUncorrelated, g.PlantedOrphans = st.UncorrelatedAccounts, st.OrphanAssignments
	}
	for _, s := range loaded {
		q.Systems = append(q.Systems, *s)
	}
	sort.Slice(q.Systems, func(a, b int) bool { return q.Systems[a].System < q.Systems[b].System })
	return q, nil
}
