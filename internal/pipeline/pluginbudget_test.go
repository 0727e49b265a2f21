package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
)

// TestPluginMemoryBudget: the plugins' memory budget is half the runtime's memory limit
// (mine's --memory-limit, or $GOMEMLIMIT), none without a limit, and the plugins a
// command compiles run under it: under a 64 MiB limit, 16 MiB plugin instances (21 MiB
// at worst each) run one at a time whatever --workers says (docs/plugins.md#host-memory).
func TestPluginMemoryBudget(t *testing.T) {
	old := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(old)
	if got := pluginMemoryBudget(); got != 0 {
		t.Errorf("no limit: budget %d, want 0 (none)", got)
	}
	instances := func(limit int64) string {
		debug.SetMemoryLimit(limit)
		defer debug.SetMemoryLimit(math.MaxInt64)
		fs := NewFlags("mine", io.Discard)
		f := NewMineFlags(fs)
		if err := fs.Parse([]string{"--workers", "4", "--plugin-memory", "16", "--plugin", "../plugins/testdata/assemblyscript/titlefamily.wasm"}); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))
		st := &staging{}
		defer st.cleanup()
		ps, err := f.plugins.compile(context.Background(), &mining.Config{}, st, logger)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := applyPlugins(context.Background(), titleSnapshot(100_000), ps); err != nil {
			t.Fatal(err)
		}
		_, after, _ := strings.Cut(log.String(), "instances=")
		n, _, _ := strings.Cut(after, " ")
		return n
	}
	if got := instances(math.MaxInt64); got != "4" {
		t.Errorf("no limit: %s instances, want 4", got)
	}
	debug.SetMemoryLimit(1 << 30)
	if got := pluginMemoryBudget(); got != 512<<20 {
		t.Errorf("limit 1 GiB: budget %d, want 512 MiB", got)
	}
	if got := instances(64 << 20); got != "1" {
		t.Errorf("64 MiB limit: %s instances, want 1", got)
	}
}

// titleSnapshot is a snapshot of n identities, each with a title of its own, so that a
// plugin reading titles gets many batches.
func titleSnapshot(n int) *columnar.Snapshot {
	s := &columnar.Snapshot{Dims: []columnar.Dimension{
		{Name: "kind", Values: []string{"human"}, Codes: make([]int32, n)},
		{Name: "title", Codes: make([]int32, n)},
	}}
	for i := range n {
		s.IdentityIDs = append(s.IdentityIDs, fmt.Sprintf("u%06d", i))
		s.Dims[1].Values = append(s.Dims[1].Values, fmt.Sprintf("Engineer %06d", i))
		s.Dims[1].Codes[i] = int32(i)
	}
	return s
}
