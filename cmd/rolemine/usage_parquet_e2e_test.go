package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/rolemine/rolemine/internal/legacyparquet"
)

// writeUsageParquet writes usageData's assignments as dir/assignments.parquet with
// last_used stored in node: a DATE (step 0), a TIMESTAMP of step nanoseconds a unit, or an
// INT96 (step int96Step); the other tables as CSV. With legacy, the file's footer is then
// rewritten as older writers write it: last_used has only that converted type.
func writeUsageParquet(t *testing.T, dir string, node parquet.Node, step time.Duration, legacy *legacyparquet.Column) {
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
			switch step {
			case 0:
				lu = parquet.Int32Value(int32(at.Unix() / 86400))
			case int96Step:
				lu = parquet.Int96Value(int96Of(at))
			default:
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
	if legacy != nil {
		if err := legacyparquet.Rewrite(f.Name(), map[string]legacyparquet.Column{"last_used": *legacy}); err != nil {
			t.Fatal(err)
		}
	}
}

// int96Step asks writeUsageParquet for an INT96 last_used.
const int96Step = -1

// int96Of returns at as Spark and Impala store an INT96 timestamp: 8 bytes of nanoseconds
// in the day, then the Julian day (2440588 is 1970-01-01), all little-endian, held by
// parquet-go as three 32-bit words (at is after 1970).
func int96Of(at time.Time) deprecated.Int96 {
	day := at.Unix()/86400 + 2440588
	ns := uint64(at.UnixNano() % (86400 * int64(time.Second)))
	return deprecated.Int96{uint32(ns), uint32(ns >> 32), uint32(day)}
}

// TestUsageParquetTimestamps: last_used stored as a Parquet DATE or TIMESTAMP (every unit,
// UTC-adjusted or not), a legacy Spark INT96, or with only the legacy converted type
// TIMESTAMP_MILLIS or DATE, gives the same outputs as the same dates written as text
// (docs/excess-privilege.md, usage): assignments.parquet byte for byte, and summary.json's
// usage counts and stdout's usage line.
func TestUsageParquetTimestamps(t *testing.T) {
	// --unused-days 1 puts u1's DEV (last used 2026-06-30) on the edge of used: a
	// timestamp read a day early turns it unused.
	mine := func(t *testing.T, data string) (string, []byte) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out")
		stdout, stderr, code := runBin(t, "mine", "--data", data, "--out", out, "--as-of", "2026-07-01", "--unused-days", "1")
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
		name   string
		node   parquet.Node
		step   time.Duration
		legacy *legacyparquet.Column
	}{
		{"date", parquet.Date(), 0, nil},
		{"millis", parquet.Timestamp(parquet.Millisecond), time.Millisecond, nil},
		{"micros", parquet.Timestamp(parquet.Microsecond), time.Microsecond, nil},
		{"nanos", parquet.Timestamp(parquet.Nanosecond), time.Nanosecond, nil},
		{"local micros", parquet.TimestampAdjusted(parquet.Microsecond, false), time.Microsecond, nil},
		{"int96", parquet.Leaf(parquet.Int96Type), int96Step, nil},
		{"legacy TIMESTAMP_MILLIS", parquet.Timestamp(parquet.Millisecond), time.Millisecond, &legacyparquet.Column{Converted: deprecated.TimestampMillis}},
		{"legacy DATE", parquet.Date(), 0, &legacyparquet.Column{Converted: deprecated.Date}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			writeUsageParquet(t, data, c.node, c.step, c.legacy)
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
