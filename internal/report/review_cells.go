package report

import (
	"strconv"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/safecsv"
)

// cellTable is a list of pieces of a CSV line, already escaped (safecsv.AppendCell) and
// joined by commas where a piece holds several cells: piece k is buf[off[k]:off[k+1]].
type cellTable struct {
	buf []byte
	off []int
}

func (t *cellTable) at(k int) []byte { return t.buf[t.off[k]:t.off[k+1]] }

// add ends the piece appended to t.buf since the last one.
func (t *cellTable) add() {
	if t.off == nil {
		t.off = []int{0}
	}
	t.off = append(t.off, len(t.buf))
}

// reviewCells are the cells of review.csv that depend on a role, a rule or a peer group
// alone, escaped once per file instead of once per row: at tier XL, 4.5 million rows
// share 100,000 roles, 120,000 rules and a few thousand peer groups, and a row reads one
// piece of each instead of the strings behind them, scattered in memory.
type reviewCells struct {
	kind   cellTable // per peer group: kind,non_human
	peer   *cellTable
	role   cellTable // per role: role_id,category,application,validations
	reason cellTable // per role: role_reason
	rule   cellTable // per rule: nearest_rule_id,nearest_criterion
	// peerDims and peerNames spell a row's peer_group when peer is nil: a peer dimension
	// is multi-valued, so a group's members may spell it differently.
	peerDims  []int
	peerNames []string
}

// newReviewCells escapes the cells of every peer group of groups, role and rule.
func (b *Bound) newReviewCells(groups *peerGroupSet) *reviewCells {
	snap := b.Snap
	c := &reviewCells{peerDims: peerDims(snap)}
	single := true
	for _, d := range c.peerDims {
		c.peerNames = append(c.peerNames, snap.Dims[d].Name)
		single = single && snap.Dims[d].MultiOff == nil
	}
	if single {
		c.peer = &cellTable{}
	}
	var spelled []byte
	for _, i := range groups.rep {
		kind := snap.Kind(int(i))
		c.kind.buf = safecsv.AppendCell(c.kind.buf, kind)
		c.kind.buf = strconv.AppendBool(append(c.kind.buf, ','), kind != columnar.HumanKind)
		c.kind.add()
		if single {
			spelled = b.appendPeer(spelled[:0], int(i), c.peerDims, c.peerNames)
			c.peer.buf = safecsv.AppendCell(c.peer.buf, spelled)
			c.peer.add()
		}
	}
	for r := range snap.NumRoles() {
		c.role.buf = safecsv.AppendCell(c.role.buf, snap.Roles.IDs[r])
		c.role.buf = safecsv.AppendCell(append(c.role.buf, ','), str(snap.Roles.Category, r))
		c.role.buf = safecsv.AppendCell(append(c.role.buf, ','), str(snap.Roles.Application, r))
		var v int8
		if r < len(snap.Roles.Validations) {
			v = snap.Roles.Validations[r]
		}
		c.role.buf = strconv.AppendInt(append(c.role.buf, ','), int64(v), 10)
		c.role.add()
		if rr := b.roleRecord(int32(r)); rr != nil {
			c.reason.buf = safecsv.AppendCell(c.reason.buf, rr.Reason)
		}
		c.reason.add()
	}
	for k := range b.Model.Rules {
		rec := &b.Model.Rules[k]
		c.rule.buf = safecsv.AppendCell(c.rule.buf, rec.RuleID)
		c.rule.buf = safecsv.AppendCell(append(c.rule.buf, ','), criterionString(rec))
		c.rule.add()
	}
	return c
}

// appendPeer appends identity i's peer group as review.csv spells it: its kind, then each
// peer dimension's values it has ("kind=human & department=Sales & title=Dev").
func (b *Bound) appendPeer(dst []byte, i int, dims []int, names []string) []byte {
	dst = append(append(dst, "kind="...), b.Snap.Kind(i)...)
	for t, d := range dims {
		if v := b.values(i, d); v != "" {
			dst = append(append(append(append(dst, " & "...), names[t]...), '='), v...)
		}
	}
	return dst
}
