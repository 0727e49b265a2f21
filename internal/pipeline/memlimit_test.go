package pipeline

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// fakeFiles answers reads of the system files memoryLimit looks at.
func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("no such file")
	}
}

const meminfo = "MemTotal:       24683656 kB\nMemFree:         1000 kB\n"

// TestMemoryLimit checks --memory-limit: auto takes 85% of the container's limit, else of
// the machine's memory, and leaves $GOMEMLIMIT alone; amounts are powers of 1024.
func TestMemoryLimit(t *testing.T) {
	cases := []struct {
		name, flag, env string
		files           map[string]string
		want            int64
	}{
		{"machine", "auto", "", map[string]string{"/proc/meminfo": meminfo}, 21484654182},
		{"cgroup v2", "auto", "", map[string]string{"/sys/fs/cgroup/memory.max": "8589934592\n", "/proc/meminfo": meminfo}, 7301444403},
		{"cgroup v2 without a limit", "", "", map[string]string{"/sys/fs/cgroup/memory.max": "max\n", "/proc/meminfo": meminfo}, 21484654182},
		{"cgroup v1", "auto", "", map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "4294967296", "/proc/meminfo": meminfo}, 3650722201},
		{"cgroup v1 without a limit", "auto", "", map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712", "/proc/meminfo": meminfo}, 21484654182},
		{"GOMEMLIMIT set", "auto", "4GiB", map[string]string{"/proc/meminfo": meminfo}, 0},
		{"nothing known", "auto", "", nil, 0},
		{"off", "off", "", map[string]string{"/proc/meminfo": meminfo}, 0},
		{"GiB", "8GiB", "", nil, 8 << 30},
		{"GB", "1.5GB", "", nil, 3 << 29},
		{"MiB", "6000MiB", "4GiB", nil, 6000 << 20},
		{"bytes", "1073741824", "", nil, 1 << 30},
	}
	for _, c := range cases {
		got, err := memoryLimit(c.flag, c.env, fakeFiles(c.files))
		if err != nil || got != c.want {
			t.Errorf("%s: memoryLimit(%q) = %d, %v; want %d", c.name, c.flag, got, err, c.want)
		}
	}
	for _, bad := range []string{"lots", "-1GiB", "0", "12MiB", "1e30GiB", "GiB"} {
		if got, err := memoryLimit(bad, "", fakeFiles(nil)); err == nil {
			t.Errorf("memoryLimit(%q) = %d, want an error", bad, got)
		}
	}
}

// FuzzParseMemoryLimit feeds arbitrary --memory-limit values, and for auto arbitrary
// cgroup and /proc/meminfo contents: memoryLimit never panics; auto is never negative;
// an error is a user error quoting the value and saying what is expected; an accepted
// amount is at least 64MiB, below 2^62 bytes, and reads back from its number of bytes; and
// a value refused as below 64MiB is a number below it.
func FuzzParseMemoryLimit(f *testing.F) {
	fuzzmin.Off(f)
	for _, s := range []string{"auto", "off", "", "6GiB", "6000MiB", "1.5GB", "1073741824", " 2 TiB ", "64MiB", "63.9MiB",
		"0", "-1GiB", "NaN", "nan GiB", "Inf", "1e300", "0x1p30", "1KB", "GiB", "4611686018427387904", "4095.99TiB", "B"} {
		f.Add(s, "8589934592\n", meminfo)
	}
	f.Add("auto", "max\n", meminfo)
	f.Add("auto", "-1", "MemTotal: -5 kB\n")
	f.Add("auto", "9223372036854771712", "MemTotal: 99999999999999999 kB\nMemTotal: 1 kB\n")
	f.Add("auto", "", "MemTotal:\t24683656 kB")
	f.Fuzz(func(t *testing.T, v, cgroup, mem string) {
		if v == "" || v == "auto" {
			// auto reads the cgroup's limit, else the machine's memory: never more than
			// either says, never negative.
			n, err := memoryLimit(v, "", fakeFiles(map[string]string{"/sys/fs/cgroup/memory.max": cgroup, "/proc/meminfo": mem}))
			if err != nil || n < 0 {
				t.Fatalf("memoryLimit(%q) with cgroup %q, meminfo %q = %d, %v", v, cgroup, mem, n, err)
			}
			return
		}
		n, err := memoryLimit(v, "", fakeFiles(nil))
		if err != nil {
			msg := err.Error()
			if !uerr.Is(err) || !strings.Contains(msg, fmt.Sprintf("--memory-limit %q", v)) || !strings.Contains(msg, "expected auto, off, or an amount") {
				t.Fatalf("memoryLimit(%q): %v", v, err)
			}
			if strings.Contains(msg, "below 64MiB") {
				if x, ok := amountNumber(v); !ok || math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
					t.Fatalf("memoryLimit(%q): %v, but it is not a positive number", v, err)
				}
			}
			return
		}
		if v == "off" || v == "" || v == "auto" {
			return
		}
		if n < 64<<20 || n >= 1<<62 {
			t.Fatalf("memoryLimit(%q) = %d", v, n)
		}
		again, err := memoryLimit(strconv.FormatInt(n, 10), "", fakeFiles(nil))
		if err != nil || again != n {
			t.Fatalf("memoryLimit(%q) = %d, which reads back as %d, %v", v, n, again, err)
		}
	})
}

// amountNumber is the number of an amount of memory, its unit cut off.
func amountNumber(v string) (float64, bool) {
	num := strings.TrimSpace(v)
	for _, u := range []string{"TiB", "GiB", "MiB", "KiB", "TB", "GB", "MB", "KB", "B"} {
		if s, ok := strings.CutSuffix(num, u); ok {
			num = strings.TrimSpace(s)
			break
		}
	}
	x, err := strconv.ParseFloat(num, 64)
	return x, err == nil
}
