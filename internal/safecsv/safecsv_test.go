package safecsv

import (
	"bytes"
	"testing"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"alice":                   "alice",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+1":                      "'+1",
		"-2+3":                    "'-2+3",
		"@SUM(A1)":                "'@SUM(A1)",
		"\tcmd":                   "'\tcmd",
		"\rcmd":                   "'\rcmd",
		"a=b":                     "a=b",
		" =x":                     " =x",
		"'quoted":                 "'quoted",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Write([]string{"id", "=1+1", "a,b"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "id,'=1+1,\"a,b\"\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
