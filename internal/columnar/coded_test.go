package columnar

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/uerr"
)

// codedRow is a row of a model's assignments.parquet as ReadCoded's test writes it: an
// optional column (rule_id) and one ReadCoded is not asked for (kind).
type codedRow struct {
	IdentityID string  `parquet:"identity_id,dict"`
	RoleID     string  `parquet:"role_id,dict"`
	Kind       string  `parquet:"kind"`
	RuleID     *string `parquet:"rule_id,optional,dict"`
}

// TestReadCoded: every row's values come back as written, over several row groups whose
// dictionaries repeat values (each entry its own code), with null and empty cells as -1;
// an absent optional column has nil codes; an absent required column is a user error
// naming the file and the column.
func TestReadCoded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]codedRow, 5000)
	for k := range rows {
		rows[k] = codedRow{IdentityID: fmt.Sprintf("i%d", rng.IntN(300)), RoleID: fmt.Sprintf("r%d", rng.IntN(40)), Kind: "human"}
		switch rng.IntN(4) {
		case 0: // null
		case 1:
			empty := ""
			rows[k].RuleID = &empty
		default:
			id := fmt.Sprintf("rule%d", rng.IntN(25))
			rows[k].RuleID = &id
		}
		if rng.IntN(50) == 0 {
			rows[k].IdentityID = "" // an orphan's row
		}
	}
	path := filepath.Join(t.TempDir(), "assignments.parquet")
	if err := parquet.WriteFile(path, rows, parquet.MaxRowsPerRowGroup(700)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCoded(context.Background(), path, []string{"identity_id", "role_id"}, []string{"rule_id", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != len(rows) || len(got.Codes) != 4 || got.Codes[3] != nil {
		t.Fatalf("rows %d, %d columns, absent column's codes %v", got.Rows, len(got.Codes), got.Codes[3] != nil)
	}
	value := func(c, row int) string {
		if code := got.Codes[c][row]; code >= 0 {
			return got.Values[c][code]
		}
		return "<none>"
	}
	for k, r := range rows {
		want := [3]string{r.IdentityID, r.RoleID, "<none>"}
		if want[0] == "" {
			want[0] = "<none>"
		}
		if r.RuleID != nil && *r.RuleID != "" {
			want[2] = *r.RuleID
		}
		for c := range want {
			if v := value(c, k); v != want[c] {
				t.Fatalf("row %d column %d: %q, want %q", k+1, c, v, want[c])
			}
		}
	}

	_, err = ReadCoded(context.Background(), path, []string{"identity_id", "status"}, nil)
	if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), "assignments.parquet") || !strings.Contains(err.Error(), "status") {
		t.Fatalf("missing column: got %v, want a user error naming the file and status", err)
	}
}
