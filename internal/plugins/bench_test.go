package plugins

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
)

// titleSnapshot builds n identities with messy titles.
func titleSnapshot(n int) *columnar.Snapshot {
	titles := []string{"Jr Software Dev", "Ops Mgr", "Principal SRE", "Senior Engineer II", "Software Engineer", "Sr. Software Eng"}
	s := &columnar.Snapshot{
		Dims: []columnar.Dimension{
			{Name: "kind", Values: []string{"human"}, Codes: make([]int32, n)},
			{Name: "title", Values: titles, Codes: make([]int32, n)},
		},
	}
	for i := 0; i < n; i++ {
		s.IdentityIDs = append(s.IdentityIDs, fmt.Sprintf("u%07d", i))
		s.Dims[1].Codes[i] = int32(i % len(titles))
	}
	return s
}

func BenchmarkTitleFamily(b *testing.B) {
	path := buildPlugins(b, "../../plugins/examples/titlefamily")[0]
	ctx := context.Background()
	snap := titleSnapshot(100_000)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			h := testHost(b, Options{Workers: workers})
			for b.Loop() {
				t := time.Now()
				p, err := h.Load(ctx, Spec{Path: path, Origin: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				tl := time.Since(t)
				if _, err := p.Derive(ctx, snap); err != nil {
					b.Fatal(err)
				}
				b.Logf("load %v derive %v", tl, time.Since(t)-tl)
			}
		})
	}
}
