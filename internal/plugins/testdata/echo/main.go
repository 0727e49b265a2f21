// Command echo is a test plugin: it copies its input attribute (default "title") to
// "<input>_copy", every value.
package main

import "github.com/rolemine/rolemine/plugins/sdk"

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "echo", Version: "1", Inputs: []string{"title"}, Outputs: []string{"title_copy"}},
		Configure: func(c []byte, m *sdk.Manifest) error {
			if len(c) > 0 {
				m.Inputs = []string{string(c)}
				m.Outputs = []string{string(c) + "_copy"}
			}
			return nil
		},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			for _, v := range in.Values(0) {
				out.Add(0, v)
			}
			return nil
		},
	})
}

func main() {}
