package drift

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/report"
)

// classifyFromAssignments uses the statuses the model recorded at mining time: an
// assignment unexplained now that was "explained" then is a revoke candidate (its change
// cannot be named); one absent then is new.
//
// The model's assignments.parquet (path) is read as coded columns (columnar.ReadCoded:
// the loader's decoder, every column at once), and its values are matched once per
// dictionary entry rather than once per row: each identity value to the identity of next
// that has unexplained pairs, each role value to next's role, each rule value to the
// model's rule. The rows are then scanned in order (a later row of a pair overrides an
// earlier one's rule only where it is explained, as before).
func classifyFromAssignments(ctx context.Context, model *report.Model, next *columnar.Snapshot, path string, unexpl []pair, out *unexplainedClasses) error {
	cols, err := columnar.ReadCoded(ctx, path, []string{"identity_id", "role_id", "status"}, []string{"rule_id"})
	if err != nil {
		return fmt.Errorf("read the model's %s: %w", path, err)
	}
	// A panic while matching is rolemine's bug: a *parallel.PanicError naming the file.
	if err := parallel.Call(func() error { return matchAssignments(ctx, model, next, cols, unexpl, out) }); err != nil {
		return fmt.Errorf("match the model's %s: %w", path, err)
	}
	return nil
}

// matchAssignments is classifyFromAssignments on the file's columns cols.
func matchAssignments(ctx context.Context, model *report.Model, next *columnar.Snapshot, cols *columnar.Coded, unexpl []pair, out *unexplainedClasses) error {
	byIdent := newUnexplainedIndex(next, unexpl)
	identOf := byIdent.identities(cols.Values[0])
	roleOf := valueIndex(cols.Values[1], next.Roles.IDs)
	ruleOf := ruleIndex(cols.Values[3], model)
	explained := make([]bool, len(cols.Values[2]))
	for v, s := range cols.Values[2] {
		explained[v] = s == "explained"
	}
	held := make([]bool, len(unexpl))
	rule := make([]int32, len(unexpl))
	for k := range rule {
		rule[k] = -1
	}
	idents, roles, statuses, rules := cols.Codes[0], cols.Codes[1], cols.Codes[2], cols.Codes[3]
	for row := range cols.Rows {
		if row&0xfffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ic, rc := idents[row], roles[row]
		if ic < 0 || rc < 0 || identOf[ic] < 0 || roleOf[rc] < 0 {
			continue // an orphan's row (no identity id), or no unexplained pair of its identity
		}
		j := byIdent.find(identOf[ic], roleOf[rc])
		if j < 0 {
			continue
		}
		held[j] = true
		if s := statuses[row]; s >= 0 && explained[s] && rules != nil {
			if c := rules[row]; c >= 0 && ruleOf[c] >= 0 {
				rule[j] = ruleOf[c]
			}
		}
	}
	out.baseIDs = cols.Values[0]
	tallyHeld(next, unexpl, held, rule, out)
	return nil
}

// tallyHeld adds the unexplained pairs unexpl to out by what the model's file said of
// each (held[j]: the pair was there; rule[j] >= 0: a rule explained it then): new access,
// a revoke candidate of that rule, or still unexplained.
func tallyHeld(next *columnar.Snapshot, unexpl []pair, held []bool, rule []int32, out *unexplainedClasses) {
	for j, p := range unexpl {
		switch {
		case !held[j]:
			out.countNew(next, p)
		case rule[j] >= 0:
			out.revokes = append(out.revokes, rawAction{i: p.i, r: p.r, rule: rule[j], typ: tRevoke, change: ChangeUnknown})
		default:
			out.still++
		}
	}
}

// unexplainedIndex finds an unexplained pair (an index into the list it was made from)
// by identity and role: the pairs' indices grouped by identity (at[off[i]:off[i+1]]),
// each group sorted by role.
type unexplainedIndex struct {
	next  *columnar.Snapshot
	off   []int32
	at    []int32
	unexp []pair
}

func newUnexplainedIndex(next *columnar.Snapshot, unexpl []pair) *unexplainedIndex {
	x := &unexplainedIndex{next: next, off: make([]int32, next.NumIdentities()+1), at: make([]int32, len(unexpl)), unexp: unexpl}
	for _, p := range unexpl {
		x.off[p.i+1]++
	}
	for i := range next.NumIdentities() {
		x.off[i+1] += x.off[i]
	}
	fill := slices.Clone(x.off[:len(x.off)-1])
	for j, p := range unexpl {
		x.at[fill[p.i]] = int32(j)
		fill[p.i]++
	}
	for i := range next.NumIdentities() {
		slices.SortFunc(x.at[x.off[i]:x.off[i+1]], func(a, b int32) int { return cmp.Compare(unexpl[a].r, unexpl[b].r) })
	}
	return x
}

// identities maps each identity value to the identity of next it names when that
// identity has unexplained pairs, else to -1.
func (x *unexplainedIndex) identities(values []string) []int32 {
	byID := map[string]int32{}
	for i := range x.next.NumIdentities() {
		if x.off[i+1] > x.off[i] {
			byID[x.next.IdentityIDs[i]] = int32(i)
		}
	}
	return lookupAll(values, byID)
}

// find returns the index of the unexplained pair (i, r), or -1.
func (x *unexplainedIndex) find(i, r int32) int {
	grp := x.at[x.off[i]:x.off[i+1]]
	k, found := slices.BinarySearchFunc(grp, r, func(j, r int32) int { return cmp.Compare(x.unexp[j].r, r) })
	if !found {
		return -1
	}
	return int(grp[k])
}

// valueIndex maps each of values to its position in ids (-1: absent).
func valueIndex(values, ids []string) []int32 {
	pos := make(map[string]int32, len(ids))
	for k, id := range ids {
		pos[id] = int32(k)
	}
	return lookupAll(values, pos)
}

// lookupAll maps each of values to what pos gives it (-1: absent).
func lookupAll(values []string, pos map[string]int32) []int32 {
	out := make([]int32, len(values))
	for v, s := range values {
		out[v] = -1
		if k, ok := pos[s]; ok {
			out[v] = k
		}
	}
	return out
}

// ruleIndex maps each rule id value to the model's rule of that id (-1: none).
func ruleIndex(values []string, model *report.Model) []int32 {
	ids := make([]string, len(model.Rules))
	for k := range model.Rules {
		ids[k] = model.Rules[k].RuleID
	}
	return valueIndex(values, ids)
}
