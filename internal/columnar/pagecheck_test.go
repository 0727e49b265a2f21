package columnar

import (
	"context"
	"os"
	"path/filepath"
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
