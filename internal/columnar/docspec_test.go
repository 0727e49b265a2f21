package columnar_test

import (
	"slices"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/spectest"
)

// TestInputColumnsMatchDocs holds the loaders' table specs to the pages: every column a
// loader reads (and every column it requires) is the one docs/inputs.md and the input
// parts of effective-privilege.md and excess-privilege.md name, and the other way round;
// identities read every other column as an attribute, the other files ignore theirs.
// cmd/rolemine's TestInputColumnsAccepted runs the product on those columns.
func TestInputColumnsMatchDocs(t *testing.T) {
	files, _, err := spectest.Inputs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range columnar.InputSpecs() {
		doc := files[spec.Name]
		if doc == nil {
			t.Errorf("%s: the loader reads it, the pages do not describe it", spec.Name)
			continue
		}
		sameColumns(t, spec.Name+" read", spec.Known, doc.Columns, spec.Others)
		sameColumns(t, spec.Name+" required", spec.Required, doc.Required, false)
		if spec.Others != doc.Others {
			t.Errorf("%s: the loader reads other columns: %v; the page says %v", spec.Name, spec.Others, doc.Others)
		}
		for _, c := range doc.Ignored {
			if slices.Contains(spec.Known, c) || spec.Others {
				t.Errorf("%s: %s is read, the page gives it as an ignored column", spec.Name, c)
			}
		}
	}
	doc := files["assignments"]
	acc, _ := columnar.AssignmentsSpec(append([]string{"system", "account_id"}, columnar.LastUsedColumn)...)
	sameColumns(t, "assignments with accounts read", acc.Known, append(slices.Clone(doc.Columns), doc.AccountColumns...), false)
	sameColumns(t, "assignments with accounts required", acc.Required, doc.AccountRequired, false)
	for _, c := range doc.AccountColumns {
		if _, flat := columnar.AssignmentsSpec(c); flat {
			t.Errorf("assignments with a %s column is read as flat", c)
		}
	}
}

// sameColumns fails unless got and doc hold the same names; with others, doc may name
// more (the loader reads them as attributes).
func sameColumns(t *testing.T, what string, got, doc []string, others bool) {
	t.Helper()
	for _, c := range got {
		if !slices.Contains(doc, c) {
			t.Errorf("%s: the loader has %s, the pages do not", what, c)
		}
	}
	for _, c := range doc {
		if !slices.Contains(got, c) && !others {
			t.Errorf("%s: the pages name %s, the loader does not", what, c)
		}
	}
}
