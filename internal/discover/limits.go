package discover

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/uerr"
)

// MaxExactCells bounds identity classes x entitlement classes for exact mode. The solver
// holds the reduced matrix densely (as bitsets, several copies: E and the uncovered edges
// by row and by column, then the same for the component being solved), so memory grows
// with this product, not with the assignments: at this limit each copy is 128 MiB and a
// run stays under about 1.5 GiB. Larger inputs are refused before anything dense is
// allocated (RATIONALE.md, "Discovery stays bounded").
const MaxExactCells = 1 << 30

// checkExactSize refuses, as a user error, a reduced matrix too large for exact mode.
func checkExactSize(userClasses, permClasses, maxCells int) error {
	if maxCells <= 0 {
		maxCells = MaxExactCells
	}
	cells := userClasses * permClasses
	if cells <= maxCells {
		return nil
	}
	return uerr.New("discover: exact mode is limited to %d cells (identity classes x entitlement classes) and this input has %d x %d = %d "+
		"(about %s of bitsets per copy); use approximate mode for data of this size, e.g. --min-members 10 --coverage 80",
		maxCells, userClasses, permClasses, cells, byteSize(cells/8))
}

func byteSize(n int) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d B", n)
}

// stopLog records where the budget cut exact mode's work short, beyond the improvement
// search it is meant to bound (the colouring's restarts and tabu search, the clique
// bound), so that the result can say why it is not minimal.
type stopLog struct {
	phases []string // in the order first cut
	// trivial counts the components whose uncovered edges were finished with one role per
	// entitlement class.
	trivial int
}

func (s *stopLog) add(phase string) {
	if !slices.Contains(s.phases, phase) {
		s.phases = append(s.phases, phase)
	}
}

// reason describes the cuts for discovered.json's stats and stderr; "" when none.
func (s *stopLog) reason(budget time.Duration, components int) string {
	if len(s.phases) == 0 {
		return ""
	}
	r := fmt.Sprintf("the %v budget ran out in: %s", budget, strings.Join(s.phases, ", "))
	if s.trivial > 0 {
		// Such a cover mostly hands the access back as it is: say what gives roles instead.
		r += fmt.Sprintf("; %d of %d components finished with one role per entitlement class", s.trivial, components)
		return r + "; the cover is exact but not minimal: give a larger --budget, or use approximate mode " +
			"(--min-members 10 --coverage 80) for data of this size"
	}
	return r + "; the cover is exact but not minimal"
}

// expired reports whether ctx is done, checking only every 64th call of a loop (i is
// the loop's counter) to keep the check off hot paths.
func expired(ctx context.Context, i int) bool {
	return i&63 == 0 && ctx.Err() != nil
}
