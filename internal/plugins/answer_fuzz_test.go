package plugins

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rolemine/rolemine/internal/fuzzmin"
)

// outputErr is the shape of every error decodeOutput returns: it says what was wrong and
// where in the batch (the row and attribute, or what the batch ended before).
var outputErr = regexp.MustCompile(`^(batch ends early, expected .+|header says \d+ rows x \d+ attributes, expected \d+ x \d+|` +
	`row \d+ of the batch, attribute [a-z]+: .+|\d+ bytes after the last row)$`)

// FuzzDecodeOutput feeds arbitrary bytes as a plugin's answer to a batch of rows rows and
// outputs attributes (plugins/ABI.md, "Batches"): decodeOutput never panics, refuses with a
// message of outputErr's shape, and what it accepts holds only valid values (non-empty
// UTF-8 without control characters) and encodes back to the very bytes it was given.
func FuzzDecodeOutput(f *testing.F) {
	fuzzmin.Off(f)
	f.Add(uint8(1), uint8(1), le32(1, 1, 2, 1, 'b')[:17])
	f.Add(uint8(1), uint8(1), append(le32(1, 1, 2, 1), append([]byte("b"), append(le32(1), 'a')...)...))
	f.Add(uint8(2), uint8(2), encodeOutput(2, [][][]string{{{"Engineer"}, {}}, {{"L2", "L3"}, {"é"}}}))
	f.Add(uint8(0), uint8(1), le32(0, 1))
	f.Add(uint8(1), uint8(1), append(le32(1, 1, 1, 4), "a\x01bc"...))
	f.Add(uint8(1), uint8(1), append(le32(1, 1, 1, 2), 0xff, 0xfe))
	f.Fuzz(func(t *testing.T, rows, attrs uint8, b []byte) {
		n, k := int(rows%8), 1+int(attrs%3)
		outputs := []string{"a", "b", "c"}[:k]
		out, err := decodeOutput(b, n, outputs)
		if err != nil {
			if !outputErr.MatchString(err.Error()) {
				t.Fatalf("error %q does not say where the batch is wrong", err)
			}
			return
		}
		cells := make([][][]string, n)
		for i := range n {
			cells[i] = make([][]string, k)
			for a := range k {
				vals := out.vals[a][out.off[a][i]:out.off[a][i+1]]
				for _, v := range vals {
					if v == "" || !utf8.ValidString(v) {
						t.Fatalf("accepted value %q", v)
					}
					if r, bad := controlChar(v); bad {
						t.Fatalf("accepted value %q holding U+%04X", v, r)
					}
				}
				cells[i][a] = vals
			}
		}
		if again := encodeOutput(k, cells); string(again) != string(b) {
			t.Fatalf("accepted batch does not encode back:\n%q\n%q", b, again)
		}
	})
}

// le32 encodes each of vs as four bytes, little-endian.
func le32(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// encodeOutput writes an output batch of attrs attributes as plugins/ABI.md describes it:
// cells[row][attr] are the values of one row and attribute.
func encodeOutput(attrs int, cells [][][]string) []byte {
	b := le32(uint32(len(cells)), uint32(attrs))
	for _, row := range cells {
		for _, vals := range row {
			b = append(b, le32(uint32(len(vals)))...)
			for _, v := range vals {
				b = append(append(b, le32(uint32(len(v)))...), v...)
			}
		}
	}
	return b
}

// FuzzParseManifest feeds arbitrary bytes as rolemine_init's answer: parseManifest never
// panics; it refuses with a "malformed manifest" or "invalid manifest" cause; and what it
// accepts is one UTF-8 JSON object, nothing after it, with a valid name and at least one
// output, which encodes to a manifest that parses to the same.
func FuzzParseManifest(f *testing.F) {
	fuzzmin.Off(f)
	for _, seed := range []string{
		`{"name": "titlefamily", "version": "1.0.0", "inputs": ["title"], "outputs": ["title_family", "title_level"]}`,
		`{"name":"orgtree","version":"1","inputs":["unit"],"outputs":["unit_path"]}`,
		`{"name":"x","outputs":["a","a"]}`,
		`{"name":"x","outputs":["a"],"extra":1}`,
		`{"name":"x","outputs":["a"]} trailing`,
		`{"name":"x","outputs":["a"]}{"name":"y"}`,
		`{"name":"x","outputs":["a"]}}`,
		`{"name":"x","inputs":[""],"outputs":["a"]}`,
		"{\"name\":\"x\",\"inputs\":[\"\xff\"],\"outputs\":[\"a\"]}",
		`null`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, res []byte) {
		m, err := parseManifest(res)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "malformed manifest \"") && !strings.HasPrefix(msg, "invalid manifest: ") {
				t.Fatalf("cause %q", msg)
			}
			return
		}
		if !json.Valid(res) || !utf8.Valid(res) {
			t.Fatalf("accepted %q, which is not one UTF-8 JSON value", res)
		}
		if !nameRE.MatchString(m.Name) || len(m.Outputs) == 0 {
			t.Fatalf("accepted manifest %+v", m)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseManifest(b)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("manifest %+v encodes to %s, which parses to %+v, %v", m, b, again, err)
		}
	})
}
