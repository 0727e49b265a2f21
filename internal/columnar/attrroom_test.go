package columnar

import "testing"

// TestAttrRoom: each attribute code's list has room for exactly its rows (nulls and
// codes without rows get none), so that mergeAttributes' appends never copy.
func TestAttrRoom(t *testing.T) {
	ac := &column{codes: []int32{2, 0, 2, -1, 2, 0}}
	got := attrRoom(ac, 4)
	for a, want := range []int{2, 0, 3, 0} {
		if len(got[a]) != 0 || cap(got[a]) != want {
			t.Errorf("code %d: %d entries, room for %d; want none and room for %d", a, len(got[a]), cap(got[a]), want)
		}
	}
}
