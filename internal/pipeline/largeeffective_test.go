package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
)

// TestWarnLargeEffective: a run whose grants make it much larger than its direct
// assignments says so on stderr before expanding the pairs, naming the figures and the
// largest source (docs/effective-privilege.md#size); a small one says nothing.
func TestWarnLargeEffective(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"identities.csv":  "identity_id\nu1\n",
		"assignments.csv": "identity_id,role_id\nu1,ALL-STAFF\n",
		"role_grants.csv": "role_id,grants_role_id\nALL-STAFF,APP\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	top := int32(slices.Index(snap.Roles.IDs, "ALL-STAFF"))
	for _, c := range []struct {
		e    mining.PairsEstimate
		want string
	}{
		{mining.PairsEstimate{Direct: 2, Pairs: 3, ViaBytes: 14, Top: top, TopHolders: 1, TopReach: 1}, ""},
		{mining.PairsEstimate{Direct: 950_000, Pairs: 4_750_950_000, ViaBytes: 1 << 33, Top: top, TopHolders: 950_000, TopReach: 5000},
			"direct_pairs=950000 effective_pairs_up_to=4750950000 via_bytes_up_to=8589934592 largest_source=ALL-STAFF its_direct_holders=950000 roles_it_reaches=5000"},
	} {
		var buf bytes.Buffer
		warnLargeEffective(snap, c.e, slog.New(slog.NewTextHandler(&buf, nil)))
		if got := buf.String(); (c.want == "") != (got == "") || !strings.Contains(got, c.want) || (got != "" && !strings.Contains(got, "docs/effective-privilege.md#size")) {
			t.Errorf("estimate %+v: stderr %q, want %q", c.e, got, c.want)
		}
	}
}
