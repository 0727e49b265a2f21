package outdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rolemine/rolemine/internal/fuzzmin"
)

// FuzzReadHolder feeds arbitrary bytes as an output directory's lock file: readHolder
// never panics and returns a holder only with a process id, and the message of a busy
// directory it gives is one line of printable text, whatever the file holds (it is
// anyone's to write, and the message goes to a terminal).
func FuzzReadHolder(f *testing.F) {
	fuzzmin.Off(f)
	for _, seed := range []string{
		`{"command":"rolemine mine","pid":4242,"host":"build-7","started":"2026-12-01T02:53:00Z"}`,
		`{"command":"rolemine mine\n\u001b[2Jrm -rf","pid":1,"host":"h\u0000","started":"2026-12-01T02:53:00Z"}`,
		"{\"command\":\"\xff\",\"pid\":-1}", `{"pid":0}`, `{"pid":1,"started":"yesterday"}`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, LockFile)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h := readHolder(path)
		if h != nil && h.PID == 0 {
			t.Fatalf("holder %+v without a process id", h)
		}
		msg := (&BusyError{Dir: dir, Holder: h}).Error()
		if !utf8.ValidString(msg) || strings.IndexFunc(msg, func(r rune) bool { return !unicode.IsGraphic(r) }) >= 0 {
			t.Fatalf("message %q holds characters a terminal would not show", msg)
		}
	})
}
