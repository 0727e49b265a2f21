// Command oom is a fault plugin: its Derive keeps allocating memory.
package main

import "github.com/rolemine/rolemine/plugins/sdk"

var hold [][]byte

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "fault-oom", Version: "1", Inputs: []string{"title"}, Outputs: []string{"x"}},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			for {
				b := make([]byte, 8<<20)
				b[len(b)-1] = 1
				hold = append(hold, b)
			}
		},
	})
}

func main() {}
