// Command nhiname is a rolemine criterion plugin that parses the naming conventions of
// non-human identities (service accounts, API keys, workloads) into the application and
// environment they belong to, e.g. "svc-payments-prod-3" gives nhi_app=payments and
// nhi_env=prod.
//
// Configuration (optional JSON):
//
//	{"input": "identity_id", "patterns": ["svc-{app}-{env}-{n}", "key-{app}-{env}-{n}"]}
//
// A pattern is literal text with the placeholders {app}, {env}, {n} (digits) and {*}
// (anything); the first pattern that matches the whole name wins. {app} may contain '-'.
// Names that match no pattern get no value.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o nhiname.wasm .
package main

import (
	"encoding/json"
	"fmt"

	"github.com/rolemine/rolemine/plugins/sdk"
)

// defaultPatterns are the conventions of rolemine gen and common ones elsewhere.
var defaultPatterns = []string{
	"svc-{app}-{env}-{n}", "key-{app}-{env}-{n}", "wl-{app}-{env}-{n}",
	"sa_{app}_{env}", "ak-{app}-{env}", "{app}-{env}-svc",
}

type config struct {
	Input    string   `json:"input"`
	Patterns []string `json:"patterns"`
}

var patterns [][]token

func init() {
	patterns = mustCompile(defaultPatterns)
	sdk.Register(sdk.Plugin{
		Manifest: sdk.Manifest{
			Name: "nhiname", Version: "1.0.0",
			Inputs: []string{"identity_id"}, Outputs: []string{"nhi_app", "nhi_env"},
		},
		Configure: func(raw []byte, m *sdk.Manifest) error {
			if len(raw) == 0 {
				return nil
			}
			c := config{Input: "identity_id"}
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("config: %w", err)
			}
			m.Inputs = []string{c.Input}
			if len(c.Patterns) > 0 {
				ps, err := compile(c.Patterns)
				if err != nil {
					return err
				}
				patterns = ps
			}
			return nil
		},
		Derive: func(in *sdk.Input, out *sdk.Output) error {
			app, env := parse(in.Value(0))
			out.Add(0, app)
			out.Add(1, env)
			return nil
		},
	})
}

func main() {}

// token is a literal (lit != "") or a placeholder.
type token struct {
	lit, hole string
}

func mustCompile(ps []string) [][]token {
	c, err := compile(ps)
	if err != nil {
		panic(err)
	}
	return c
}

func compile(ps []string) ([][]token, error) {
	var out [][]token
	for _, p := range ps {
		var toks []token
		for p != "" {
			if p[0] == '{' {
				end := 1
				for end < len(p) && p[end] != '}' {
					end++
				}
				if end == len(p) {
					return nil, fmt.Errorf("pattern %q: unclosed '{'", p)
				}
				h := p[1:end]
				switch h {
				case "app", "env", "n", "*":
				default:
					return nil, fmt.Errorf("pattern %q: unknown placeholder {%s}; expected {app}, {env}, {n} or {*}", p, h)
				}
				if len(toks) > 0 && toks[len(toks)-1].hole != "" {
					return nil, fmt.Errorf("pattern %q: two placeholders need a literal between them", p)
				}
				toks = append(toks, token{hole: h})
				p = p[end+1:]
				continue
			}
			end := 0
			for end < len(p) && p[end] != '{' {
				end++
			}
			toks = append(toks, token{lit: p[:end]})
			p = p[end:]
		}
		out = append(out, toks)
	}
	return out, nil
}

// parse returns the application and environment of an account name.
func parse(name string) (app, env string) {
	for _, p := range patterns {
		var b binding
		if match(p, name, &b) {
			return b.app, b.env
		}
	}
	return "", ""
}

// binding holds the values of a pattern's {app} and {env} (a plain struct: a map per
// pattern and name cost a third of the plugin's time).
type binding struct{ app, env string }

// match matches toks against s completely, binding placeholders. A placeholder takes the
// longest text that lets the rest match (backtracking), so {app} may contain separators.
// Bindings are written only once the whole rest matched.
func match(toks []token, s string, b *binding) bool {
	if len(toks) == 0 {
		return s == ""
	}
	t := toks[0]
	if t.lit != "" {
		if len(s) < len(t.lit) || s[:len(t.lit)] != t.lit {
			return false
		}
		return match(toks[1:], s[len(t.lit):], b)
	}
	for end := len(s); end >= 1; end-- {
		v := s[:end]
		if t.hole == "n" && !digits(v) {
			continue
		}
		if match(toks[1:], s[end:], b) {
			switch t.hole {
			case "app":
				b.app = v
			case "env":
				b.env = v
			}
			return true
		}
	}
	return false
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
