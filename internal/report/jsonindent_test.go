package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/model"
)

// indentReference is what appendIndented must reproduce: encoding/json's own layout.
func indentReference(t testing.TB, src []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, src, "    ", "  "); err != nil {
		t.Fatalf("json.Indent(%q): %v", src, err)
	}
	return out.Bytes()
}

// randomJSON returns a random value for encoding/json to marshal: nested objects and
// arrays (empty ones included), strings with quotes, backslashes, escapes and colons,
// commas and brackets inside them, numbers, booleans and nulls.
func randomJSON(r *rand.Rand, depth int) any {
	pieces := []string{`"`, `\`, `\\`, `\"`, ":", ",", "{", "}", "[", "]", "a", "é", "\n", "\t", "<&>", " ", "\x01"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	k := r.IntN(8)
	if depth <= 0 {
		k = r.IntN(4)
	}
	switch k {
	case 0:
		return str()
	case 1:
		return r.Float64()*2e6 - 1e6
	case 2:
		return r.IntN(3) == 0
	case 3:
		return nil
	case 4, 5:
		m := map[string]any{}
		for range r.IntN(4) {
			m[str()] = randomJSON(r, depth-1)
		}
		return m
	default:
		a := make([]any, r.IntN(4))
		for j := range a {
			a[j] = randomJSON(r, depth-1)
		}
		return a
	}
}

// TestAppendIndentedMatchesIndent lays out random documents both ways.
func TestAppendIndentedMatchesIndent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 20000 {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(n%2 == 0)
		if err := enc.Encode(randomJSON(r, 4)); err != nil {
			t.Fatal(err)
		}
		src := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		want := indentReference(t, src)
		if got := appendIndented([]byte("x"), src, "    ", "  "); !bytes.Equal(got[1:], want) {
			t.Fatalf("appendIndented(%s):\n%s\nwant\n%s", src, got[1:], want)
		}
	}
}

// FuzzAppendIndented checks any valid compact document against json.Indent.
func FuzzAppendIndented(f *testing.F) {
	fuzzmin.Off(f)
	for _, s := range []string{`{}`, `[]`, `{"a":[1,{},[]],"b\"":"x\\"}`, `"\\\\\""`, `[{"":[[]]}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(s)) != nil {
			return
		}
		src := compact.Bytes()
		if got, want := appendIndented(nil, src, "    ", "  "), indentReference(t, src); !bytes.Equal(got, want) {
			t.Fatalf("appendIndented(%s):\n%s\nwant\n%s", src, got, want)
		}
	})
}

// TestWriteJSONListMatchesMarshalIndent writes roles-like records, with odd strings,
// empty lists and null references, and compares the whole document with
// json.MarshalIndent of the same document (HTML not escaped; no roles: "[]").
func TestWriteJSONListMatchesMarshalIndent(t *testing.T) {
	roles := []model.Role{
		{RoleID: `r"1\`, Category: "<a&b>", Attempts: []model.Attempt{}, PrecisionPct: 99.5},
		{RoleID: "r2", MiningRule: &model.MiningRuleRef{Index: 1, Policy: "p:{x}"}, Attempts: []model.Attempt{{MiningRule: 0, Covered: true, Reason: "a, b"}}, FalsePositivePct: 1e-7},
		{RoleID: "r3"},
	}
	for _, n := range []int{0, 1, 3} {
		var got bytes.Buffer
		if err := writeJSONList(&got, "rolemine.roles/v1", "roles", n, func(k int) any { return roles[k] }); err != nil {
			t.Fatal(err)
		}
		doc := struct {
			Format string       `json:"format"`
			Roles  []model.Role `json:"roles"`
		}{"rolemine.roles/v1", roles[:n]}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("n=%d:\n%s\nwant\n%s", n, got.Bytes(), want.Bytes())
		}
	}
}

// TestIndentedJSONMatchesEncoder: IndentedJSON writes what a json.Encoder with
// SetIndent("", indent) writes, for 5,000 random values (strings needing escapes and
// HTML escaping, empty objects and arrays) and a struct with tags and omitted fields; an
// unsupported value is an error, as with the encoder. It fails with the final newline
// left out or HTML characters left unescaped.
func TestIndentedJSONMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 12))
	type row struct {
		ID    string   `json:"id"`
		Terms []string `json:"terms,omitempty"`
		N     int      `json:"n"`
		Skip  string   `json:"-"`
	}
	values := []any{row{ID: "<a&b>", N: 3}, []row{{ID: "x", Terms: []string{"d=\"1\""}}, {}}, map[string]any{}}
	for range 5000 {
		values = append(values, randomJSON(r, 0))
	}
	for k, v := range values {
		for _, indent := range []string{" ", "  ", "\t"} {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", indent)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			got, err := IndentedJSON(v, indent)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("value %d, indent %q:\ngot  %q\nwant %q", k, indent, got, want.Bytes())
			}
		}
	}
	if _, err := IndentedJSON(func() {}, " "); err == nil {
		t.Error("IndentedJSON of a func: no error")
	}
}
