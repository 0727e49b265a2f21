package spectest

import (
	"reflect"
	"testing"
)

func TestParseShape(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shape
		ok   bool
	}{
		{"{total, by_kind}", Shape{"total": nil, "by_kind": nil}, true},
		{"[{index, line}]", Shape{"index": nil, "line": nil}, true},
		{`{"attribute", "value"}`, Shape{"attribute": nil, "value": nil}, true},
		{"rule_id, mined{support,tp}, degraded", Shape{"rule_id": nil, "mined": Shape{"support": nil, "tp": nil}, "degraded": nil}, true},
		{"explained + unexplained = total", nil, false},
		{"rolemine.summary/v1", nil, false},
		{"{a, b{c}", nil, false},
	} {
		got, ok := ParseShape(c.in)
		if ok != c.ok || (ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("ParseShape(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

const sample = "# Page\n\n## One\n\ntext `a`, `b, c` and `x.csv`\n\n| file | content |\n|---|---|\n| `f` | `a\\|b` cell |\n\n" +
	"<a id=\"anchor\"></a>\n### Sub\n\nin sub\n\n## Two\n\nlast\n"

func TestSectionsAndTables(t *testing.T) {
	one, err := Section(sample, "## One")
	if err != nil {
		t.Fatal(err)
	}
	if got := Names(one); !reflect.DeepEqual(got, []string{"a", "b", "c", "f"}) {
		t.Errorf("Names = %q", got)
	}
	tables := Tables(one)
	if want := [][][]string{{{"file", "content"}, {"`f`", "`a|b` cell"}}}; !reflect.DeepEqual(tables, want) {
		t.Errorf("Tables = %q, want %q", tables, want)
	}
	sub, err := Section(sample, "#anchor")
	if err != nil || sub != "### Sub\n\nin sub\n" {
		t.Errorf("Section(#anchor) = %q, %v: want the heading's section", sub, err)
	}
	if _, err := Section(sample, "## Three"); err == nil {
		t.Error("Section of a missing heading: no error")
	}
}

func TestColumnList(t *testing.T) {
	cols, req := ColumnList("`identity_id`, `role_id` (both required, non-empty); `last_used` (optional), `a` (required), `b`, `c`")
	if want := []string{"identity_id", "role_id", "last_used", "a", "b", "c"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns %q, want %q", cols, want)
	}
	if want := []string{"identity_id", "role_id", "a"}; !reflect.DeepEqual(req, want) {
		t.Errorf("required %q, want %q", req, want)
	}
}

// TestInputsRead reads the repository's own pages: every file the loaders read is there.
func TestInputsRead(t *testing.T) {
	files, reserved, err := Inputs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"identities", "roles", "assignments", "accounts", "role_grants", "attributes"} {
		if files[f] == nil || len(files[f].Required) == 0 {
			t.Errorf("%s: %+v", f, files[f])
		}
	}
	t.Logf("reserved %q", reserved)
	for _, k := range []string{"identities", "roles", "assignments", "accounts", "role_grants", "attributes"} {
		t.Logf("%s: %+v", k, *files[k])
	}
}
