package plugins

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/columnar"
)

// distinctSnapshot is n identities whose attribute "name" holds n distinct values shaped
// like the input of each example plugin (titles, account names, org units).
func distinctSnapshot(n int, shape string) *columnar.Snapshot {
	words := []string{"Sr", "Software", "Eng", "II", "Ops", "Mgr", "Principal", "SRE", "Data", "Analyst"}
	envs := []string{"prod", "dev", "test", "stage"}
	snap := &columnar.Snapshot{Dims: []columnar.Dimension{
		{Name: "kind", Values: []string{"human"}, Codes: make([]int32, n)},
		{Name: "name", Codes: make([]int32, n)},
	}}
	for i := range n {
		snap.IdentityIDs = append(snap.IdentityIDs, fmt.Sprintf("u%07d", i))
		var v string
		switch shape {
		case "title":
			// %07d first keeps the values sorted, as a loaded dimension's are.
			v = fmt.Sprintf("%07d %s %s %s", i, words[i%10], words[i/10%10], words[i/100%10])
		case "account":
			v = fmt.Sprintf("svc-%07d-app%d-%s-%d", i, i%97, envs[i%4], i%9)
		default:
			v = fmt.Sprintf("OU-%07d", i)
		}
		snap.Dims[1].Values = append(snap.Dims[1].Values, v)
		snap.Dims[1].Codes[i] = int32(i)
	}
	return snap
}

// BenchmarkPerRow derives n distinct inputs (n from PERROW_N, default 100000) with each
// example plugin on one worker, each plugin both as it is on wazero's checks ("checked",
// the host before fuel.go) and instrumented ("fuel"); ns/row and cpu-ns/row (the
// process's CPU time) are per distinct input, instantiation included. PERROW_BATCH sets
// the batch rows, PERROW_CACHE the compilation cache directory ("-": none).
func BenchmarkPerRow(b *testing.B) {
	n := 100_000
	if s := os.Getenv("PERROW_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	built := buildPlugins(b, "../../plugins/examples/titlefamily", "../../plugins/examples/nhiname",
		"../../plugins/examples/orgtree", "testdata/echo")
	cases := []struct {
		name, path, shape, config string
	}{
		{"echo-go", built[3], "title", "name"},
		{"titlefamily-go", built[0], "title", `{"input":"name"}`},
		{"titlefamily-as", asTitleFamily, "title", `{"input":"name"}`},
		{"nhiname-go", built[1], "account", `{"input":"name"}`},
		{"orgtree-go", built[2], "org", `{"input":"name","parents":{"OU-0000001":"ROOT"}}`},
	}
	// PERROW_EXTRA adds plugins built elsewhere (say an older build of an example), as
	// NAME=PATH=SHAPE=CONFIG entries separated by ";".
	for _, e := range strings.Split(os.Getenv("PERROW_EXTRA"), ";") {
		if f := strings.SplitN(e, "=", 4); len(f) == 4 {
			cases = append(cases, struct{ name, path, shape, config string }{f[0], f[1], f[2], f[3]})
		}
	}
	ctx := context.Background()
	rows := 0
	if s := os.Getenv("PERROW_BATCH"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	h := testHost(b, Options{Workers: 1, BatchRows: rows, CacheDir: os.Getenv("PERROW_CACHE")})
	snaps := map[string]*columnar.Snapshot{}
	var ps [][2]*Plugin
	for _, c := range cases {
		if snaps[c.shape] == nil {
			snaps[c.shape] = distinctSnapshot(n, c.shape)
		}
		spec := Spec{Path: c.path, Origin: "bench", Config: []byte(c.config)}
		fueled, err := h.Load(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		if !fueled.fueled {
			b.Fatalf("%s: not instrumented", c.name)
		}
		ps = append(ps, [2]*Plugin{loadChecked(b, h, spec), fueled})
	}
	// The same plugin with wazero's checks (as before fuel.go) and instrumented,
	// alternating, PERROW_ROUNDS times (default 1).
	rounds := 1
	if s := os.Getenv("PERROW_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	for range rounds {
		for i, c := range cases {
			for _, p := range ps[i] {
				mode := map[bool]string{false: "checked", true: "fuel"}[p.fueled]
				b.Run(c.name+"/"+mode, func(b *testing.B) {
					cpu0 := cpuTime()
					for b.Loop() {
						if _, err := p.Derive(ctx, snaps[c.shape]); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
					b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/row")
				})
			}
		}
	}
}

// loadChecked loads a plugin as it is, on the runtime with wazero's own checks.
func loadChecked(b *testing.B, h *Host, spec Spec) *Plugin {
	wasm, err := os.ReadFile(spec.Path)
	if err != nil {
		b.Fatal(err)
	}
	p := &Plugin{h: h, spec: spec, startup: "start-up"}
	if p.compiled, err = h.compileOn(context.Background(), h.rtChecked, wasm, spec.Path); err != nil {
		b.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
