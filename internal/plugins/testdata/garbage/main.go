// Command garbage is a test plugin that makes 64 KiB of garbage per row, so that Go's
// collector runs every few dozen rows, and copies its input to "<input>_copy".
package main

import "github.com/rolemine/rolemine/plugins/sdk"

var sink []byte

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "garbage", Version: "1", Inputs: []string{"title"}, Outputs: []string{"title_copy"}},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			sink = make([]byte, 64<<10)
			sink[len(in.Value(0))] = 1
			out.Add(0, in.Value(0))
			return nil
		},
	})
}

func main() {}
