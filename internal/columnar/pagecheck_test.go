package columnar

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

// testdata/corrupt-lz4.parquet is a small identities file with one byte changed so that
// its kind column's chunk says LZ4_RAW over data that is not LZ4. parquet-go's codec
// would double its buffer without end on it (the process died out of memory); the
// page check must refuse it as a user error naming the file and the column.
func TestLoadParquetRefusesCorruptLZ4(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "corrupt-lz4.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "identities.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assignments.csv"), []byte("identity_id,role_id\nua,R1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, lean := range []bool{false, true} {
		var err error
		if lean {
			_, err = LoadHoldings(context.Background(), dir, HoldingsOptions{})
		} else {
			_, err = Load(context.Background(), dir, LoadOptions{})
		}
		if err == nil || !uerr.Is(err) {
			t.Fatalf("lean=%v: got %v, want a user error", lean, err)
		}
		for _, want := range []string{"identities.parquet", "column kind", "corrupt LZ4_RAW data"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("lean=%v: error %q does not name %q", lean, err, want)
			}
		}
	}
}

// corruptDeltaFixture is arrow-v2-lz4-delta.parquet with one byte of its tags column's
// first DELTA_BYTE_ARRAY page changed: a miniblock bit width of the prefix lengths, so
// that parquet-go, unguarded, sizes a buffer of about 2.8 GB from the lengths.
func corruptDeltaFixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(thirdPartyDir, "arrow-v2-lz4-delta.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	data[4372] = 0x3f
	return data
}

// TestLoadParquetRefusesCorruptDelta: a DELTA page whose lengths cannot fit the page is
// refused before parquet-go decodes it, with the file, the column and the encoding named,
// and without allocating what the lengths ask for (unguarded: about 2.8 GB).
func TestLoadParquetRefusesCorruptDelta(t *testing.T) {
	_, asg := loadThirdPartyExpected(t)
	dir := thirdPartyCase(t, "arrow-v2-lz4-delta", asg)
	if err := os.WriteFile(filepath.Join(dir, "identities.parquet"), corruptDeltaFixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Load(context.Background(), dir, LoadOptions{})
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("the corrupt DELTA page was accepted")
	}
	for _, want := range []string{"identities.parquet", "corrupt Parquet file", "column tags.list.element", "DELTA_BYTE_ARRAY prefix lengths"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("refusing the page allocated %d MB", got>>20)
	}
}
