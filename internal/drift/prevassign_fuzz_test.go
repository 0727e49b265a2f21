package drift

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzPrevAssignments feeds arbitrary bytes as the model's assignments.parquet that drift
// reads back (Baseline.PreviousAssignments): Compute never panics, and an error is a user
// error naming the file, not a bug (*parallel.PanicError). The seeds are files as mine
// writes them (the rule_id optional), in one page or many, with the status column
// missing and the identity_id column INT64 or a list.
func FuzzPrevAssignments(f *testing.F) {
	fuzzmin.Off(f)
	model, err := report.ReadModel(filepath.Join("testdata", "pair", "model"))
	if err != nil {
		f.Fatal(err)
	}
	next := load(f, filepath.Join("testdata", "pair", "next"))
	rule := func(s string) *string { return &s }
	rows := []prevAssignmentRow{
		{"a1", "CRM", "explained", rule("r0000000000000001")}, {"a2", "CRM", "explained", rule("r0000000000000001")},
		{"gone1", "CRM", "explained", rule("r0000000000000001")}, {"a4", "EXTRA", "unexplained", nil},
		{"", "CRM", "orphan", nil}, {"s3", "SVC_DEPLOY", "explained", rule("r0000000000000004")},
	}
	f.Add(parquetBytes(f, rows))
	f.Add(parquetBytes(f, rows, parquet.PageBufferSize(64), parquet.Compression(&parquet.Snappy)))
	type int64ID struct {
		IdentityID int64  `parquet:"identity_id"`
		RoleID     string `parquet:"role_id"`
		Status     string `parquet:"status"`
	}
	f.Add(parquetBytes(f, []int64ID{{1, "CRM", "explained"}}))
	type repeated struct {
		IdentityID []string `parquet:"identity_id,list"`
		RoleID     string   `parquet:"role_id"`
		Status     string   `parquet:"status"`
	}
	f.Add(parquetBytes(f, []repeated{{[]string{"a1", "a2"}, "CRM", "explained"}}))
	type noStatus struct {
		IdentityID string `parquet:"identity_id"`
		RoleID     string `parquet:"role_id"`
	}
	f.Add(parquetBytes(f, []noStatus{{"a1", "CRM"}}))
	f.Add([]byte("PAR1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), report.AssignmentsParquetFile)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Compute(context.Background(), model, next, Baseline{PreviousAssignments: path}, Options{})
		if err == nil {
			return
		}
		if errors.As(err, new(*parallel.PanicError)) || !uerr.Is(err) || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v, want a user error naming %s", err, path)
		}
	})
}

// parquetBytes writes rows as a Parquet file with parquet-go and returns its bytes.
func parquetBytes[T any](f *testing.F, rows []T, opts ...parquet.WriterOption) []byte {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}
