package mining

import (
	"context"
	"testing"

	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/spectest"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestUnknownDimensionBeforeMining: a Dimensions entry naming no attribute of the
// identities stops the run before any mining rule is mined, even when the entry is on the
// last mining rule to run (found by the semantic audit: the earlier mining rules were mined
// first, minutes at scale, before the typo was reported), with the configuration file's
// name and the attribute it differs from only in letter case.
func TestUnknownDimensionBeforeMining(t *testing.T) {
	data := "identities:\nidentity_id,kind,dept\nu1,human,Sales\nu2,human,Sales\nu3,human,Sales\nu4,human,Eng\n" +
		"assignments:\nSALES: u1 u2 u3\n"
	snap, err := spectest.Load(context.Background(), data, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig("mining.xml", []byte(`<C><MiningRule Priority="1"/><MiningRule Dimensions="kind, Dept"/></C>`))
	if err != nil {
		t.Fatal(err)
	}
	be := &countingBackend{Backend: cpu.New()}
	_, err = Run(context.Background(), snap, cfg, Options{Backend: be, Workers: 1})
	want := `mining.xml: MiningRule#2 (line 1, priority 0): Dimensions lists "Dept", which is not an attribute of the identities (have: dept, kind); names are case-sensitive: did you mean dept?`
	if err == nil || !uerr.Is(err) || err.Error() != want {
		t.Fatalf("error %v, want the user error %q", err, want)
	}
	if be.calls != 0 {
		t.Errorf("the backend counted %d times before the error; want none", be.calls)
	}
	cfg.MiningRules[1].Dimensions = []string{"kind", "dept"}
	if _, err := Run(context.Background(), snap, cfg, Options{Backend: be, Workers: 1}); err != nil || be.calls == 0 {
		t.Fatalf("valid Dimensions: error %v, %d counts", err, be.calls)
	}
}
