package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// writeUsageParquet writes usageData's assignments as dir/assignments.parquet with
// last_used stored in node: a DATE (step 0) or a TIMESTAMP of step nanoseconds a unit; the
// other tables as CSV.
func writeUsageParquet(t *testing.T, dir string, node parquet.Node, step time.Duration) {
	t.Helper()
	files := map[string]string{"identities.csv": usageData["identities.csv"], "roles.csv": usageData["roles.csv"]}
	writeFiles(t, dir, files)
	schema := parquet.NewSchema("assignments", parquet.Group{
		"identity_id": parquet.String(), "role_id": parquet.String(), "last_used": parquet.Optional(node)})
	col := map[string]int{}
	for i, p := range schema.Columns() {
		col[p[0]] = i
	}
	f, err := os.Create(filepath.Join(dir, "assignments.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewWriter(f, schema)
	lines := strings.Split(strings.TrimSpace(usageData["assignments.csv"]), "\n")[1:]
	for _, line := range lines {
		cells := strings.Split(line, ",")
		row := make(parquet.Row, 3)
		row[col["identity_id"]] = parquet.ByteArrayValue([]byte(cells[0])).Level(0, 0, col["identity_id"])
		row[col["role_id"]] = parquet.ByteArrayValue([]byte(cells[1])).Level(0, 0, col["role_id"])
		lu := parquet.NullValue().Level(0, 0, col["last_used"])
		if cells[2] != "" {
			at, err := time.Parse(time.RFC3339, cells[2])
			if err != nil {
				at, err = time.Parse(time.DateOnly, cells[2])
			}
			if err != nil {
				t.Fatal(err)
			}
			if step == 0 {
				lu = parquet.Int32Value(int32(at.Unix() / 86400))
			} else {
				lu = parquet.Int64Value(at.UnixNano() / int64(step))
			}
			lu = lu.Level(0, 1, col["last_used"])
		}
		row[col["last_used"]] = lu
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestUsageParquetTimestamps: last_used stored as a Parquet DATE or TIMESTAMP (every unit,
// UTC-adjusted or not) gives the same outputs as the same dates written as text
// (docs/excess-privilege.md, usage): assignments.parquet byte for byte, and summary.json's
// usage counts and stdout's usage line.
func TestUsageParquetTimestamps(t *testing.T) {
	mine := func(t *testing.T, data string) (string, []byte) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out")
		stdout, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--as-of", "2026-07-01", "--unused-days", "30")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "assignments.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		line := ""
		for _, l := range strings.Split(stdout, "\n") {
			if strings.Contains(l, "usage:") {
				line = l
			}
		}
		return line, b
	}
	text := filepath.Join(t.TempDir(), "data")
	writeFiles(t, text, usageData)
	wantLine, wantAsg := mine(t, text)
	if !strings.Contains(wantLine, "1 used, 5 unused, 2 unknown") {
		t.Fatalf("text dates: usage line %q", wantLine)
	}
	for _, c := range []struct {
		name string
		node parquet.Node
		step time.Duration
	}{
		{"date", parquet.Date(), 0},
		{"millis", parquet.Timestamp(parquet.Millisecond), time.Millisecond},
		{"micros", parquet.Timestamp(parquet.Microsecond), time.Microsecond},
		{"nanos", parquet.Timestamp(parquet.Nanosecond), time.Nanosecond},
		{"local micros", parquet.TimestampAdjusted(parquet.Microsecond, false), time.Microsecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			writeUsageParquet(t, data, c.node, c.step)
			line, asg := mine(t, data)
			if line != wantLine {
				t.Errorf("usage line %q, want %q", line, wantLine)
			}
			if !bytes.Equal(asg, wantAsg) {
				t.Errorf("assignments.parquet differs from the one of the dates as text")
			}
		})
	}
}
