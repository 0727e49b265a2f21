package columnar

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzLoadRolesUsage feeds arbitrary roles.csv, assignments.csv (with last_used) and
// identities.csv (with owner_id) files, one input split at NUL bytes, the three files the
// other fuzz targets keep fixed: Load returns a snapshot satisfying every invariant, or a
// user error naming one of the files, and never panics.
func FuzzLoadRolesUsage(f *testing.F) {
	fuzzmin.Off(f)
	for _, seed := range []string{
		"role_id,category,validations,application,description\nR1,Broad,3,crm,\"a, b\"\nR2,,,,\n\x00" +
			"identity_id,role_id,last_used\nu1,R1,2026-05-01\nu1,R2,\nu2,R1,2026-06-30T10:00:00Z\nghost,R1,2026-01-01\n\x00" +
			"identity_id,kind,owner_id,dept\nu1,human,,Sales\nu2,bot,u1,Eng\nu3,bot,nobody,Eng\n",
		"\xef\xbb\xbfrole_id\r\nR1\r\nR1\r\n\x00identity_id,role_id,last_used\r\nu1,R1,yesterday\r\n\x00identity_id,owner_id\r\nu1,u1\r\n",
		"role_id,validations\nR1,-1\nR2,x\n\x00identity_id,role_id,last_used\nu1,R9,2026-02-30\n\x00identity_id\nu1\n",
		"role_id\n\x00identity_id,role_id,Last_Used\nu1,R1,2026-01-01\n\x00identity_id,Kind\nu1,Human\n",
		"role_id,category\n\"R\n1\",x\x00y\n\x00identity_id,role_id\n\x00identity_id,owner_id\n",
	} {
		f.Add([]byte(seed))
	}
	names := []string{"roles.csv", "assignments.csv", "identities.csv"}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		parts := bytes.SplitN(data, []byte{0}, len(names))
		for k, name := range names {
			var p []byte
			if k < len(parts) {
				p = parts[k]
			}
			if k == 0 && len(p) == 0 {
				continue // no roles file
			}
			if err := os.WriteFile(filepath.Join(dir, name), p, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Load(context.Background(), dir, LoadOptions{})
		if err != nil {
			msg := err.Error()
			if !uerr.Is(err) || !strings.Contains(msg, names[0]) && !strings.Contains(msg, names[1]) && !strings.Contains(msg, names[2]) {
				t.Fatalf("got %v, want a user error naming the file", err)
			}
			return
		}
		checkInvariants(t, s)
	})
}
