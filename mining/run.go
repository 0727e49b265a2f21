package mining

import (
	"context"
	"errors"

	"github.com/rolemine/rolemine/columnar"
	"github.com/rolemine/rolemine/kernels"
)

// Options tune a run without changing its result.
type Options struct {
	// Backend counts co-occurrences; required.
	Backend kernels.Backend
	// Workers is the number of goroutines mining roles in parallel (<=0: GOMAXPROCS).
	Workers int
	// Progress, if set, is called now and then with roles done and roles to do in the
	// current mining rule.
	Progress func(miningRule, done, total int)
}

// Run mines snap with cfg (DESIGN.md section 5).
func Run(ctx context.Context, snap *columnar.Snapshot, cfg *Config, opts Options) (*Model, error) {
	return nil, errors.New("mining.Run: not implemented yet")
}
