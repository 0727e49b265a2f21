package sdk

import (
	"encoding/binary"
	"testing"
)

// TestNoInputs: a plugin reading no attribute (the ABI asks for at least one output, not
// one input), e.g. one tagging every identity with a constant, answers every row; its
// first batch panicked in the SDK (slice bounds out of range [:1] with capacity 0, the
// output slices being made only along with the inputs'), found by the semantic audit.
func TestNoInputs(t *testing.T) {
	Register(Plugin{Manifest: Manifest{Name: "constant", Version: "1", Outputs: []string{"source"}},
		Derive: func(in *Input, out *Output) error {
			out.Add(0, "hr")
			return nil
		}})
	if !g.init(nil) {
		t.Fatal(string(g.result))
	}
	le := binary.LittleEndian
	batch := le.AppendUint32(le.AppendUint32(nil, 2), 0) // 2 rows, 0 attributes
	if !g.batch(batch) {
		t.Fatal(string(g.result))
	}
	var want []byte
	for _, v := range []uint32{2, 1, 1, 2} {
		want = le.AppendUint32(want, v)
	}
	want = append(want, "hr"...)
	want = append(le.AppendUint32(le.AppendUint32(want, 1), 2), "hr"...)
	if string(g.result) != string(want) {
		t.Fatalf("answer % x, want % x", g.result, want)
	}
}
