// Command orgtree is a rolemine criterion plugin for hierarchical dimensions: from a
// parent map given as configuration, it emits an identity's org unit and every ancestor
// of it, so that one rule "org_unit_under=Finance" covers every sub-unit of Finance, as
// Netwrix hierarchical dimensions do.
//
// Configuration (JSON, required):
//
//	{"input": "org_unit", "output": "org_unit_under",
//	 "parents": {"FIN-AP": "FIN", "FIN-AR": "FIN", "FIN": "CORP"}}
//
// A unit absent from "parents" is a root. A cycle is a configuration error.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o orgtree.wasm .
package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rolemine/rolemine/plugins/sdk"
)

type config struct {
	Input   string            `json:"input"`
	Output  string            `json:"output"`
	Parents map[string]string `json:"parents"`
}

var parents map[string]string

func init() {
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{
			Name: "orgtree", Version: "1.0.0",
			Inputs: []string{"org_unit"}, Outputs: []string{"org_unit_under"},
		},
		Configure: func(raw []byte, m *sdk.Manifest) error {
			if len(raw) == 0 {
				return errors.New(`a configuration with a "parents" map is required`)
			}
			c := config{Input: "org_unit"}
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("config: %w", err)
			}
			if c.Output == "" {
				c.Output = c.Input + "_under"
			}
			if err := checkAcyclic(c.Parents); err != nil {
				return err
			}
			parents = c.Parents
			m.Inputs = []string{c.Input}
			m.Outputs = []string{c.Output}
			return nil
		},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			for _, u := range in.Values(0) {
				for _, a := range ancestors(u) {
					out.Add(0, a)
				}
			}
			return nil
		},
	})
}

func main() {}

// ancestors returns u and every ancestor of u, nearest first.
func ancestors(u string) []string {
	var out []string
	for u != "" {
		out = append(out, u)
		u = parents[u]
	}
	return out
}

// checkAcyclic rejects a parent map with a cycle.
func checkAcyclic(p map[string]string) error {
	for start := range p {
		seen := map[string]bool{}
		for u := start; u != ""; u = p[u] {
			if seen[u] {
				return fmt.Errorf("parents: cycle through %q", u)
			}
			seen[u] = true
		}
	}
	return nil
}
