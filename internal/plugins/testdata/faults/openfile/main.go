// Command openfile is a fault plugin: its Derive tries to read a host file.
package main

import (
	"os"

	"github.com/rolemine/rolemine/plugins/sdk"
)

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{Name: "fault-openfile", Version: "1", Inputs: []string{"title"}, Outputs: []string{"x"}},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			b, err := os.ReadFile("/etc/passwd")
			if err != nil {
				return nil // ignore the error: the host must still fail the run
			}
			out.Add(0, string(b[:1]))
			return nil
		},
	})
}

func main() {}
