package drift

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolemine/rolemine/internal/uerr"
)

// Score compares a remediation plan with the truth `rolemine gen --evolve` wrote
// (truth/changes/access.csv). Ratios with an empty denominator are 1.
type Score struct {
	// Grants: grant and suggest actions against due access (a planted rule matches, the
	// role is missing). DueNew counts the due access caused by this step's changes, and
	// FoundNew how many of them the plan grants.
	Grants           ListScore
	DueNew, FoundNew int
	// Revokes: revoke candidates against stale access (kept after a change although no
	// planted rule matches any more).
	Revokes ListScore
	// Orphans: orphan actions against orphan access.
	Orphans ListScore
}

// ListScore is one action list against its truth: Listed actions, Truth rows, Hits in
// both; Precision = Hits/Listed, Recall = Hits/Truth.
type ListScore struct {
	Listed, Truth, Hits int
	Precision, Recall   float64
}

func (l *ListScore) finish() {
	l.Precision, l.Recall = ratio(l.Hits, l.Listed), ratio(l.Hits, l.Truth)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// String renders s in a few lines.
func (s *Score) String() string {
	var b strings.Builder
	line := func(name string, l ListScore, truth string) {
		fmt.Fprintf(&b, "%-9s %7d listed, %7d %s, precision %.2f%%, recall %.2f%%\n", name, l.Listed, l.Truth, truth, 100*l.Precision, 100*l.Recall)
	}
	line("grants:", s.Grants, "due")
	fmt.Fprintf(&b, "          %7d due because of this step's changes, %d granted (%.2f%%)\n", s.DueNew, s.FoundNew, 100*ratio(s.FoundNew, s.DueNew))
	line("revokes:", s.Revokes, "stale")
	line("orphans:", s.Orphans, "orphan")
	return b.String()
}

// ScoreAgainst scores actions against truthDir/changes/access.csv (truthDir is a data
// directory's truth/ folder).
func ScoreAgainst(actions []Action, truthDir string) (*Score, error) {
	path := filepath.Join(truthDir, "changes", "access.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, uerr.New("drift --truth: %v (expected the truth/ folder of a `rolemine gen --evolve` output)", err)
	}
	defer f.Close()
	type key struct{ id, role string }
	due := map[key]string{}
	stale := map[key]bool{}
	orphan := map[key]bool{}
	r := csv.NewReader(f)
	r.FieldsPerRecord = 4
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, uerr.New("%s: header: %v", path, err)
	}
	if strings.Join(head, ",") != "identity_id,role_id,type,event" {
		return nil, uerr.New("%s: header %q: expected identity_id,role_id,type,event", path, strings.Join(head, ","))
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uerr.New("%s: %v", path, err)
		}
		k := key{rec[0], rec[1]}
		switch rec[2] {
		case "due":
			due[k] = rec[3]
		case "stale":
			stale[k] = true
		case "orphan":
			orphan[k] = true
		case "granted", "removed":
		default:
			return nil, uerr.New("%s: line %d, column type: %q: expected due, stale, orphan, granted or removed", path, line, rec[2])
		}
	}
	s := &Score{}
	for _, ev := range due {
		if ev != "carried" {
			s.DueNew++
		}
	}
	s.Grants.Truth, s.Revokes.Truth, s.Orphans.Truth = len(due), len(stale), len(orphan)
	for _, a := range actions {
		k := key{a.IdentityID, a.RoleID}
		switch a.Type {
		case ActionGrant, ActionSuggest:
			s.Grants.Listed++
			if ev, ok := due[k]; ok {
				s.Grants.Hits++
				if ev != "carried" {
					s.FoundNew++
				}
			}
		case ActionRevoke:
			s.Revokes.Listed++
			if stale[k] {
				s.Revokes.Hits++
			}
		case ActionOrphan:
			s.Orphans.Listed++
			if orphan[k] {
				s.Orphans.Hits++
			}
		}
	}
	s.Grants.finish()
	s.Revokes.finish()
	s.Orphans.finish()
	return s, nil
}
