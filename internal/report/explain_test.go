package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/uerr"
)

// mined is one data directory mined into an output directory, as `rolemine mine` does.
type mined struct {
	snap *columnar.Snapshot
	m    *mining.Model
	cls  *mining.Classification
	out  string
}

// mineInto loads data, mines it with config ("" for the implicit rule) and writes the
// model outputs into a temporary directory.
func mineInto(t testing.TB, data, config string) *mined {
	t.Helper()
	x, err := mineDir(data, config, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// mineDir is mineInto writing into out.
func mineDir(data, config, out string) (*mined, error) {
	ctx := context.Background()
	snap, err := columnar.Load(ctx, data, columnar.LoadOptions{})
	if err != nil {
		return nil, err
	}
	cfg := &mining.Config{MiningRules: []mining.MiningRule{mining.DefaultMiningRule()}}
	if config != "" {
		if cfg, err = mining.ParseConfigFile(config); err != nil {
			return nil, err
		}
	}
	m, err := mining.Run(ctx, snap, cfg, mining.Options{Backend: cpu.NewWorkers(2), Workers: 2})
	if err != nil {
		return nil, err
	}
	cls := mining.Classify(snap, m)
	if err := WriteModel(ctx, out, snap, m, cls, RunInfo{Version: "test", Backend: "cpu", Workers: 2, Config: "test"}); err != nil {
		return nil, err
	}
	return &mined{snap, m, cls, out}, nil
}

// bound reads the model files back and binds them to the snapshot, as explain does.
func (x *mined) bound(t testing.TB) *Bound {
	t.Helper()
	mf, err := ReadModel(x.out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bind(x.snap, mf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with testdata/NAME, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestExplainGolden explains identities of the worked enterprise (testdata/explain, the
// core's worked example plus an orphan x99) from the model files read back: an explained
// assignment, an unexplained one with its nearest rule and failing attribute, a
// suggestion, a rule scope failure and an orphan.
func TestExplainGolden(t *testing.T) {
	x := mineInto(t, "testdata/explain/data", "testdata/explain/mining.xml")
	b := x.bound(t)
	for _, id := range []string{"u10", "u06", "u07", "u12", "s01", "k02", "x99"} {
		t.Run(id, func(t *testing.T) {
			ex, err := b.Explain(id)
			if err != nil {
				t.Fatal(err)
			}
			var txt bytes.Buffer
			if err := ex.WriteText(&txt); err != nil {
				t.Fatal(err)
			}
			golden(t, "explain/"+id+".txt", txt.Bytes())
			var js bytes.Buffer
			enc := json.NewEncoder(&js)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(ex); err != nil {
				t.Fatal(err)
			}
			golden(t, "explain/"+id+".json", js.Bytes())
			// The explanation agrees with the classification of the miner.
			if !ex.Orphan {
				i := indexOf(x.snap.IdentityIDs, id)
				for k, h := range ex.Roles {
					a := x.snap.IdentOff[i] + int64(k)
					if want := x.cls.Status(int(a)).String(); h.Status != want {
						t.Errorf("%s %s: status %s, classification says %s", id, h.RoleID, h.Status, want)
					}
					if h.Rule != nil && h.Rule.RuleID != x.m.Rules[x.cls.RuleOf[a]].ID {
						t.Errorf("%s %s: rule %s, classification says %s", id, h.RoleID, h.Rule.RuleID, x.m.Rules[x.cls.RuleOf[a]].ID)
					}
				}
				var want []string
				for _, s := range x.cls.Suggestions {
					if x.snap.IdentityIDs[s.Identity] == id {
						want = append(want, x.snap.Roles.IDs[s.Role]+" "+x.m.Rules[s.Rule].ID)
					}
				}
				var got []string
				for _, s := range ex.Suggestions {
					got = append(got, s.RoleID+" "+s.Rule.RuleID)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%s: suggestions %v, classification says %v", id, got, want)
				}
			}
		})
	}
}

func indexOf(ids []string, id string) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return -1
}

func TestExplainUnknownIdentityIsUserError(t *testing.T) {
	x := mineInto(t, "testdata/explain/data", "testdata/explain/mining.xml")
	_, err := x.bound(t).Explain("nobody")
	if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("Explain(nobody) = %v, want a user error naming the identity", err)
	}
}

func TestReadModelErrors(t *testing.T) {
	x := mineInto(t, "testdata/explain/data", "testdata/explain/mining.xml")
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"missing", RulesJSONFile, "", "rules.json is missing"},
		{"not json", RolesJSONFile, "{", "not a valid rolemine.roles/v1"},
		{"wrong format", SummaryJSONFile, `{"format":"other"}`, `format "other"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{RulesJSONFile, RolesJSONFile, SummaryJSONFile} {
				data, err := os.ReadFile(filepath.Join(x.out, f))
				if err != nil {
					t.Fatal(err)
				}
				if f == tc.file {
					if tc.content == "" {
						continue
					}
					data = []byte(tc.content)
				}
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadModel(dir)
			if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadModel = %v, want a user error containing %q", err, tc.want)
			}
		})
	}
}

// TestReadModelSkipsByteOrderMark: model files saved by an editor with a UTF-8 byte
// order mark read as the same model (the mark used to be refused as "invalid character").
func TestReadModelSkipsByteOrderMark(t *testing.T) {
	x := mineInto(t, "testdata/explain/data", "testdata/explain/mining.xml")
	want, err := ReadModel(x.out)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{RulesJSONFile, RolesJSONFile, SummaryJSONFile} {
		data, err := os.ReadFile(filepath.Join(x.out, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), append([]byte("\xef\xbb\xbf"), data...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadModel(dir)
	if err != nil {
		t.Fatalf("ReadModel with byte order marks: %v", err)
	}
	got.Dir = want.Dir
	if !reflect.DeepEqual(got, want) {
		t.Error("the model read with byte order marks differs from the model read without")
	}
}

// TestBindRejectsForeignModel: a rule on an attribute the data lacks is a user error
// naming the model directory's rules.json and the attribute.
func TestBindRejectsForeignModel(t *testing.T) {
	x := mineInto(t, "testdata/explain/data", "testdata/explain/mining.xml")
	mf, err := ReadModel(x.out)
	if err != nil {
		t.Fatal(err)
	}
	mf.Rules[0].Criteria = []TermRecord{{Attribute: "no_such_column", Value: "v"}}
	file := filepath.Join(x.out, RulesJSONFile)
	if _, err := Bind(x.snap, mf); err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), "no_such_column") || !strings.HasPrefix(err.Error(), file+": ") {
		t.Fatalf("Bind = %v, want a user error naming %s and the attribute", err, file)
	}
}

// TestClassifyFromFilesMatchesMiner: the classification recomputed from the model files
// equals the miner's on tier-like random data.
func TestClassifyFromFilesMatchesMiner(t *testing.T) {
	x := mineInto(t, "testdata/explain/data", "testdata/explain/mining.xml")
	got, err := x.bound(t).Classify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for k := range got {
		if got[k] != x.cls.RuleOf[k] {
			t.Fatalf("assignment %d: rule %d from files, %d from the miner", k, got[k], x.cls.RuleOf[k])
		}
	}
}

// TestNearestFewestFailures checks nearest on every unexplained assignment of tier S
// against its definition: the first of the role's rules, in rule order, that the identity
// fails by the fewest conditions, with that rule's failures.
func TestNearestFewestFailures(t *testing.T) {
	x, _ := tierSModel(t)
	b := x.bound(t)
	snap := x.snap
	checked, notFirst := 0, 0
	for i := range snap.NumIdentities() {
		for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
			r := snap.IdentIdx[k]
			if x.cls.RuleOf[k] >= 0 || len(b.RulesOf(r)) == 0 {
				continue
			}
			want := -1
			var wantFails []Failure
			for _, j := range b.RulesOf(r) {
				if fs := b.failures(int(j), i); want < 0 || len(fs) < len(wantFails) {
					want, wantFails = int(j), fs
				}
			}
			got := b.nearest(r, i)
			if got == nil || got.Rule.RuleID != b.Model.Rules[want].RuleID || !slices.Equal(got.Fails, wantFails) {
				t.Fatalf("identity %s, role %s: nearest %+v, want rule %s failing %+v", snap.IdentityIDs[i], snap.Roles.IDs[r], got, b.Model.Rules[want].RuleID, wantFails)
			}
			checked++
			if want != int(b.RulesOf(r)[0]) {
				notFirst++
			}
		}
	}
	if checked == 0 || notFirst == 0 {
		t.Fatalf("%d unexplained assignments checked, %d nearest not the role's first rule: the case is not exercised", checked, notFirst)
	}
}

// TestReadModelUnreadable: a model file that is a directory or a link loop is a user
// error (exit 2) naming the file once and saying a file was expected, as for the inputs;
// a model "directory" that is a file says so.
func TestReadModelUnreadable(t *testing.T) {
	x := mineInto(t, "testdata/explain/data", "testdata/explain/mining.xml")
	for _, tc := range []struct{ name, file, want string }{
		{"directory", RulesJSONFile, "is a directory; expected a file"},
		{"link loop", SummaryJSONFile, "too many levels of symbolic links; expected a file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{RulesJSONFile, RolesJSONFile, SummaryJSONFile} {
				data, err := os.ReadFile(filepath.Join(x.out, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, tc.file)
			os.Remove(path)
			var err error
			if tc.name == "directory" {
				err = os.Mkdir(path, 0o755)
			} else {
				err = os.Symlink(tc.file, path)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = ReadModel(dir)
			if err == nil || !uerr.Is(err) || err.Error() != path+": "+tc.want {
				t.Fatalf("ReadModel = %v, want the user error %q", err, path+": "+tc.want)
			}
		})
	}
	file := filepath.Join(t.TempDir(), "model")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := "model " + file + ": a file, not a directory (expected the output directory of `rolemine mine`)"
	if _, err := ReadModel(file); err == nil || !uerr.Is(err) || err.Error() != want {
		t.Fatalf("ReadModel of a file = %v, want the user error %q", err, want)
	}
}
