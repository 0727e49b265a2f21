package spectest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// specDocs are the pages whose every rule must be backed by a case (docs/README.md).
var specDocs = []string{"semantics.md", "config.md"}

var (
	anchorRE = regexp.MustCompile(`<a id="([a-z0-9-]+)"></a>`)
	citeRE   = regexp.MustCompile(`#([a-z][a-z0-9-]*)`)
)

// TestEveryRuleHasACase checks that each rule identifier of docs/semantics.md and
// docs/config.md is cited (as #identifier) by some case file under
// internal/*/testdata/spec, and that every identifier a case file cites exists in docs/.
func TestEveryRuleHasACase(t *testing.T) {
	root := filepath.Join("..", "..")
	var rules, all []string
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md under %s: %v", root, err)
	}
	for _, p := range docs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range anchorRE.FindAllStringSubmatch(string(b), -1) {
			all = append(all, m[1])
			if slices.Contains(specDocs, filepath.Base(p)) {
				rules = append(rules, m[1])
			}
		}
	}
	cases, err := filepath.Glob(filepath.Join(root, "internal", "*", "testdata", "spec", "*"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	cited := map[string][]string{}
	for _, p := range cases {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, "#") {
				continue // only comments cite the docs
			}
			for _, m := range citeRE.FindAllStringSubmatch(line[1:], -1) {
				cited[m[1]] = append(cited[m[1]], p)
			}
		}
	}
	for _, r := range rules {
		if len(cited[r]) == 0 {
			t.Errorf("rule %s of docs/ is cited by no case file (write #%s in the comment of the case that backs it)", r, r)
		}
	}
	for c, files := range cited {
		if !slices.Contains(all, c) && strings.Contains(c, "-") {
			t.Errorf("%s cites #%s, which is no anchor of docs/", files[0], c)
		}
	}
}
