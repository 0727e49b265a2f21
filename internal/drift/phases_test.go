package drift

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/report"
)

// TestPhasesNameTheRun checks that summary.json's phases are the run's steps, one after
// the other, as mine's are (docs/outputs.md, drift's summary.json): load, plugin when
// plugins derive attributes, effective with role grants, match, classify and health;
// no phase spans others (an earlier "total" covered match to health only).
func TestPhasesNameTheRun(t *testing.T) {
	dir := t.TempDir()
	flat := map[string]string{"roles.csv": "role_id\nDB\nMAIL\n",
		"identities.csv":  "identity_id,kind,department\nh1,human,IT\nh2,human,IT\nh3,human,HR\n",
		"assignments.csv": "identity_id,role_id\nh1,DB\nh2,DB\nh3,MAIL\n"}
	data := writeDataDir(t, dir, "flat", flat)
	flat["role_grants.csv"] = "role_id,grants_role_id\nDB,MAIL\n"
	grants := writeDataDir(t, dir, "grants", flat)
	ctx := context.Background()
	model := writeImplicitModel(t, ctx, data, filepath.Join(dir, "model"))
	derive := func(context.Context, *columnar.Snapshot) error { return nil }
	for _, c := range []struct {
		name, data string
		derive     func(context.Context, *columnar.Snapshot) error
		want       string
	}{
		{"flat", data, nil, "load match classify health"},
		{"plugins", data, derive, "load plugin match classify health"},
		{"grants", grants, nil, "load effective match classify health"},
	} {
		res, err := Run(ctx, RunOptions{Model: model, Data: c.data, Out: filepath.Join(dir, "out-"+c.name), Workers: 1, Derive: c.derive})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range res.Summary.Phases {
			names = append(names, p.Name)
			if p.Seconds < 0 {
				t.Errorf("%s: phase %s took %v s", c.name, p.Name, p.Seconds)
			}
		}
		// Run appends write after writing summary.json; the file holds the rest.
		if got := strings.Join(names, " "); got != c.want+" write" {
			t.Errorf("%s: phases %q, want %q", c.name, got, c.want+" write")
		}
		b, err := os.ReadFile(filepath.Join(dir, "out-"+c.name, SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range strings.Fields(c.want) {
			if !strings.Contains(string(b), `"name":"`+n+`"`) && !strings.Contains(string(b), `"name": "`+n+`"`) {
				t.Errorf("%s: summary.json lacks phase %s:\n%s", c.name, n, b)
			}
		}
		if strings.Contains(string(b), `"total",`) || strings.Contains(string(b), `"write"`) {
			t.Errorf("%s: summary.json phases name total or write:\n%s", c.name, b)
		}
	}
}

// writeDataDir writes files (name -> contents) into the directory sub of dir, made when
// missing, and returns its path.
func writeDataDir(t *testing.T, dir, sub string, files map[string]string) string {
	t.Helper()
	d := filepath.Join(dir, sub)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(d, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// writeImplicitModel mines the data set in data with the implicit mining rule on one
// worker and writes the model to model, which it returns.
func writeImplicitModel(t *testing.T, ctx context.Context, data, model string) string {
	t.Helper()
	snap, err := columnar.Load(ctx, data, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mining.DefaultMiningRule()}}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	info := report.RunInfo{Version: "test", Backend: "cpu", Workers: 1, Config: "implicit", Started: time.Unix(0, 0).UTC()}
	if err := report.WriteModel(ctx, model, snap, m, mining.Classify(snap, m), info); err != nil {
		t.Fatal(err)
	}
	return model
}
