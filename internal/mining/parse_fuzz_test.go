package mining

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

// FuzzParseConfig checks that no input makes the parser panic, that every failure is a
// user error naming the file in printable text (the document's bytes escaped), and that
// every mining rule it accepts passes validateRule and holds no negative zero percentage.
func FuzzParseConfig(f *testing.F) {
	fuzzmin.Off(f)
	seeds, _ := filepath.Glob(filepath.Join("testdata", "config", "*.xml"))
	seeds = append(seeds, filepath.Join("..", "..", "examples", "mining.xml"))
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``,
		`<MiningRule/>`,
		`<MiningRule Priority="1" EntityType="nhi" Dimensions="a,b" MaxDimensions="3"/>`,
		`<MiningRule PrecisionMinPercentage="99.9" FalsePositiveMaxPercentage=".1" RuleType="2"/>`,
		`<MiningRule EntityType=" , " Dimensions=" "/>`,
		"<C>\n<MiningRule\n  x=\"1\"/>",
		`<C><CriterionPlugin Path="a" Config="b"/><MiningRule Category=""/></C>`,
		"\xef\xbb\xbf<MiningRule Priority='-2'/>",
		`<MiningRule UsedOnly="true"/><MiningRule ExcludeRole="1" UsedOnly="0"/>`,
		`<?xml version="1.0" encoding="utf8"?><MiningRule Priority="+5" FalsePositiveMaxPercentage="-0.0" PrecisionMinPercentage="97."/>`,
		"\xff\xfe<\x00M\x00/\x00>\x00",
		`<!-- c --><C><![CDATA[<MiningRule/>]]><MiningRule Category="R&amp;D" Policy="a&#233;"/></C>`,
		"<C>\n<Min\xffing\x1bRule/></C>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.xml", data)
		if err != nil {
			if !uerr.Is(err) {
				t.Fatalf("error %q is not a user error", err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.xml:") {
				t.Fatalf("error %q does not start with the file name", err)
			}
			if msg := err.Error(); graphic(msg) != msg {
				t.Fatalf("error %q holds characters a terminal would not show", msg)
			}
			return
		}
		if len(cfg.MiningRules) == 0 {
			t.Fatal("success without mining rules")
		}
		prevLine := 0
		for i := range cfg.MiningRules {
			r := &cfg.MiningRules[i]
			if p := validateRule(r); p != nil {
				t.Fatalf("accepted rule %d fails validation: %+v (%+v)", i, p, r)
			}
			if math.Signbit(r.PrecisionMin) || math.Signbit(r.FalsePositiveMax) {
				t.Fatalf("rule %d keeps a negative zero percentage: %+v", i, r)
			}
			if r.Index != i || r.Line < 1 || r.Line < prevLine {
				t.Fatalf("rule %d: Index %d, Line %d after line %d", i, r.Index, r.Line, prevLine)
			}
			prevLine = r.Line
		}
		for _, p := range cfg.Plugins {
			if strings.TrimSpace(p.Path) == "" || p.Line < 1 {
				t.Fatalf("accepted plugin %+v", p)
			}
		}
		run := SortedForRun(cfg.MiningRules)
		for i := 1; i < len(run); i++ {
			a, b := run[i-1], run[i]
			if a.Priority < b.Priority || (a.Priority == b.Priority && a.Index > b.Index) {
				t.Fatalf("SortedForRun out of order at %d: %+v then %+v", i, a, b)
			}
		}
	})
}
