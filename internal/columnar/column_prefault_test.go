package columnar

import "testing"

// TestPrefaultRoomBounds checks that prefaultRoom stays within the codes' capacity and
// takes a count of no rows or fewer (a corrupt page header) without a panic.
func TestPrefaultRoomBounds(t *testing.T) {
	c := newCodes("x", modeValue, nil, 100_000)
	c.codes = append(c.codes, 1, 2, 3)
	for _, rows := range []int64{-5, 0, 1, 50_000, 1 << 40} {
		c.prefaultRoom(rows)
	}
	if len(c.codes) != 3 || c.codes[2] != 3 || cap(c.codes) != 100_000 {
		t.Fatalf("codes changed: len %d cap %d", len(c.codes), cap(c.codes))
	}
}
