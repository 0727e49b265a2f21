// Command trap is a fault plugin: its Derive divides by zero on the identity titled
// "Boom"; with the configuration "escape" it panics there instead, with a value holding a
// terminal escape sequence; with "big" it holds 24 MiB first (most of the tests' 32 MiB
// cap, well short of it).
package main

import "github.com/rolemine/rolemine/plugins/sdk"

var (
	escape bool
	big    []byte
)

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "fault-trap", Version: "1", Inputs: []string{"title"}, Outputs: []string{"x"}},
		Configure: func(config []byte, m *sdk.Manifest) error {
			escape = string(config) == "escape"
			if string(config) == "big" {
				big = make([]byte, 24<<20)
				big[len(big)-1] = 1
			}
			return nil
		},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			d := 1
			if in.Value(0) == "Boom" {
				if escape {
					panic("boom \x1b[2J\x1b]0;title\x07")
				}
				d = 0
			}
			out.Add(0, string(rune('a'+100/d%26)))
			return nil
		},
	})
}

func main() {}
