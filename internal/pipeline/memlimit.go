package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/rolemine/rolemine/internal/uerr"
)

// memoryShare is the part of the machine's (or container's) memory the Go heap may use by
// default before the collector works harder to stay under it (RATIONALE.md, "A soft memory
// limit by default").
const memoryShare = 0.85

// setMemoryLimit applies --memory-limit: "auto" (the default) sets a soft limit of
// memoryShare of the container's memory limit, or of the machine's memory without one,
// unless $GOMEMLIMIT already set one; "off" sets none; otherwise an amount such as 6GiB,
// 6000MiB or a number of bytes. It returns the limit set (0 for none).
func setMemoryLimit(v string) (int64, error) {
	limit, err := memoryLimit(v, os.Getenv("GOMEMLIMIT"), readFile)
	if err != nil {
		return 0, err
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return limit, nil
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// memoryLimit returns the soft limit --memory-limit v asks for (0: leave the runtime's),
// given $GOMEMLIMIT's value env and a reader of the system files describing memory.
func memoryLimit(v, env string, read func(string) ([]byte, error)) (int64, error) {
	switch v {
	case "off":
		return 0, nil
	case "", "auto":
		if env != "" {
			return 0, nil // the runtime applied $GOMEMLIMIT
		}
		total := containerMemory(read)
		if total <= 0 {
			total = machineMemory(read)
		}
		if total <= 0 {
			return 0, nil
		}
		return int64(float64(total) * memoryShare), nil
	}
	n, err := parseBytes(v)
	if err != nil {
		return 0, uerr.New("mine: --memory-limit %q: %v; expected auto, off, or an amount such as 6GiB, 6000MiB or 6442450944", v, err)
	}
	return n, nil
}

// parseBytes reads an amount of memory: a whole number of bytes, or a number followed by
// KiB, MiB, GiB or TiB (KB, MB, GB and TB mean the same powers of 1024).
func parseBytes(v string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"TB", 40}, {"GB", 30}, {"MB", 20}, {"KB", 10}, {"B", 0}}
	num, shift := strings.TrimSpace(v), uint(0)
	for _, u := range units {
		if s, ok := strings.CutSuffix(num, u.suffix); ok {
			num, shift = strings.TrimSpace(s), u.shift
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f > 0) || f*float64(int64(1)<<shift) >= 1<<62 { // !(f > 0): NaN too
		return 0, fmt.Errorf("not a positive amount of memory")
	}
	n := int64(f * float64(int64(1)<<shift))
	if n < 64<<20 {
		return 0, fmt.Errorf("below 64MiB")
	}
	return n, nil
}

// containerMemory returns the memory limit of the process's cgroup (v2, then v1), or 0
// when there is none.
func containerMemory(read func(string) ([]byte, error)) int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := read(path)
		if err != nil {
			continue
		}
		s := string(bytes.TrimSpace(b))
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0 // "max", or v1's "no limit" (a page-rounded maximum)
		}
		return n
	}
	return 0
}

// machineMemory returns MemTotal from /proc/meminfo, or 0.
func machineMemory(read func(string) ([]byte, error)) int64 {
	b, err := read("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
