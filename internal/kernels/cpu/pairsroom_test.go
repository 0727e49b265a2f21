package cpu

import (
	"testing"

	"github.com/rolemine/rolemine/internal/kernels"
)

// TestPairsOfRoom: with only (CooccurPairs), pairsOf gives the role's pairs room for as
// many as two dimensions can have, the product of their selected values or the holders
// over MinTP, whichever is smaller, and grows a slice it must grow at least twofold (not
// by append's quarter); without only it hands pc[b] over as it is.
func TestPairsOfRoom(t *testing.T) {
	p := &pairCounter[uint16]{q: &kernels.Query{MinTP: 3}, only: true, n: 30,
		sels: [][]valCount{make([]valCount, 4), make([]valCount, 5)}, pc: make([][]Pair, 2)}
	if out := p.pairsOf(0, 1); cap(out)-len(out) < 11 {
		t.Errorf("30 holders over MinTP 3: room for %d pairs, want at least 11", cap(out)-len(out))
	}
	p.n = 300
	if out := p.pairsOf(0, 1); cap(out)-len(out) < 20 {
		t.Errorf("4 x 5 selected values: room for %d pairs, want at least 20", cap(out)-len(out))
	}
	p.pairs = make([]Pair, 1000)
	if out := p.pairsOf(0, 1); cap(out) < 2000 || len(out) != 1000 {
		t.Errorf("a full slice of 1000 pairs grew to capacity %d (length %d), want at least 2000", cap(out), len(out))
	}
	p.only, p.pc[1] = false, make([]Pair, 3, 3)
	if out := p.pairsOf(0, 1); cap(out) != 3 {
		t.Errorf("without only: pc[1] of capacity 3 handed over with capacity %d", cap(out))
	}
}
