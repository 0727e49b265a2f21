package columnar

// Codes kept as runs (tableSpec.runCodes): in an assignments file written identity by
// identity, the identity_id column's rows come in runs of one code, about 23 rows each at
// tier L. Kept as runs, its codes take a run's 8 bytes rather than 4 a row (8 MB rather
// than 91 MB of memory touched for the first time), and the join looks each identity up
// once a run rather than once a row.

// minRunRows is how many rows a column keeps as runs before judging whether runs pay.
const minRunRows = 1 << 16

// setRunCodes makes an empty column keep its codes as runs; room is about how many rows
// it will hold.
func (c *column) setRunCodes(room int) {
	c.runCodes, c.codeRoom, c.codes = true, room, nil
}

// rowsCoded returns how many rows the column has coded.
func (c *column) rowsCoded() int {
	if !c.runCodes {
		return len(c.codes)
	}
	if n := len(c.runEnd); n > 0 {
		return int(c.runEnd[n-1])
	}
	return 0
}

// codesRoom returns about how many rows the column was made for.
func (c *column) codesRoom() int {
	if c.runCodes {
		return c.codeRoom
	}
	return cap(c.codes)
}

// appendRuns codes the rows of a page whose dictionary indexes are idx through remap
// (every code a row may take as it is) as runs, from row pos (0-based). On an index
// outside remap it codes none of the page's rows and returns that index's position in
// idx; else -1. Once the runs are judged not to pay (fewer than four rows a run), the
// column goes back to a code per row (expandRuns).
func (c *column) appendRuns(idx, remap []int32, pos int64) int {
	n0 := len(c.runCode)
	var end0 int32
	last, open := int32(0), n0 > 0
	if open {
		end0, last = c.runEnd[n0-1], c.runCode[n0-1]
	}
	nd := uint32(len(remap))
	for i, x := range idx {
		if uint32(x) >= nd {
			c.runCode, c.runEnd = c.runCode[:n0], c.runEnd[:n0]
			if n0 > 0 {
				c.runEnd[n0-1] = end0
			}
			return i
		}
		code := remap[x]
		if open && code == last {
			continue
		}
		if open {
			c.runEnd[len(c.runEnd)-1] = int32(pos) + int32(i)
		}
		if len(c.runCode) == cap(c.runCode) {
			c.growRuns(pos + int64(i))
		}
		c.runCode = append(c.runCode, code)
		c.runEnd = append(c.runEnd, 0)
		last, open = code, true
	}
	if open {
		c.runEnd[len(c.runEnd)-1] = int32(pos + int64(len(idx)))
	}
	if rows := pos + int64(len(idx)); rows >= minRunRows && 4*int64(len(c.runCode)) > rows {
		c.expandRuns()
	}
	return -1
}

// growRuns makes room for more runs once the runs' arrays are full, rows rows in: for the
// column's codeRoom rows at the rate of runs so far, and a quarter more, rather than let
// them double as they fill (their copies would be most of the memory they touch).
func (c *column) growRuns(rows int64) {
	n := len(c.runCode)
	want := n + n/2 + 1024
	if rows >= minRunRows {
		want = max(want, int(min(int64(n)*int64(c.codeRoom)/rows*5/4, int64(c.codeRoom))))
	}
	// make and copy rather than slices.Grow, whose append writes the whole new room.
	code, end := make([]int32, n, want), make([]int32, n, want)
	copy(code, c.runCode)
	copy(end, c.runEnd)
	c.runCode, c.runEnd = code, end
}

// expandRuns turns a column's runs into a code per row (with room for codesRoom rows),
// for the pages that cannot be kept as runs and for readers that need a code per row.
func (c *column) expandRuns() {
	if !c.runCodes {
		return
	}
	n := c.rowsCoded()
	c.codes = make([]int32, n, max(n, c.codeRoom))
	c.runIdents().fill(c.codes)
	c.runCodes, c.runCode, c.runEnd = false, nil, nil
}

// runIdents returns the column's codes by row: a code per row, or its runs.
func (c *column) runIdents() rowCodes {
	if c.runCodes {
		return rowCodes{runCode: c.runCode, runEnd: c.runEnd}
	}
	return rowCodes{codes: c.codes}
}

// rowCodes are a column's codes by row: one per row (codes), or runs, run k holding the
// code runCode[k] for rows runEnd[k-1] (0 for the first) to runEnd[k].
type rowCodes struct {
	codes           []int32
	runCode, runEnd []int32
}

// perRowCodes returns codes as rowCodes.
func perRowCodes(codes []int32) rowCodes { return rowCodes{codes: codes} }

// rows returns how many rows a holds.
func (a rowCodes) rows() int {
	if a.runEnd == nil {
		return len(a.codes)
	}
	if n := len(a.runEnd); n > 0 {
		return int(a.runEnd[n-1])
	}
	return 0
}

// runAt returns the run holding row lo (runs only).
func (a rowCodes) runAt(lo int) int {
	l, h := 0, len(a.runEnd)
	for l < h {
		m := int(uint(l+h) >> 1)
		if int(a.runEnd[m]) <= lo {
			l = m + 1
		} else {
			h = m
		}
	}
	return l
}

// fill writes the code of each row to out (a.rows() long).
func (a rowCodes) fill(out []int32) {
	if a.runEnd == nil {
		copy(out, a.codes)
		return
	}
	start := int32(0)
	for k, end := range a.runEnd {
		code := a.runCode[k]
		for i := start; i < end; i++ {
			out[i] = code
		}
		start = end
	}
}

// perRow returns a code per row: a's codes, or its runs expanded into a new array.
func (a rowCodes) perRow() []int32 {
	if a.runEnd == nil {
		return a.codes
	}
	out := make([]int32, a.rows())
	a.fill(out)
	return out
}
