package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestReportIdenticalAcrossRuns: report.html depends on the input only, not on when the
// run started, on the backend or on the worker count (issue 16, defect 4: the page
// embedded the start time and the workers).
func TestReportIdenticalAcrossRuns(t *testing.T) {
	x, _ := tierSModel(t)
	page := func(info RunInfo) []byte {
		mf, err := NewModel(x.snap, x.m, x.cls, info)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Bind(x.snap, mf)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := b.WriteHTML(context.Background(), &buf, x.cls.RuleOf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := page(RunInfo{Version: "v", Backend: "cpu", Workers: 1, Config: "c",
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Phases: []Phase{{"load", 1}}})
	second := page(RunInfo{Version: "v", Backend: "cuda", Workers: 16, Config: "c",
		Started: time.Date(2026, 6, 7, 8, 9, 10, 0, time.UTC), Phases: []Phase{{"load", 2}}})
	if !bytes.Equal(first, second) {
		t.Fatal("report.html differs between two runs of the same input")
	}
}

// TestRulesXMLRefusesUnrepresentable: a rule value XML cannot hold (a NUL, a control
// character) fails the write instead of being replaced silently by U+FFFD, which made
// the rule in rules.xml match nothing (issue 16).
func TestRulesXMLRefusesUnrepresentable(t *testing.T) {
	for _, v := range []string{"a\x00b", "x\x1fy", "\ufffe"} {
		snap, m, _ := fixture()
		term := m.Rules[0].Criterion.Terms()[0]
		snap.Dims[term.Dim].Values[term.Val] = v
		var buf bytes.Buffer
		err := writeRulesXML(&buf, snap, m)
		if err == nil || !strings.Contains(err.Error(), "XML cannot represent") {
			t.Errorf("value %q: %v, want an error saying XML cannot represent it", v, err)
		}
	}
	snap, m, _ := fixture()
	var buf bytes.Buffer
	if err := writeRulesXML(&buf, snap, m); err != nil {
		t.Fatalf("fixture: %v", err)
	}
}
