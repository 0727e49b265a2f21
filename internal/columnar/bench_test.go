package columnar

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

type benchIdentity struct {
	ID             string `parquet:"identity_id"`
	Kind           string `parquet:"kind,dict"`
	Department     string `parquet:"department,dict"`
	Title          string `parquet:"title,dict"`
	Location       string `parquet:"location,dict"`
	OrgUnit        string `parquet:"org_unit,dict"`
	CostCenter     int64  `parquet:"cost_center"`
	Manager        string `parquet:"manager,dict"`
	Company        string `parquet:"company,dict,optional"`
	Division       string `parquet:"division,dict"`
	Country        string `parquet:"country,dict"`
	Application    string `parquet:"application,dict"`
	EmploymentType string `parquet:"employment_type,dict"`
	Email          string `parquet:"email"`
}

type benchAssignment struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
}

// writeBenchData writes a synthetic enterprise: n identities with 12 attributes (plus kind),
// roles roles, and about perIdentity assignments per identity (grouped by identity, as
// exports usually are), Snappy-compressed, in row groups of up to 1M rows.
func writeBenchData(b *testing.B, dir string, n, roles, perIdentity int) int {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(prefix string, k int) string { return prefix + strconv.Itoa(rng.IntN(k)) }
	opts := []parquet.WriterOption{parquet.Compression(&snappy.Codec{}), parquet.MaxRowsPerRowGroup(1 << 20)}

	f, err := os.Create(filepath.Join(dir, "identities.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	w := parquet.NewGenericWriter[benchIdentity](f, opts...)
	batch := make([]benchIdentity, 0, 4096)
	for i := range n {
		kind := "human"
		if i%5 == 0 {
			kind = []string{"service_account", "api_key", "workload", "bot"}[rng.IntN(4)]
		}
		batch = append(batch, benchIdentity{
			ID: fmt.Sprintf("id%08d", i), Kind: kind,
			Department: pick("dept", 40), Title: pick("title", 300), Location: pick("loc", 60),
			OrgUnit: pick("ou", 800), CostCenter: int64(rng.IntN(2000)), Manager: pick("mgr", 20000),
			Company: pick("co", 5), Division: pick("div", 12), Country: pick("c", 30),
			Application: pick("app", 200), EmploymentType: pick("et", 4),
			Email: fmt.Sprintf("user%d@example.com", i),
		})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := w.Write(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()

	f, err = os.Create(filepath.Join(dir, "assignments.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	aw := parquet.NewGenericWriter[benchAssignment](f, opts...)
	abatch := make([]benchAssignment, 0, 8192)
	rows := 0
	for i := range n {
		id := fmt.Sprintf("id%08d", i)
		if i%1000 == 999 {
			id = fmt.Sprintf("gone%08d", i) // an orphan now and then
		}
		for range 1 + rng.IntN(2*perIdentity-1) {
			abatch = append(abatch, benchAssignment{IdentityID: id, RoleID: pick("role", roles)})
			rows++
			if len(abatch) == cap(abatch) {
				if _, err := aw.Write(abatch); err != nil {
					b.Fatal(err)
				}
				abatch = abatch[:0]
			}
		}
	}
	if _, err := aw.Write(abatch); err != nil {
		b.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return rows
}

// BenchmarkLoadParquet loads 200k identities x 13 columns and about 2M assignments over
// 20k roles.
func BenchmarkLoadParquet(b *testing.B) {
	dir := b.TempDir()
	rows := writeBenchData(b, dir, 200_000, 20_000, 10)
	b.ResetTimer()
	b.ReportAllocs()
	for b.Loop() {
		s, err := Load(context.Background(), dir, LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(s.IdentityIDs) != 200_000 {
			b.Fatalf("%d identities", len(s.IdentityIDs))
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Massign/s")
}
