package report

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/spectest"
)

// TestSpec runs testdata/spec, the explain case file of docs/semantics.md section 9
// (docs/README.md#case-files). Commands:
//
//	data                 a data block (internal/spectest)
//	mine                 a mining configuration (empty: the implicit rule); writes the model
//	                     files and reads them back, as `rolemine mine` then `explain` do
//	----
//	ROLE CRITERION scope=.. support=.. tp=..   (the rules)
//
//	explain id=ID
//	----
//	<the text `rolemine explain --identity ID` prints>
func TestSpec(t *testing.T) {
	datadriven.Walk(t, "testdata/spec", func(t *testing.T, path string) {
		dir := t.TempDir()
		var snap *columnar.Snapshot
		var bound *Bound
		loads := 0
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			ctx := context.Background()
			var out string
			var err error
			switch td.Cmd {
			case "data":
				loads++
				if snap, err = spectest.Load(ctx, td.Input, filepath.Join(dir, "data"+strconv.Itoa(loads)), nil); err == nil {
					out = spectest.Describe(snap)
				}
			case "mine":
				bound, out, err = specMine(ctx, snap, td.Input, filepath.Join(dir, "model"+strconv.Itoa(loads)))
			case "explain":
				var id string
				td.ScanArgs(t, "id", &id)
				var ex *Explanation
				if ex, err = bound.Explain(id); err == nil {
					var b strings.Builder
					err = ex.WriteText(&b)
					out = b.String()
				}
			default:
				td.Fatalf(t, "unknown command %q", td.Cmd)
			}
			if err != nil {
				out = fmt.Sprintf("error: %v\n", err)
			}
			return spectest.Patterns(td.Expected, out)
		})
	})
}

// specMine mines snap, writes the model files into out and binds them back to snap.
func specMine(ctx context.Context, snap *columnar.Snapshot, config, out string) (*Bound, string, error) {
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mining.DefaultMiningRule()}}
	if strings.TrimSpace(config) != "" {
		var err error
		if cfg, err = mining.ParseConfig("mining.xml", []byte(config+"\n")); err != nil {
			return nil, "", err
		}
	}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.New(), Workers: 2})
	if err != nil {
		return nil, "", err
	}
	cls := mining.Classify(snap, m)
	if err := WriteModel(ctx, out, snap, m, cls, RunInfo{Version: "spec", Backend: "cpu", Workers: 2, Config: "mining.xml"}); err != nil {
		return nil, "", err
	}
	mf, err := ReadModel(out)
	if err != nil {
		return nil, "", err
	}
	b, err := Bind(snap, mf)
	if err != nil {
		return nil, "", err
	}
	var s strings.Builder
	for _, r := range mf.Rules {
		fmt.Fprintf(&s, "%s %s scope=%s support=%d tp=%d\n", r.RoleID, criterionString(&r), r.EntityType, r.Support, r.TP)
	}
	return b, s.String(), nil
}
