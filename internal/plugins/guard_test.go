package plugins

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestMalformedModulesRefused: the two modules FuzzInstrument found crashing wazero v1.12
// (testdata/malformed) are user errors naming the file, and the one whose function type
// claims about 2^28 parameters is refused before wazero allocates for it. Without the guard,
// the first asks for 2.13 GB twice (fatal "out of memory" under a 4 GB address limit)
// and the second panics in wazero's validator.
func TestMalformedModulesRefused(t *testing.T) {
	h := testHost(t, Options{})
	for _, tc := range []struct{ file, want string }{
		{"types-2gb.wasm", "section 1: function type parameters: 266371330 claimed, 16 bytes left"},
		{"validate-panic.wasm", "the WebAssembly runtime failed on it (runtime error: index out of range"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "malformed", tc.file)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := h.Load(context.Background(), Spec{Path: path, Origin: "test"})
			runtime.ReadMemStats(&after)
			if err == nil || !uerr.Is(err) {
				t.Fatalf("want a user error, got %v", err)
			}
			for _, s := range []string{"test: plugin " + path + ": not a valid WebAssembly module: ", tc.want} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("loading it allocated %d bytes", grew)
			}
		})
	}
}

// guardModule is a module of the given sections (id, then contents).
func guardModule(secs ...[]byte) []byte {
	m := append([]byte(nil), wasmHeader...)
	for _, s := range secs {
		m = append(m, wsection(s[0], s[1:])...)
	}
	return m
}

// TestCheckBounds: each count checkBounds bounds, claimed beyond its bytes, is refused
// with its name; modules within their bytes pass, with more locals than bytes too.
func TestCheckBounds(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0x0f}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	body := func(b []byte) []byte { return append(uleb(uint64(len(b))), b...) }
	bad := []struct {
		name string
		sec  []byte
		want string
	}{
		{"types", cat([]byte{1}, huge), "section 1: types: 4294967295 claimed, 0 bytes left"},
		{"rec group", cat([]byte{1, 1, 0x4e}, huge), "types in a recursion group"},
		{"params", cat([]byte{1, 1, 0x60}, huge), "function type parameters: 4294967295 claimed"},
		{"results", cat([]byte{1, 1, 0x60, 0}, huge), "function type results"},
		{"imports", cat([]byte{2}, huge), "section 2: imports"},
		{"import name", cat([]byte{2, 1}, huge), "section 2: truncated module"},
		{"functions", cat([]byte{3}, huge), "section 3: entries"},
		{"tables", cat([]byte{4}, huge), "section 4: entries"},
		{"memories", cat([]byte{5}, huge), "section 5: entries"},
		{"globals", cat([]byte{6}, huge), "section 6: entries"},
		{"tags", cat([]byte{13}, huge), "section 13: entries"},
		{"exports", cat([]byte{7}, huge), "section 7: exports"},
		{"export name", cat([]byte{7, 1}, huge), "section 7: truncated module"},
		{"elements", cat([]byte{9}, huge), "section 9: element segments"},
		{"element indexes", cat([]byte{9, 1, 0, 0x41, 0, 0x0b}, huge), "segment elements"},
		{"element exprs", cat([]byte{9, 1, 5, 0x70}, huge), "segment elements"},
		{"bodies", cat([]byte{10}, huge), "section 10: function bodies"},
		{"body size", cat([]byte{10, 1}, huge), "function body size"},
		{"locals declarations", cat([]byte{10, 1}, body(cat(huge, []byte{0x0b}))), "locals declarations"},
		{"locals", cat([]byte{10, 1}, body(cat([]byte{1}, huge, []byte{wI32, 0x0b}))), "locals: 4294967295 declared"},
		{"locals summed", cat([]byte{10, 2}, body([]byte{1, 0x80, 0x80, 0x02, wI32, 0x0b}), body([]byte{1, 0x80, 0x80, 0x02, wI32, 0x0b})),
			"locals: 65536 declared"},
		{"data segments", cat([]byte{11}, huge), "section 11: data segments"},
		{"data bytes", cat([]byte{11, 1, 0, 0x41, 0, 0x0b}, huge), "data segment bytes"},
		{"passive data bytes", cat([]byte{11, 1, 1}, huge), "data segment bytes"},
		{"function names", cat([]byte{0, 4}, []byte("name"), []byte{1}, body(huge)), "section 0: names"},
		{"local names", cat([]byte{0, 4}, []byte("name"), []byte{2}, body(cat([]byte{1, 0}, huge))), "section 0: local names"},
		{"name subsection", cat([]byte{0, 4}, []byte("name"), []byte{1}, huge), "name subsection size"},
	}
	for _, tc := range bad {
		err := checkBounds(guardModule(tc.sec))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	good := map[string][]byte{
		"hand plugin":  handPlugin(1, []string{"wasi_snapshot_preview1.fd_write(iiii)", "env.abort(iiii)"}),
		"many locals":  guardModule(cat([]byte{10, 1}, body([]byte{1, 0xa0, 0x86, 0x03, wI32, 0x0b}))), // 50,000
		"other custom": guardModule(cat([]byte{0, 3}, []byte("foo"), huge)),
		"unknown form": guardModule(cat([]byte{1, 1, 0x5f}, huge)),
	}
	for name, m := range good {
		if err := checkBounds(m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
