// Command trap is a fault plugin: its Derive divides by zero on the identity titled
// "Boom"; with the configuration "escape" it panics there instead, with a value holding a
// terminal escape sequence.
package main

import "github.com/rolemine/rolemine/plugins/sdk"

var escape bool

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "fault-trap", Version: "1", Inputs: []string{"title"}, Outputs: []string{"x"}},
		Configure: func(config []byte, m *sdk.Manifest) error {
			escape = string(config) == "escape"
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
