package columnar

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCSVLineEndsInsideQuotes pins the decision of docs/inputs.md (input-csv) and
// RATIONALE.md ("A line break inside a quoted CSV field reads as LF"): a quoted CR LF
// reads as LF, so a file and its copy with the other line-end convention (dos2unix,
// unix2dos, git's autocrlf convert inside quotes too) load the same values; a CR that
// does not end a line is a byte of the value and is kept.
func TestCSVLineEndsInsideQuotes(t *testing.T) {
	const ids = "identity_id,department,note\r\nu1,\"multi\r\nline\",\"a\rb\"\r\nu2,\"x\r\n\r\ny\",plain\r\n"
	var got [][]string
	for _, text := range []string{ids, strings.ReplaceAll(ids, "\r\n", "\n")} {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, "identities.csv"), text)
		mustWrite(t, filepath.Join(dir, "assignments.csv"), "identity_id,role_id\nu1,R1\nu2,R1\n")
		s, err := load(t, dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append(dimValues(t, s, "department"), dimValues(t, s, "note")...))
	}
	want := []string{"multi\nline", "x\n\ny", "a\rb", "plain"}
	for k, g := range got {
		if !reflect.DeepEqual(g, want) {
			t.Errorf("file %d: values %q, want %q", k, g, want)
		}
	}
}
