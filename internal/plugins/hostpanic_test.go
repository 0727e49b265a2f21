package plugins

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/uerr"
)

// TestHostPanicIsInternal: a panic in one of rolemine's host functions while a plugin
// calls it (a bug, stood in for by the call context's hostFaultKey) fails the run as rolemine's internal error
// naming the function and the panic, not as a fault of the plugin; the deliberate panics
// (env.abort's, path_open's) stay plugin faults (TestHandMadeModules, TestFaults).
// Unguarded, wazero turned it into the plugin's "trap in rolemine_batch".
func TestHostPanicIsInternal(t *testing.T) {
	store := func(addr, v int64) []byte { return wcat(wi32(addr), wi32(v), []byte{0x36, 0x02, 0x00}) }
	abort := wcat(store(2048, 6), store(2052, 0x00610062), store(2056, 0x64),
		wi32(2052), wi32(0), wi32(12), wi32(5), []byte{0x10, 0x00, 0x00})
	for _, tc := range []struct {
		name  string
		fault func()
		want  string
	}{
		{"runtime error", func() {
			var m map[string]int
			m["x"]++
		}, "assignment to entry in nil map"},
		{"panic with a string", func() { panic("host bug") }, "host bug"},
		{"panic with an error", func() { panic(errors.New("host bug as an error")) }, "host bug as an error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.WithValue(context.Background(), hostFaultKey{}, func(function string) {
				if function == "env.abort" {
					tc.fault()
				}
			})
			h := testHost(t, Options{Timeout: time.Second, BatchRows: 4, Workers: 1})
			p, err := h.Load(context.Background(), Spec{Path: writeWasm(t, handPlugin(1, []string{"env.abort(iiii)"},
				wfunc{"rolemine_batch", []byte{wI32, wI32}, []byte{wI32}, abort})), Origin: "test"})
			if err != nil {
				t.Fatal(err)
			}
			err = Apply(ctx, faultSnapshot(), []*Plugin{p})
			var ie *InternalError
			var pe *Error
			if !errors.As(err, &ie) || errors.As(err, &pe) || uerr.Is(err) || uerr.Is(uerr.WrapInput(err)) || !uerr.IsInternal(err) {
				t.Fatalf("err = %v (%T), want an *InternalError, an internal error, neither a plugin fault nor a user error", err, err)
			}
			for _, want := range []string{"rolemine's host function env.abort panicked", tc.want, "not the plugin's fault"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if !strings.Contains(string(ie.Stack), "hostpanic_test.go") || strings.Contains(err.Error(), "hostpanic_test.go") {
				t.Errorf("the stack belongs in Stack, not in the message: %q", err)
			}
		})
	}
}
