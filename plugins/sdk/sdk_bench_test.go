package sdk

import (
	"encoding/binary"
	"strings"
	"testing"
)

func BenchmarkBatchNative(b *testing.B) {
	Register(Plugin{Manifest: Manifest{Name: "x", Inputs: []string{"title"}, Outputs: []string{"a", "b"}},
		Derive: func(in *Input, out *Output) error {
			out.Add(0, strings.ToLower(in.Value(0)))
			out.Add(1, "mid")
			return nil
		}})
	if !g.init(nil) {
		b.Fatal(string(g.result))
	}
	var buf []byte
	buf = binary.LittleEndian.AppendUint32(buf, 8192)
	buf = binary.LittleEndian.AppendUint32(buf, 1)
	for i := 0; i < 8192; i++ {
		buf = binary.LittleEndian.AppendUint32(buf, 1)
		buf = binary.LittleEndian.AppendUint32(buf, 16)
		buf = append(buf, "Sr. Software Eng"...)
	}
	for b.Loop() {
		if !g.batch(buf) {
			b.Fatal(string(g.result))
		}
	}
}
