package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzReadPluginConfig feeds arbitrary bytes as a plugin's JSON configuration file: it is
// handed over as it is when it is JSON, and refused otherwise as a user error naming the
// origin and the file, and, for a syntax error, a line and column inside the file.
func FuzzReadPluginConfig(f *testing.F) {
	fuzzmin.Off(f)
	for _, seed := range []string{`{"input": "job_title"}`, "{\"map\": {\"a\": 1},\n \"b\": [1, 2,]\n}", "", "\xef\xbb\xbf{}", "{\"a\":\"\xff\"}", "{}\n{}", "\n\n  }", `"x"`} {
		f.Add([]byte(seed))
	}
	at := regexp.MustCompile(`config\.json:(\d+):(\d+): not valid JSON`)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := readPluginConfig(path, "--plugin x.wasm")
		if err == nil {
			if !json.Valid(data) || string(b) != string(data) {
				t.Fatalf("accepted %q as %q", data, b)
			}
			return
		}
		msg := err.Error()
		if !uerr.Is(err) || !strings.HasPrefix(msg, "--plugin x.wasm: plugin configuration "+path) {
			t.Fatalf("error %q", msg)
		}
		if m := at.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			col, _ := strconv.Atoi(m[2])
			lines := strings.Split(string(data), "\n")
			if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
				t.Fatalf("error %q points outside the file's %d lines", msg, len(lines))
			}
		}
	})
}
