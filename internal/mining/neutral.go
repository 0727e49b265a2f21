package mining

import (
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// neutralTally counts, for one role at a time, how many of the role's neutral identities
// in the scope match each criterion of the role's direct counts (criteria of one or two
// terms, in criterion order), where the role is selected. Only these criteria are ever
// looked up, so a streamed role needs no count of every criterion its neutral identities
// match (docs/effective-privilege.md, "Counting").
//
// The role's neutral identities are copied as rows of codes; the direct counts are read
// by first term: the rows holding the first term (from a list of the rows by value of its
// dimension, made once per role and dimension) are walked against marks of the second
// terms wanted with it. The scratch is one selector's, and left empty between roles.
type neutralTally struct {
	pos   []int32               // dimension -> position among the mining rule's dimensions, or -1
	codes [][]int32             // by position: the dimension's codes
	multi []*columnar.Dimension // by position: the dimension when multi-valued, else nil
	card  []int                 // by position: the dimension's number of values
	ids   []int32               // the role's neutral identities in the scope
	rows  []int32               // their codes, one per position, identity after identity
	// byValue[p] lists the rows by value of position p (built[p] for the current role):
	// value v's rows are byValue[p].rows[end[v]-n[v]:end[v]].
	byValue []rowsByValue
	// want[q][v+1] is 1 + the index of the criterion wanted with value v of position q
	// as its second term, else 0 (want[q][0], for no value, stays 0).
	want [][]int32
	// wanted and wantedMulti are the single- and multi-valued positions with marks in
	// want for the current first term, wants the marks of wanted.
	wanted, wantedMulti []int32
	wants               [][]int32
	// packed holds, by position, a multi-valued dimension's values by identity as the
	// support table packs them (packValues), or nil; words[p] then holds the rows' words,
	// so that a row's other values are read beside it rather than through the dimension's
	// offsets and extra codes at scattered places.
	packed [][]uint64
	words  [][]uint64
	// ahead keeps what walk reads ahead (walkAhead).
	ahead int32
}

// rowsByValue lists a role's neutral rows by the value they hold on one dimension.
type rowsByValue struct {
	built   bool
	n, end  []int32 // by value: rows holding it, and where its rows end in rows (n is zero elsewhere)
	rows    []int32
	touched []int32 // the values with rows
}

func newNeutralTally(snap *columnar.Snapshot, dims []int32) neutralTally {
	t := neutralTally{pos: make([]int32, len(snap.Dims)), codes: make([][]int32, len(dims)),
		multi: make([]*columnar.Dimension, len(dims)), card: make([]int, len(dims)),
		byValue: make([]rowsByValue, len(dims)), want: make([][]int32, len(dims))}
	for d := range t.pos {
		t.pos[d] = -1
	}
	for p, d := range dims {
		dim := &snap.Dims[d]
		t.pos[d], t.codes[p], t.card[p] = int32(p), dim.Codes, len(dim.Values)
		if dim.MultiOff != nil {
			t.multi[p] = dim
		}
	}
	return t
}

// count sets out[k] to the number of identities of neutral (ascending) in scope matching
// counts[k].C, for every k, and reports whether any of them holds a value on one of the
// dimensions (when none does, no criterion matches one of them).
func (t *neutralTally) count(neutral []int32, scope []uint64, counts []kernels.Count, out []int32) bool {
	clear(out)
	some := t.load(neutral, scope, len(counts) == 0)
	if !some || len(counts) == 0 {
		return some
	}
	for g := 0; g < len(counts); {
		t0 := counts[g].C.T[0]
		e := g + 1
		for e < len(counts) && counts[e].C.T[0] == t0 {
			e++
		}
		t.firstTerm(counts[g:e], out[g:e])
		g = e
	}
	for p := range t.byValue {
		t.byValue[p].reset()
	}
	return true
}

// usePacked sets the multi-valued dimensions' values packed by identity, by position
// (nil: read from the dimensions).
func (t *neutralTally) usePacked(packed [][]uint64) {
	t.packed, t.words = packed, make([][]uint64, len(packed))
}

// extras returns row's values at position p after its code, as the packed word's slots
// (code+1, 0 after the last), or false where they must be read from the dimension.
func (t *neutralTally) extras(p int, row int32) (uint64, bool) {
	if t.words == nil || t.words[p] == nil {
		return 0, false
	}
	e := t.words[p][row]
	return e >> packedBits, e&packedSlot != packedSlot
}

// load copies the codes of the identities of neutral in scope into t.rows (and their
// packed words into t.words), or with probe only looks for one holding a value; it
// reports whether one does.
func (t *neutralTally) load(neutral []int32, scope []uint64, probe bool) bool {
	t.ids, t.rows = t.ids[:0], t.rows[:0]
	for p := range t.words {
		if t.packed[p] != nil {
			t.words[p] = t.words[p][:0]
		}
	}
	some := false
	if probe {
		for _, i := range neutral {
			if scope[i>>6]&(1<<(uint32(i)&63)) != 0 {
				for _, codes := range t.codes {
					if codes[i] >= 0 {
						return true
					}
				}
			}
		}
		return false
	}
	// The rows are written in place (sized for every identity of neutral), not appended
	// code by code.
	nd := len(t.codes)
	rows := slices.Grow(t.rows, len(neutral)*nd)[:len(neutral)*nd]
	n := 0
	for _, i := range neutral {
		if scope[i>>6]&(1<<(uint32(i)&63)) == 0 {
			continue
		}
		row := rows[n*nd : n*nd+nd]
		for p, codes := range t.codes {
			c := codes[i]
			row[p] = c
			some = some || c >= 0
		}
		n++
		t.ids = append(t.ids, i)
		for p, pk := range t.packed {
			if pk != nil {
				t.words[p] = append(t.words[p], pk[i])
			}
		}
	}
	t.rows = rows[:n*nd]
	return some
}

// firstTerm counts the criteria cs (those of one first term) into out: the first term
// alone matches the rows holding it, and a two-term criterion those of them holding its
// second term too. The second terms come by dimension: for each dimension, either the rows
// of the first term are walked once for all its second terms (marked in want), or, when
// that costs more, the rows of each second term are checked for the first term.
func (t *neutralTally) firstTerm(cs []kernels.Count, out []int32) {
	t0 := cs[0].C.T[0]
	rows := t.rowsWith(t0)
	if len(rows) == 0 {
		return // out is zero
	}
	t.wanted, t.wantedMulti, t.wants = t.wanted[:0], t.wantedMulti[:0], t.wants[:0]
	for k := 0; k < len(cs); {
		c := &cs[k].C
		if c.N == 1 {
			out[k] = int32(len(rows))
			k++
			continue
		}
		e, lists := k, 0
		for ; e < len(cs) && cs[e].C.T[1].Dim == c.T[1].Dim; e++ {
			lists += len(t.rowsWith(cs[e].C.T[1]))
		}
		if lists < len(rows) {
			for j := k; j < e; j++ {
				out[j] = t.countWith(t.rowsWith(cs[j].C.T[1]), t0)
			}
		} else {
			q := t.pos[c.T[1].Dim]
			if t.want[q] == nil {
				t.want[q] = make([]int32, t.card[q]+1)
			}
			for j := k; j < e; j++ {
				t.want[q][cs[j].C.T[1].Val+1] = int32(j + 1)
			}
			if t.multi[q] != nil {
				t.wantedMulti = append(t.wantedMulti, q)
			} else {
				t.wanted, t.wants = append(t.wanted, q), append(t.wants, t.want[q])
			}
		}
		k = e
	}
	if len(t.wanted) == 0 && len(t.wantedMulti) == 0 {
		return
	}
	t.walk(rows, out)
	for k := range cs {
		if c := &cs[k].C; c.N == 2 {
			if want := t.want[t.pos[c.T[1].Dim]]; want != nil {
				want[c.T[1].Val+1] = 0 // marked or already zero
			}
		}
	}
}

// walkAhead is how many rows ahead walk reads a row's first code: the rows of a first
// term are scattered over the role's rows, and the read brings a row's line in before
// its turn.
const walkAhead = 8

// walk adds to out[k-1] each of rows holding a second term marked k in want, on the
// positions of t.wanted and t.wantedMulti.
func (t *neutralTally) walk(rows []int32, out []int32) {
	nd := len(t.codes)
	ahead := int32(0)
	for j, row := range rows {
		if j+walkAhead < len(rows) {
			ahead += t.rows[int(rows[j+walkAhead])*nd]
		}
		codes := t.rows[int(row)*nd : int(row+1)*nd]
		for x, q := range t.wanted {
			if k := t.wants[x][codes[q]+1]; k > 0 { // codes[q] -1 (none) reads the 0 at want[0]
				out[k-1]++
			}
		}
		for _, q := range t.wantedMulti {
			t.walkMulti(q, row, codes[q], out)
		}
	}
	t.ahead = ahead
}

// walkMulti adds to out[k-1] for each value of row at multi-valued position q (c its
// first code) marked k in want.
func (t *neutralTally) walkMulti(q, row, c int32, out []int32) {
	if c < 0 {
		return // no first value, no other either
	}
	want := t.want[q]
	if k := want[c+1]; k > 0 {
		out[k-1]++
	}
	if e, ok := t.extras(int(q), row); ok {
		for ; e != 0; e >>= packedBits {
			if k := want[e&packedSlot]; k > 0 { // a slot holds code+1
				out[k-1]++
			}
		}
		return
	}
	d, i := t.multi[q], t.ids[row]
	for _, c := range d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]] {
		if k := want[c+1]; k > 0 {
			out[k-1]++
		}
	}
}

// countWith returns how many of rows hold term u.
func (t *neutralTally) countWith(rows []int32, u kernels.Term) int32 {
	nd, p := len(t.codes), int(t.pos[u.Dim])
	d := t.multi[p]
	n := int32(0)
	for _, row := range rows {
		c := t.rows[int(row)*nd+p]
		if c == u.Val {
			n++
		} else if d != nil && c >= 0 {
			if e, ok := t.extras(p, row); ok {
				for ; e != 0; e >>= packedBits {
					if int32(e&packedSlot)-1 == u.Val {
						n++
						break
					}
				}
				continue
			}
			i := t.ids[row]
			if _, ok := slices.BinarySearch(d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]], u.Val); ok {
				n++
			}
		}
	}
	return n
}

// rowsWith returns the rows holding term u (ascending).
func (t *neutralTally) rowsWith(u kernels.Term) []int32 {
	p := t.pos[u.Dim]
	b := &t.byValue[p]
	if !b.built {
		t.build(int(p))
	}
	if n := b.n[u.Val]; n > 0 {
		return b.rows[b.end[u.Val]-n : b.end[u.Val]]
	}
	return nil
}

// build lists the rows by their values at position p (a counting sort over the values
// held, each value's rows ascending).
func (t *neutralTally) build(p int) {
	b := &t.byValue[p]
	if b.n == nil {
		b.n, b.end = make([]int32, t.card[p]), make([]int32, t.card[p])
	}
	b.touched = b.touched[:0]
	each := func(fn func(row, c int32)) {
		nd := len(t.codes)
		for row := range int32(len(t.ids)) {
			c := t.rows[int(row)*nd+p]
			if c < 0 {
				continue
			}
			fn(row, c)
			if d := t.multi[p]; d != nil {
				if e, ok := t.extras(p, row); ok {
					for ; e != 0; e >>= packedBits {
						fn(row, int32(e&packedSlot)-1)
					}
					continue
				}
				i := t.ids[row]
				for _, c := range d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]] {
					fn(row, c)
				}
			}
		}
	}
	each(func(_, c int32) {
		if b.n[c] == 0 {
			b.touched = append(b.touched, c)
		}
		b.n[c]++
	})
	total := int32(0)
	for _, c := range b.touched {
		b.end[c] = total // the start until the rows are placed
		total += b.n[c]
	}
	if cap(b.rows) < int(total) {
		b.rows = make([]int32, total)
	}
	b.rows = b.rows[:total]
	each(func(row, c int32) {
		b.rows[b.end[c]] = row
		b.end[c]++
	})
	b.built = true
}

// reset forgets the current role's rows by value.
func (b *rowsByValue) reset() {
	if !b.built {
		return
	}
	for _, c := range b.touched {
		b.n[c] = 0 // end is set again for every value with rows
	}
	b.touched, b.built = b.touched[:0], false
}
