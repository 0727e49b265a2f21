// Command trap is a fault plugin: its Derive divides by zero on the identity titled
// "Boom".
package main

import "github.com/rolemine/rolemine/plugins/sdk"

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "fault-trap", Version: "1", Inputs: []string{"title"}, Outputs: []string{"x"}},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			d := 1
			if in.Value(0) == "Boom" {
				d = 0
			}
			out.Add(0, string(rune('a'+100/d%26)))
			return nil
		},
	})
}

func main() {}
