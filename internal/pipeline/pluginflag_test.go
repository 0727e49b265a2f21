package pipeline

import "testing"

// TestSplitPluginFlag: --plugin PATH.wasm[=CONFIG.json] is cut after ".wasm", so a path
// whose directories hold "=" (dt=2026-12-01/, partitioned storage) is the plugin's path,
// not a plugin "dt" with the configuration "2026-12-01/p.wasm" (found by the semantic
// audit: 'plugin configuration: open 2026/titlefamily.wasm: no such file').
func TestSplitPluginFlag(t *testing.T) {
	for _, tc := range []struct {
		v, path, conf string
		hasConf       bool
	}{
		{"p.wasm", "p.wasm", "", false},
		{"p.wasm=c.json", "p.wasm", "c.json", true},
		{"dt=2026/p.wasm", "dt=2026/p.wasm", "", false},
		{"dt=2026/p.wasm=cfg=1/c.json", "dt=2026/p.wasm", "cfg=1/c.json", true},
		{"p.wasm=", "p.wasm", "", true},
		{"=c.json", "", "c.json", true},
		{"plugin=c.json", "plugin", "c.json", true},
	} {
		path, conf, hasConf := splitPluginFlag(tc.v)
		if path != tc.path || conf != tc.conf || hasConf != tc.hasConf {
			t.Errorf("%q: got (%q, %q, %v), want (%q, %q, %v)", tc.v, path, conf, hasConf, tc.path, tc.conf, tc.hasConf)
		}
	}
}
