// Package sdk is the Go guest SDK for rolemine criterion plugins (ABI version 1, see
// plugins/ABI.md). A plugin is a main package built with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o NAME.wasm .
//
// that registers one Plugin from an init function and has an empty main:
//
//	func init() {
//		sdk.Register(sdk.Plugin{
//			Manifest: sdk.Manifest{Name: "upper", Version: "1.0.0",
//				Inputs: []string{"title"}, Outputs: []string{"title_upper"}},
//			Derive: func(in *sdk.Input, out *sdk.Output) error {
//				out.Add(0, strings.ToUpper(in.Value(0)))
//				return nil
//			},
//		})
//	}
//
//	func main() {}
//
// The SDK implements the exports of the ABI (memory, batch decoding and encoding, errors);
// the plugin is one function from an identity's input attributes to its derived ones.
package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ABIVersion is the version of the rolemine plugin ABI this SDK implements.
const ABIVersion = 1

// Manifest declares a plugin: its name and version, the attributes it reads (in order:
// Input index k is Inputs[k]) and the attributes it produces (Output index k is
// Outputs[k]). "identity_id" and "kind" may be inputs.
type Manifest struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
}

// Plugin is what a plugin registers.
type Plugin struct {
	Manifest
	// Configure, if set, is called once per instance with the plugin's configuration
	// (the JSON file given to rolemine; nil when none) before any batch. It may change
	// the manifest, e.g. to read a configured attribute.
	Configure func(config []byte, m *Manifest) error
	// Derive computes the derived attributes of one identity. It must depend only on
	// its input: rolemine may call it on any instance, in any order.
	Derive func(in *Input, out *Output) error
}

// Input is one identity's input attributes, in manifest order.
type Input struct {
	vals [][]string
}

// Value returns the first value of input k (of a multi-valued input, the smallest in byte
// order: rolemine sends an identity's values sorted), or "" when the identity has none.
func (in *Input) Value(k int) string {
	if k < len(in.vals) && len(in.vals[k]) > 0 {
		return in.vals[k][0]
	}
	return ""
}

// Values returns every value of input k (several for multi-valued attributes produced
// by an earlier plugin). The slice is only valid during the Derive call.
func (in *Input) Values(k int) []string {
	if k < len(in.vals) {
		return in.vals[k]
	}
	return nil
}

// Output collects one identity's derived values.
type Output struct {
	vals [][]string
}

// Add appends value v to output attribute k. An empty v is ignored (no value).
func (out *Output) Add(k int, v string) {
	if v == "" {
		return
	}
	if k < 0 || k >= len(out.vals) {
		panic(fmt.Sprintf("sdk: Output.Add: attribute index %d out of range (%d outputs)", k, len(out.vals)))
	}
	out.vals[k] = append(out.vals[k], v)
}

// guest is the state of one plugin instance.
type guest struct {
	plugin     *Plugin
	manifest   Manifest
	configured bool
	buf        []byte // input buffer handed to the host by alloc
	result     []byte // last result: output batch or error message
	in         Input
	out        Output
}

var g guest

// Register makes p the plugin of this module. Call it from an init function.
func Register(p Plugin) {
	g = guest{plugin: &p, manifest: p.Manifest}
}

// alloc returns a buffer of at least n bytes owned by the guest.
func (g *guest) alloc(n int) []byte {
	if cap(g.buf) < n {
		g.buf = make([]byte, n)
	}
	return g.buf[:n]
}

// init configures the plugin and returns its manifest as JSON (ok) or an error message.
func (g *guest) init(config []byte) (ok bool) {
	if g.plugin == nil {
		g.result = []byte("no plugin registered: call sdk.Register from an init function")
		return false
	}
	g.manifest = g.plugin.Manifest
	g.manifest.Inputs = append([]string(nil), g.manifest.Inputs...)
	g.manifest.Outputs = append([]string(nil), g.manifest.Outputs...)
	if g.plugin.Configure != nil {
		if err := g.plugin.Configure(config, &g.manifest); err != nil {
			g.result = []byte("configure: " + err.Error())
			return false
		}
	}
	if g.plugin.Derive == nil {
		g.result = []byte("plugin has no Derive function")
		return false
	}
	b, err := json.Marshal(g.manifest)
	if err != nil {
		g.result = []byte(err.Error())
		return false
	}
	g.configured = true
	g.result = b
	return true
}

// batch decodes an input batch, derives every row and encodes the output batch.
func (g *guest) batch(data []byte) (ok bool) {
	if !g.configured {
		g.result = []byte("batch before a successful init")
		return false
	}
	d := decoder{b: data}
	rows, attrs := d.u32(), d.u32()
	if d.err == nil && int(attrs) != len(g.manifest.Inputs) {
		g.result = fmt.Appendf(nil, "batch has %d input attributes, manifest declares %d", attrs, len(g.manifest.Inputs))
		return false
	}
	nout := len(g.manifest.Outputs)
	enc := encoder{b: g.result[:0]}
	enc.u32(rows)
	enc.u32(uint32(nout))
	if cap(g.in.vals) < int(attrs) {
		g.in.vals = make([][]string, attrs)
	}
	if cap(g.out.vals) < nout {
		g.out.vals = make([][]string, nout)
	}
	g.in.vals = g.in.vals[:attrs]
	g.out.vals = g.out.vals[:nout]
	for r := uint32(0); r < rows && d.err == nil; r++ {
		for k := range g.in.vals {
			n := d.u32()
			g.in.vals[k] = g.in.vals[k][:0]
			for j := uint32(0); j < n && d.err == nil; j++ {
				g.in.vals[k] = append(g.in.vals[k], d.str())
			}
		}
		if d.err != nil {
			break
		}
		for k := range g.out.vals {
			g.out.vals[k] = g.out.vals[k][:0]
		}
		if err := g.plugin.Derive(&g.in, &g.out); err != nil {
			g.result = fmt.Appendf(nil, "row %d of the batch: %v", r+1, err)
			return false
		}
		for _, vs := range g.out.vals {
			enc.u32(uint32(len(vs)))
			for _, v := range vs {
				enc.u32(uint32(len(v)))
				enc.b = append(enc.b, v...)
			}
		}
	}
	if d.err != nil {
		g.result = []byte("malformed input batch: " + d.err.Error())
		return false
	}
	g.result = enc.b
	return true
}

// decoder reads the little-endian wire format of ABI.md.
type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("unexpected end of batch")

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.err = errShort
		d.b = nil
		return 0
	}
	v := uint32(d.b[0]) | uint32(d.b[1])<<8 | uint32(d.b[2])<<16 | uint32(d.b[3])<<24
	d.b = d.b[4:]
	return v
}

func (d *decoder) str() string {
	n := d.u32()
	if uint64(n) > uint64(len(d.b)) {
		d.err = errShort
		d.b = nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) {
	e.b = append(e.b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}
