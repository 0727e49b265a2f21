package safecsv

import (
	"bytes"
	"math/rand/v2"
	"strings"
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

// TestAppendCell checks AppendCell against Writer (encoding/csv behind Cell) on random
// fields made of the bytes that matter: formula starts, quotes, commas, line ends, ASCII
// and Unicode spaces, `\.`.
func TestAppendCell(t *testing.T) {
	parts := []string{"=", "+", "-", "@", "\t", "\r", "\n", "\"", ",", " ", "\u00a0", "\u2003", "a", "é", "\\", ".", "'", "日"}
	rng := rand.New(rand.NewPCG(5, 6))
	fields := []string{"", `\.`, "\\", ".", " ", "\u00a0x", "=", "\t", "\r"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(5) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		fields = append(fields, b.String())
	}
	for _, f := range fields {
		var want bytes.Buffer
		w := NewWriter(&want)
		if err := w.Write([]string{f}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got := string(AppendCell(nil, f)) + "\n"
		if got != want.String() {
			t.Fatalf("AppendCell(%q) = %q, Writer wrote %q", f, got, want.String())
		}
		if gotB := string(AppendCell(nil, []byte(f))) + "\n"; gotB != want.String() {
			t.Fatalf("AppendCell([]byte(%q)) = %q, Writer wrote %q", f, gotB, want.String())
		}
	}
}
