package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReportShowsHostileValues mines values a hostile or careless export may hold and
// reads report.html as a reviewer would. Found by the semantic audit: a department
// "\u202eevil\u202c" (U+202E, the right-to-left override) was written as it is, so the
// rule read "department=live" on the page; and a 10 kB value in a criterion stretched
// the least precise rules table so far that its figures were out of sight. The page
// shows each bidirectional control as its escape (the data-k keys, never displayed,
// keep the ids as the model files hold them), and a criterion wraps in its cell.
func TestReportShowsHostileValues(t *testing.T) {
	data, out := t.TempDir(), t.TempDir()
	rlo, big := "\u202eevil\u202c", strings.Repeat("A", 10240)
	var ids, asg strings.Builder
	ids.WriteString("identity_id,kind,dept\n")
	asg.WriteString("identity_id,role_id\n")
	for k, v := range []string{rlo, rlo, rlo, big, big, big, `<script>alert("x")</script>`} {
		id := "u" + string(rune('1'+k))
		ids.WriteString(id + ",human," + `"` + strings.ReplaceAll(v, `"`, `""`) + `"` + "\n")
		role := map[string]string{rlo: "OPS", big: "BIG"}[v]
		if role == "" {
			role = "WEB"
		}
		asg.WriteString(id + "," + role + "\n")
	}
	writeFiles(t, data, map[string]string{"identities.csv": ids.String(), "assignments.csv": asg.String()})
	if _, stderr, code := runBin(t, "mine", "--data", data, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	shown := regexp.MustCompile(` data-k="[^"]*"`).ReplaceAllString(page, "")
	if strings.ContainsRune(shown, '\u202e') || strings.ContainsRune(shown, '\u202c') {
		t.Error("the page shows a bidirectional control as it is")
	}
	if !strings.Contains(page, `<code>dept=\u202eevil\u202c</code>`) {
		t.Error(`the page lacks the rule's criterion dept=\u202eevil\u202c`)
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("the page holds a value's <script> unescaped")
	}
	if !strings.Contains(page, "<code>dept="+big+"</code>") || !strings.Contains(page, "td code{white-space:normal;overflow-wrap:anywhere}") {
		t.Error("the 10 kB criterion is not shown whole in a cell that wraps")
	}
}
