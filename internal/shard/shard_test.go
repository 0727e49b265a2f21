package shard

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/fuzzmin"
	"github.com/rolemine/rolemine/internal/uerr"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		flag, index, count string
		want               Spec
		sharded            bool
		err                string
	}{
		{flag: "", sharded: false},
		{flag: "", index: "4", sharded: false}, // an Indexed Job alone does not shard
		{flag: "0/1", want: Spec{0, 1}, sharded: true},
		{flag: "2/3", want: Spec{2, 3}, sharded: true},
		{flag: "/3", index: "1", want: Spec{1, 3}, sharded: true},
		{flag: "", index: "6", count: "7", want: Spec{6, 7}, sharded: true},
		{flag: "1/", count: "4", want: Spec{1, 4}, sharded: true},
		{flag: "1/2", index: "0", count: "9", want: Spec{1, 2}, sharded: true}, // the flag wins
		{flag: "3/3", err: "not below the shard count 3"},
		{flag: "0/0", err: "at least 1"},
		{flag: "-1/3", err: "whole number from 0"},
		{flag: "x/3", err: "whole number from 0"},
		{flag: "1/y", err: "whole number of shards"},
		{flag: "3", err: "expected I/N"},
		{flag: "/3", err: "JOB_COMPLETION_INDEX is not set"},
		{flag: "1/", err: "ROLEMINE_SHARDS is not set"},
		{flag: "", count: "3", err: "JOB_COMPLETION_INDEX is not set"},
		{flag: "", index: "3", count: "3", err: "($JOB_COMPLETION_INDEX) is not below"},
		// With "/N" the index comes from the environment, and its errors name it there.
		{flag: "/3", index: "x", err: `shard index "x" ($JOB_COMPLETION_INDEX): expected a whole number`},
		{flag: "/3", index: "3", err: "shard index 3 ($JOB_COMPLETION_INDEX) is not below"},
		{flag: "/3", index: "-1", err: "($JOB_COMPLETION_INDEX): expected a whole number from 0"},
	}
	for _, c := range cases {
		env := map[string]string{IndexEnv: c.index, CountEnv: c.count}
		got, ok, err := ParseSpec(c.flag, func(k string) string { return env[k] })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !uerr.Is(err) {
				t.Errorf("ParseSpec(%q, %q, %q): err %v, want a user error with %q", c.flag, c.index, c.count, err, c.err)
			}
			continue
		}
		if err != nil || ok != c.sharded || got != c.want {
			t.Errorf("ParseSpec(%q, %q, %q) = %v, %v, %v; want %v, %v", c.flag, c.index, c.count, got, ok, err, c.want, c.sharded)
		}
	}
}

// TestOfStable pins the role hash: changing it moves roles between shards, so shards of
// two releases would no longer merge.
func TestOfStable(t *testing.T) {
	for _, c := range []struct {
		id   string
		n    int
		want int
	}{
		// Expected values computed independently: int.from_bytes(sha256(id)[:8], "big") % n.
		{"R0001", 1, 0}, {"R0001", 3, 2}, {"R0001", 7, 2}, {"finance-approver", 3, 0}, {"finance-approver", 7, 4}, {"", 5, 2},
	} {
		if got := Of(c.id, c.n); got != c.want {
			t.Errorf("Of(%q, %d) = %d, want %d", c.id, c.n, got, c.want)
		}
	}
	counts := make([]int, 7)
	for k := range 7000 {
		counts[Of("role-"+string(rune('a'+k%26))+strings.Repeat("x", k%13)+string(rune('0'+k%10))+string(rune(k)), 7)]++
	}
	for i, c := range counts {
		if c < 700 || c > 1300 {
			t.Errorf("shard %d of 7 gets %d of 7000 roles: the hash does not spread roles", i, c)
		}
	}
}

func TestDecodeRefusesOtherDocuments(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"format":"rolemine.rules/v1","rules":[]}`, `format "rolemine.rules/v1"`},
		{`not json`, "not a shard's partial model"},
		{`{"format":"rolemine.shard/v1","shard":{"index":3,"count":3}}`, "expected an index from 0 below a count"},
		{`{"format":"rolemine.shard/v1","shard":{"index":0,"count":1},"extra":1}`, "unknown field"},
	} {
		_, err := Decode("x/shard.json", []byte(c.doc))
		if err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "x/shard.json") {
			t.Errorf("Decode(%s): %v, want a user error naming the file with %q", c.doc, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	fuzzmin.Off(f)
	var buf bytes.Buffer
	p := &Partial{Format: Format, Version: "0.1.0", Shard: Spec{1, 2}, Roles: []Outcome{{RoleID: "a", Attempts: []Attempt{{Reason: "x"}}}},
		Rules: []Rule{{ID: "r1", RoleID: "a", Criteria: []Term{{"dept", "x"}}}}}
	if err := p.Encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"rolemine.shard/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode("fuzz", data)
		if err != nil {
			if !uerr.Is(err) {
				t.Fatalf("not a user error: %v", err)
			}
			return
		}
		var out bytes.Buffer
		if err := p.Encode(&out); err != nil {
			t.Fatalf("a decoded partial does not encode: %v", err)
		}
		q, err := Decode("again", out.Bytes())
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		var again bytes.Buffer
		q.Encode(&again)
		if !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatalf("encode is not stable across a round trip")
		}
	})
}

// TestCheckRefusesOtherFlags checks that the merge refuses shards mined with different
// flags that no fingerprint covers (usage's --as-of decides what --used-only mines), and
// accepts shards that spell fingerprinted flags or the plugins' limits differently.
func TestCheckRefusesOtherFlags(t *testing.T) {
	part := func(i int, args ...string) Named {
		return Named{Name: fmt.Sprintf("s%d", i), Partial: &Partial{Shard: Spec{Index: i, Count: 2}, Args: args}}
	}
	base := []string{"--as-of=2026-06-30", "--data=/d", "--used-only=true"}
	for _, c := range []struct {
		name  string
		other []string
		err   string
	}{
		{"same", base, ""},
		{"data elsewhere, longer time limit", []string{"--as-of=2026-06-30", "--data=/mnt/d", "--plugin-timeout=20s", "--used-only=true"}, ""},
		{"as-of", []string{"--as-of=2026-01-01", "--data=/d", "--used-only=true"}, "(--as-of=2026-06-30 and --as-of=2026-01-01)"},
		{"unused-days", append(slices.Clone(base), "--unused-days=30"), "(--as-of=2026-06-30 and --as-of=2026-06-30 --unused-days=30)"},
		{"as-of left out", []string{"--data=/d", "--used-only=true"}, "(--as-of=2026-06-30 and none)"},
	} {
		_, err := Check([]Named{part(0, base...), part(1, c.other...)})
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !uerr.Is(err) || !strings.Contains(err.Error(), "different flags "+c.err)):
			t.Errorf("%s: err %v, want a user error with %q", c.name, err, c.err)
		}
	}
}

// FuzzParseSpec feeds arbitrary --shard values and environment values: ParseSpec never
// panics; an error is a user error naming where the bad value came from (--shard or the
// variable); an accepted spec has 0 <= I < N and reads back from its own I/N.
func FuzzParseSpec(f *testing.F) {
	fuzzmin.Off(f)
	for _, c := range [][3]string{
		{"0/1", "", ""}, {"2/3", "", ""}, {"/3", "1", ""}, {"", "6", "7"}, {"1/", "", "4"},
		{"3/3", "", ""}, {"-1/3", "", ""}, {"x/3", "", ""}, {"3", "", ""}, {"/3", "", ""},
		{" 1 / 2 ", "", ""}, {"+1/2", "", ""}, {"1/99999999999999999999", "", ""}, {"/", "0", "1"},
	} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, flagValue, index, count string) {
		env := map[string]string{IndexEnv: index, CountEnv: count}
		spec, ok, err := ParseSpec(flagValue, func(k string) string { return env[k] })
		if err != nil {
			msg := err.Error()
			if !uerr.Is(err) || !strings.Contains(msg, "--shard") && !strings.Contains(msg, "$"+IndexEnv) &&
				!strings.Contains(msg, IndexEnv) && !strings.Contains(msg, "$"+CountEnv) && !strings.Contains(msg, CountEnv) {
				t.Fatalf("ParseSpec(%q, %q, %q): %v, want a user error naming the source", flagValue, index, count, err)
			}
			return
		}
		if !ok {
			if flagValue != "" || count != "" {
				t.Fatalf("ParseSpec(%q, %q, %q): not sharded", flagValue, index, count)
			}
			return
		}
		if spec.Index < 0 || spec.Index >= spec.Count {
			t.Fatalf("ParseSpec(%q, %q, %q) = %v", flagValue, index, count, spec)
		}
		again, ok, err := ParseSpec(spec.String(), func(string) string { return "" })
		if err != nil || !ok || again != spec {
			t.Fatalf("%v reads back as %v, %v, %v", spec, again, ok, err)
		}
	})
}
