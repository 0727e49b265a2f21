package columnar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/uerr"
)

var formats = []string{"csv", "parquet"}

var (
	baseIdentities = tbl{
		header: []string{"identity_id", "kind", "department", "title"},
		rows: [][]string{
			{"u1", "", "Sales", "Dev"},
			{"u2", "human", "Sales", "Mgr"},
			{"svc1", "service_account", "Eng", "Dev"},
			{"u3", "", "Eng", "Dev"},
			{"u4", "", "Sales", "Dev"},
			{"u5", "", "Eng", "Mgr"},
		},
	}
	baseRoles = tbl{
		header: []string{"role_id", "category", "validations", "application", "description", "owner"},
		rows: [][]string{
			{"R2", "Sensitive", "2", "ERP", "Posting", "bob"},
			{"R1", "", "", "", "", ""},
		},
	}
	baseAssignments = tbl{
		header: []string{"identity_id", "role_id", "granted_at", "source"},
		rows: [][]string{
			{"u1", "R1", "2024-01-01", "hr"},
			{"u2", "R2", "", ""},
			{"u1", "R2", "", ""},
			{"svc1", "R1", "", ""},
		},
	}
)

// with returns a copy of tb with row i (0-based) replaced.
func (tb tbl) with(i int, row ...string) tbl {
	out := tbl{header: tb.header, rows: append([][]string(nil), tb.rows...)}
	for len(out.rows) <= i {
		out.rows = append(out.rows, make([]string, len(tb.header)))
	}
	out.rows[i] = row
	return out
}

// withHeader returns a copy of tb with another header.
func (tb tbl) withHeader(h ...string) tbl { return tbl{header: h, rows: tb.rows} }

// expand replaces "@ext" by the format and "@N" by the position of data row N in that
// format: N for Parquet, the line N+1 for CSV (the header is line 1).
func expand(s, format string) string {
	s = strings.ReplaceAll(s, "@ext", format)
	return regexp.MustCompile(`@(\d+)`).ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		if format == "csv" {
			n++
		}
		return strconv.Itoa(n)
	})
}

func writeDir(t *testing.T, format string, files map[string]tbl) string {
	t.Helper()
	dir := t.TempDir()
	for name, tb := range files {
		writeTable(t, dir, name, format, tb)
	}
	return dir
}

func TestLoadErrors(t *testing.T) {
	ids, roles, asg := baseIdentities, baseRoles, baseAssignments
	cases := []struct {
		name    string
		files   map[string]tbl
		formats []string // nil: both
		want    []string // substrings of the message, after expand
	}{
		{
			name:  "missing identities",
			files: map[string]tbl{"assignments": asg},
			want:  []string{"missing identities: expected identities.parquet or identities.csv"},
		},
		{
			name:  "missing assignments",
			files: map[string]tbl{"identities": ids},
			want:  []string{"missing assignments"},
		},
		{
			name:  "missing identity_id column",
			files: map[string]tbl{"identities": ids.withHeader("id", "kind", "department", "title"), "assignments": asg},
			want:  []string{`identities.@ext: missing required column(s) ["identity_id"]`},
		},
		{
			name:  "missing role_id column in assignments",
			files: map[string]tbl{"identities": ids, "assignments": asg.withHeader("identity_id", "role", "granted_at", "source")},
			want:  []string{`assignments.@ext: missing required column(s) ["role_id"]`},
		},
		{
			name:  "missing role_id column in roles",
			files: map[string]tbl{"identities": ids, "roles": roles.withHeader("id", "category", "validations", "application", "description", "owner"), "assignments": asg},
			want:  []string{`roles.@ext: missing required column(s) ["role_id"]`},
		},
		{
			name:  "empty identity_id",
			files: map[string]tbl{"identities": ids.with(1, "", "", "Sales", "Mgr"), "assignments": asg},
			want:  []string{"identities.@ext row @2, column identity_id: empty or null, expected a value"},
		},
		{
			name:    "null identity_id",
			files:   map[string]tbl{"identities": ids.with(2, nullValue, "", "Sales", "Mgr"), "assignments": asg},
			formats: []string{"parquet"},
			want:    []string{"identities.parquet row 3, column identity_id: empty or null, expected a value"},
		},
		{
			name:  "duplicate identity_id",
			files: map[string]tbl{"identities": ids.with(3, "u1", "", "Eng", "Dev"), "assignments": asg},
			want:  []string{`identities.@ext row @4, column identity_id: duplicate "u1" (first at row @1)`},
		},
		{
			name: "many duplicates list the first five",
			files: map[string]tbl{"identities": ids.with(6, "u1", "", "", "").with(7, "u1", "", "", "").with(8, "u2", "", "", "").
				with(9, "u2", "", "", "").with(10, "u3", "", "", "").with(11, "u3", "", "", "").with(12, "u4", "", "", ""), "assignments": asg},
			want: []string{`row @7, column identity_id: duplicate "u1" (first at row @1)`, `row @11, column identity_id: duplicate "u3"`,
				"and 2 more such problems"},
		},
		{
			name:  "empty role_id in assignments",
			files: map[string]tbl{"identities": ids, "assignments": asg.with(2, "u3", "", "", "")},
			want:  []string{"assignments.@ext row @3, column role_id: empty or null, expected a value"},
		},
		{
			name:  "empty identity_id in assignments",
			files: map[string]tbl{"identities": ids, "assignments": asg.with(0, "", "R1", "", "")},
			want:  []string{"assignments.@ext row @1, column identity_id: empty or null"},
		},
		{
			name:  "duplicate role_id in roles",
			files: map[string]tbl{"identities": ids, "roles": roles.with(2, "R2", "", "", "", "", ""), "assignments": asg},
			want:  []string{`roles.@ext row @3, column role_id: duplicate "R2" (first at row @1)`},
		},
		{
			name:  "validations not a number",
			files: map[string]tbl{"identities": ids, "roles": roles.with(1, "R1", "", "x", "", "", ""), "assignments": asg},
			want:  []string{`roles.@ext row @2, column validations: "x" is not an integer from 0 to 3`},
		},
		{
			name:  "validations out of range",
			files: map[string]tbl{"identities": ids, "roles": roles.with(0, "R2", "", "4", "", "", ""), "assignments": asg},
			want:  []string{`roles.@ext row @1, column validations: "4" is not an integer from 0 to 3`},
		},
		{
			name:  "invalid UTF-8",
			files: map[string]tbl{"identities": ids.with(4, "u4", "", "Sa\xffles", "Dev"), "assignments": asg},
			want:  []string{"identities.@ext row @5, column department: value \"Sa\\xffles\" is not valid UTF-8"},
		},
		{
			name:  "duplicate column",
			files: map[string]tbl{"identities": ids.withHeader("identity_id", "kind", "department", "department"), "assignments": asg},
			// A Parquet schema cannot hold two columns of one name; the test writer merges them.
			formats: []string{"csv"},
			want:    []string{`identities.csv: column "department" appears twice (columns 3 and 4)`},
		},
		{
			name:    "wrong column type",
			files:   map[string]tbl{"identities": tbl{header: []string{"identity_id", "score:double"}, rows: [][]string{{"u1", "1.5"}}}, "assignments": asg},
			formats: []string{"parquet"},
			want:    []string{"identities.parquet column score: has type DOUBLE; expected a string (BYTE_ARRAY), integer (INT32, INT64), BOOLEAN, INT96 timestamp, DECIMAL or UUID column"},
		},
		{
			name:    "double role_id",
			files:   map[string]tbl{"identities": ids, "assignments": tbl{header: []string{"identity_id", "role_id:double"}, rows: [][]string{{"u1", "1.5"}}}},
			formats: []string{"parquet"},
			want:    []string{"assignments.parquet column role_id: has type DOUBLE"},
		},
		{
			name:    "repeated column",
			files:   map[string]tbl{"identities": ids, "assignments": tbl{header: []string{"identity_id", "role_id:list"}, rows: [][]string{{"u1", "R1"}}}},
			formats: []string{"parquet"},
			want:    []string{"assignments.parquet column role_id: is repeated"},
		},
		{
			name:  "errors of several files are all reported",
			files: map[string]tbl{"identities": ids.with(1, "", "", "", ""), "assignments": asg.with(0, "u1", "", "", "")},
			want:  []string{"identities.@ext row @2, column identity_id", "assignments.@ext row @1, column role_id"},
		},
	}
	for _, tc := range cases {
		fs := tc.formats
		if fs == nil {
			fs = formats
		}
		for _, format := range fs {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				dir := writeDir(t, format, tc.files)
				_, err := load(t, dir, LoadOptions{})
				if err == nil {
					t.Fatalf("Load succeeded, want an error")
				}
				if !uerr.Is(err) {
					t.Errorf("error is not a user error: %v", err)
				}
				for _, w := range tc.want {
					if w = expand(w, format); !strings.Contains(err.Error(), w) {
						t.Errorf("error\n%v\ndoes not contain\n%s", err, w)
					}
				}
			})
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{
			name: "both extensions",
			setup: func(t *testing.T, dir string) {
				writeTable(t, dir, "identities", "csv", baseIdentities)
				writeTable(t, dir, "identities", "parquet", baseIdentities)
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "both identities.parquet and identities.csv exist; keep only one",
		},
		{
			// A link loop, like a directory, is named once and said not to be a file.
			name: "link loop",
			setup: func(t *testing.T, dir string) {
				writeTable(t, dir, "identities", "csv", baseIdentities)
				writeTable(t, dir, "assignments", "csv", baseAssignments)
				if err := os.Symlink("roles.csv", filepath.Join(dir, "roles.csv")); err != nil {
					t.Fatal(err)
				}
			},
			want: "roles.csv: too many levels of symbolic links; expected a file",
		},
		{
			name: "corrupt parquet",
			setup: func(t *testing.T, dir string) {
				writeTable(t, dir, "identities", "csv", baseIdentities)
				mustWrite(t, filepath.Join(dir, "assignments.parquet"), "PAR1 this is not parquet PAR1")
			},
			want: "assignments.parquet: not a readable Parquet file",
		},
		{
			name: "truncated parquet",
			setup: func(t *testing.T, dir string) {
				writeTable(t, dir, "assignments", "csv", baseAssignments)
				p := writeTable(t, dir, "identities", "parquet", baseIdentities)
				b, _ := os.ReadFile(p)
				mustWrite(t, p, string(b[:len(b)/2]))
			},
			want: "identities.parquet: not a readable Parquet file",
		},
		{
			name: "ragged csv",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department\nu1,Sales\nu2,Eng,extra\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv row 3, column department: the row has 3 fields, expected 2 like the header",
		},
		{
			name: "bad quoting",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department\nu1,Sa\"les\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv row 2, character 6: bare \" in non-quoted-field; expected RFC 4180 quoting",
		},
		{
			name: "unterminated quote",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department\nu1,Sales\nu2,\"Eng, \"\"R&D\nu3,Sales\nu4,Ops\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv row 3, character 4: a quoted field opens here and is never closed (reading stopped at row 5)",
		},
		{
			// The quote opens on the last row: reading stops on the row it opens on, and
			// the message still names where it opens, not where the file ends.
			name: "unterminated quote on the last row",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department\nu1,Sales\nu2,\"Eng\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv row 3, character 4: a quoted field opens here and is never closed (reading stopped at row 3)",
		},
		{
			name: "unterminated quote at the end of a file without a final line break",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department\r\nu1,Sales\r\nu2,\"Eng")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv row 3, character 4: a quoted field opens here and is never closed (reading stopped at row 3)",
		},
		{
			// A closed quoted field followed by text is a quoting error where the text
			// starts, even when a later field of the row opens a quote it never closes.
			name: "text after a closing quote",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department,team\nu1,\"Sa\"les,\"x\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv row 2, character 7: extraneous or missing \" in quoted-field",
		},
		{
			// Spreadsheet programs save "Unicode text" as UTF-16 with a byte order mark.
			name: "UTF-16 file",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "\xff\xfei\x00d\x00,\x00k\x00\n\x00")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv: starts with a UTF-16 byte order mark; expected UTF-8 text",
		},
		{
			// Column names end up in rules.json and rules.xml like values.
			name: "column name not UTF-8",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,d\xe9partement\nu1,Sales\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv: the name of column 2: value \"d\\xe9partement\" is not valid UTF-8",
		},
		{
			name: "column name with a control character",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,dept\x01\nu1,Sales\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv: the name of column 2: value \"dept\\x01\" holds the control character U+0001",
		},
		{
			name: "control character",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department\nu1,Sales\nu2,Sa\x00les\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv row 3, column department: value \"Sa\\x00les\" holds the control character U+0000, which rules.xml cannot represent",
		},
		{
			name: "empty csv",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv: the file is empty; expected a header row",
		},
		{
			name: "empty column name",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,,title\nu1,a,b\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv: column 2 has an empty name",
		},
		{
			// A separator at the end of every line, as some exports write them: the
			// message says where the unnamed column comes from.
			name: "trailing separator",
			setup: func(t *testing.T, dir string) {
				mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,title,\r\nu1,a,\r\n")
				writeTable(t, dir, "assignments", "csv", baseAssignments)
			},
			want: "identities.csv: column 3 has an empty name; every column needs a name (the header ends in a separator, as exports that end every line with one write it: remove it from the end of every line)",
		},
		{
			name:  "not a directory",
			setup: func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "x"), "") },
			want:  "is not a directory",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			if tc.name == "not a directory" {
				dir = filepath.Join(dir, "x")
			}
			_, err := load(t, dir, LoadOptions{})
			if err == nil {
				t.Fatalf("Load succeeded, want an error")
			}
			if !uerr.Is(err) {
				t.Errorf("error is not a user error: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n%v\ndoes not contain\n%s", err, tc.want)
			}
		})
	}
}

func mustWrite(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadBase(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			dir := writeDir(t, format, map[string]tbl{"identities": baseIdentities, "roles": baseRoles, "assignments": baseAssignments})
			s, err := load(t, dir, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.IdentityIDs, []string{"u1", "u2", "svc1", "u3", "u4", "u5"}; !reflect.DeepEqual(got, want) {
				t.Errorf("identities %q, want %q", got, want)
			}
			var names []string
			for _, d := range s.Dims {
				names = append(names, d.Name)
			}
			if want := []string{"department", "kind", "title"}; !reflect.DeepEqual(names, want) {
				t.Errorf("dims %q, want %q", names, want)
			}
			if got, want := dimValues(t, s, "kind"), []string{"human", "human", "service_account", "human", "human", "human"}; !reflect.DeepEqual(got, want) {
				t.Errorf("kind %q, want %q", got, want)
			}
			if got, want := s.Dims[s.DimIndex("department")].Values, []string{"Eng", "Sales"}; !reflect.DeepEqual(got, want) {
				t.Errorf("department values %q, want %q", got, want)
			}
			if got, want := dimValues(t, s, "department"), []string{"Sales", "Sales", "Eng", "Eng", "Sales", "Eng"}; !reflect.DeepEqual(got, want) {
				t.Errorf("department %q, want %q", got, want)
			}
			wantRoles := Roles{
				IDs:         []string{"R1", "R2"},
				Category:    []string{"", "Sensitive"},
				Validations: []int8{0, 2},
				Application: []string{"", "ERP"},
				Description: []string{"", "Posting"},
				Implicit:    []bool{false, false},
			}
			if !reflect.DeepEqual(s.Roles, wantRoles) {
				t.Errorf("roles %+v, want %+v", s.Roles, wantRoles)
			}
			if got, want := holdings(s), []string{"svc1:R1", "u1:R1", "u1:R2", "u2:R2"}; !reflect.DeepEqual(got, want) {
				t.Errorf("holdings %q, want %q", got, want)
			}
			if !reflect.DeepEqual(s.Findings, Findings{}) {
				t.Errorf("findings %+v, want none", s.Findings)
			}
			if len(s.Inputs) != 3 {
				t.Fatalf("inputs %+v", s.Inputs)
			}
			for i, name := range []string{"identities", "roles", "assignments"} {
				in := s.Inputs[i]
				b, err := os.ReadFile(in.Path)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(b)
				want := Input{Name: name, Path: filepath.Join(dir, name+"."+format), Bytes: int64(len(b)),
					SHA256: hex.EncodeToString(sum[:]), Rows: map[string]int64{"identities": 6, "roles": 2, "assignments": 4}[name]}
				if in != want {
					t.Errorf("input %+v, want %+v", in, want)
				}
			}
		})
	}
}

func TestLoadFindings(t *testing.T) {
	// 8 identities; email is distinct per identity (skipped), cost has 4 distinct values of 8
	// (kept: not more than half), region has 5 (skipped).
	ids := tbl{
		header: []string{"identity_id", "email", "cost", "region", "team"},
		rows: [][]string{
			{"a", "a@x", "c1", "r1", "t1"},
			{"b", "b@x", "c1", "r2", "t1"},
			{"c", "c@x", "c2", "r3", ""},
			{"d", "d@x", "c2", "r4", "t2"},
			{"e", "e@x", "c3", "r5", "t2"},
			{"f", "f@x", "c3", "r1", "t1"},
			{"g", "g@x", "c4", "r1", "t1"},
			{"h", "h@x", "c4", "", "t1"},
		},
	}
	asg := tbl{
		header: []string{"identity_id", "role_id"},
		rows: [][]string{
			{"a", "R1"},
			{"ghost2", "R9"},
			{"a", "R1"}, // duplicate
			{"ghost1", "R1"},
			{"b", "R0"},
			{"ghost2", "R9"}, // duplicate orphan
			{"ghost1", "R0"},
			{"a", "R1"}, // duplicate
			{"c", "R3"},
		},
	}
	roles := tbl{header: []string{"role_id", "category"}, rows: [][]string{{"R1", "Std"}, {"R3", "Std"}, {"R5", "Unused"}}}
	for _, format := range formats {
		for _, withRoles := range []bool{true, false} {
			t.Run(format+"/roles="+strconv.FormatBool(withRoles), func(t *testing.T) {
				files := map[string]tbl{"identities": ids, "assignments": asg}
				if withRoles {
					files["roles"] = roles
				}
				dir := writeDir(t, format, files)
				s, err := load(t, dir, LoadOptions{ExcludeDimensions: []string{"team", "nonexistent", "kind"}})
				if err != nil {
					t.Fatal(err)
				}
				wantRoles := []string{"R0", "R1", "R3", "R9"}
				wantImplicit := []bool{true, true, true, true}
				if withRoles {
					wantRoles = []string{"R0", "R1", "R3", "R5", "R9"}
					wantImplicit = []bool{true, false, false, false, true}
				}
				if !reflect.DeepEqual(s.Roles.IDs, wantRoles) || !reflect.DeepEqual(s.Roles.Implicit, wantImplicit) {
					t.Errorf("roles %q implicit %v, want %q %v", s.Roles.IDs, s.Roles.Implicit, wantRoles, wantImplicit)
				}
				role := func(id string) int32 {
					for i, r := range s.Roles.IDs {
						if r == id {
							return int32(i)
						}
					}
					t.Fatalf("no role %s", id)
					return -1
				}
				wantOrphans := []Orphan{{IdentityID: "ghost1", Role: role("R0")}, {IdentityID: "ghost1", Role: role("R1")}, {IdentityID: "ghost2", Role: role("R9")}}
				if !reflect.DeepEqual(s.Orphans, wantOrphans) {
					t.Errorf("orphans %+v, want %+v", s.Orphans, wantOrphans)
				}
				want := Findings{
					OrphanAssignments:    3,
					OrphanIdentities:     []string{"ghost1", "ghost2"},
					ImplicitRoles:        2,
					DuplicateAssignments: 3,
					SkippedDimensions: []SkippedDimension{
						{Name: "email", Distinct: 8, Reason: "8 distinct values > half of 8 identities"},
						{Name: "region", Distinct: 5, Reason: "5 distinct values > half of 8 identities"},
						{Name: "team", Distinct: 2, Reason: "excluded by user"},
					},
				}
				if !withRoles {
					want.ImplicitRoles = 4
				}
				if !reflect.DeepEqual(s.Findings, want) {
					t.Errorf("findings\n%+v\nwant\n%+v", s.Findings, want)
				}
				if got, want := holdings(s), []string{"a:R1", "b:R0", "c:R3"}; !reflect.DeepEqual(got, want) {
					t.Errorf("holdings %q, want %q", got, want)
				}
				for _, d := range s.Dims {
					wantSkip := d.Name == "email" || d.Name == "region" || d.Name == "team"
					if d.Skipped != wantSkip {
						t.Errorf("dim %s skipped=%v, want %v", d.Name, d.Skipped, wantSkip)
					}
				}
				if got := dimValues(t, s, "team"); got[2] != "" || got[3] != "t2" {
					t.Errorf("team %q: want no value for c", got)
				}
				if got := dimValues(t, s, "kind"); got[0] != HumanKind {
					t.Errorf("kind %q: absent kind column must give human", got)
				}
			})
		}
	}
}

func TestLoadCSVBOMAndCRLF(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "identities.csv"),
		"\xef\xbb\xbfidentity_id,kind,\"department\"\r\nu1,,\"Sales, EMEA\"\r\n\"u2\",bot,\"say \"\"hi\"\"\"\r\nu3,,\"multi\r\nline\"\r\n\r\nu4,,Eng\r\n")
	mustWrite(t, filepath.Join(dir, "assignments.csv"), "\xef\xbb\xbfidentity_id,role_id\r\nu1,R1\r\nu4,R1\r\nu9,R1\r\n")
	s, err := load(t, dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.IdentityIDs, []string{"u1", "u2", "u3", "u4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ids %q, want %q", got, want)
	}
	if got, want := dimValues(t, s, "department"), []string{"Sales, EMEA", `say "hi"`, "multi\r\nline", "Eng"}; !reflect.DeepEqual(got, want) {
		// encoding/csv turns \r\n inside quotes into \n.
		if want[2] = "multi\nline"; !reflect.DeepEqual(got, want) {
			t.Errorf("department %q, want %q", got, want)
		}
	}
	if got, want := dimValues(t, s, "kind"), []string{"human", "bot", "human", "human"}; !reflect.DeepEqual(got, want) {
		t.Errorf("kind %q, want %q", got, want)
	}
	if got, want := holdings(s), []string{"u1:R1", "u4:R1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("holdings %q, want %q", got, want)
	}
	// Line numbers count the multi-line record: u4 is on line 7.
	mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id,department\r\nu1,\"a\r\nb\"\r\n\r\nu1,c\r\n")
	_, err = load(t, dir, LoadOptions{})
	if want := `identities.csv row 5, column identity_id: duplicate "u1" (first at row 2)`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestLoadCancelled(t *testing.T) {
	dir := writeDir(t, "parquet", map[string]tbl{"identities": baseIdentities, "assignments": baseAssignments})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Load(ctx, dir, LoadOptions{})
	if !errors.Is(err, context.Canceled) || uerr.Is(err) {
		t.Errorf("error %v, want context.Canceled (not a user error)", err)
	}
}
