// Command loop is a fault plugin: its Derive never returns.
package main

import "github.com/rolemine/rolemine/plugins/sdk"

var sink int

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "fault-loop", Version: "1", Inputs: []string{"title"}, Outputs: []string{"x"}},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			for i := 0; ; i++ {
				sink += i
			}
		},
	})
}

func main() {}
