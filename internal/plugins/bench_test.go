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

// BenchmarkTitleFamilyDistinct derives 50,000 identities with distinct titles (every row
// crosses the ABI) with the Go titlefamily and its AssemblyScript port on one worker.
// With -count N the two sub-benchmarks alternate N times in one process.
func BenchmarkTitleFamilyDistinct(b *testing.B) {
	paths := map[string]string{"go": buildPlugins(b, "../../plugins/examples/titlefamily")[0], "assemblyscript": asTitleFamily}
	const n = 50_000
	words := []string{"Sr", "Software", "Eng", "II", "Ops", "Mgr", "Principal", "SRE", "Data", "Analyst"}
	snap := &columnar.Snapshot{Dims: []columnar.Dimension{
		{Name: "kind", Values: []string{"human"}, Codes: make([]int32, n)},
		{Name: "title", Codes: make([]int32, n)},
	}}
	for i := range n {
		snap.IdentityIDs = append(snap.IdentityIDs, fmt.Sprintf("u%06d", i))
		// %06d first keeps the values sorted, as a loaded dimension's are.
		snap.Dims[1].Values = append(snap.Dims[1].Values, fmt.Sprintf("%06d %s %s %s", i, words[i%10], words[i/10%10], words[i/100%10]))
		snap.Dims[1].Codes[i] = int32(i)
	}
	ctx := context.Background()
	h := testHost(b, Options{Workers: 1})
	plugins := map[string]*Plugin{}
	for name, path := range paths {
		p, err := h.Load(ctx, Spec{Path: path, Origin: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		plugins[name] = p
	}
	for _, name := range []string{"go", "assemblyscript"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := plugins[name].Derive(ctx, snap); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
