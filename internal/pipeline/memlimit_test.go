package pipeline

import (
	"errors"
	"testing"
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
