package mining

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/effective"
	"github.com/rolemine/rolemine/internal/kernels/cpu"
	"github.com/rolemine/rolemine/internal/spectest"
	"github.com/rolemine/rolemine/internal/uerr"
)

// TestEffectiveWorked runs the worked examples of effective privilege
// (docs/effective-privilege.md) in testdata/effective through the real loader. Commands:
//
//	load
//	identities.csv:        (then the file's lines; any input file of the data directory)
//	identity_id,kind,dept
//	...
//	----
//	what was loaded: counts, orphans (with their accounts), findings; or the user error
//
//	mine
//	<mining.xml content>
//	----
//	the rules per role (as in testdata/worked), then every effective pair:
//	IDENTITY ROLE STATUS [direct|redundant|inherited via CHAIN] [hidden] [account SYSTEM/ID]
//	and the suggestions: IDENTITY ROLE suggested
func TestEffectiveWorked(t *testing.T) {
	datadriven.Walk(t, "testdata/effective", func(t *testing.T, path string) {
		var snap *columnar.Snapshot
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "load":
				dir := t.TempDir()
				writeDataFiles(t, dir, td.Input)
				s, err := columnar.Load(context.Background(), dir, columnar.LoadOptions{})
				if err != nil {
					snap = nil
					return fmt.Sprintf("user error: %v\n%v\n", uerr.Is(err), strings.ReplaceAll(err.Error(), dir, "DIR"))
				}
				snap = s
				return describeUniverse(s)
			case "mine":
				if snap == nil {
					td.Fatalf(t, "mine before a successful load")
				}
				cfg, err := ParseConfig("mining.xml", []byte(td.Input+"\n"))
				if err != nil {
					td.Fatalf(t, "%v", err)
				}
				return spectest.Patterns(td.Expected, mineEffective(t, snap, cfg))
			default:
				td.Fatalf(t, "unknown command %q", td.Cmd)
				return ""
			}
		})
	})
}

// writeDataFiles writes the `NAME.csv:` sections of input into dir.
func writeDataFiles(t *testing.T, dir, input string) {
	files := map[string][]string{}
	var order []string
	cur := ""
	for _, line := range strings.Split(input, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if name, ok := strings.CutSuffix(strings.TrimSpace(line), ".csv:"); ok && !strings.Contains(name, ",") {
			cur = name + ".csv"
			order = append(order, cur)
			continue
		}
		if cur == "" {
			if strings.TrimSpace(line) != "" {
				t.Fatalf("line %q outside a NAME.csv: section", line)
			}
			continue
		}
		files[cur] = append(files[cur], line)
	}
	for _, name := range order {
		body := strings.TrimRight(strings.Join(files[name], "\n"), "\n") + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// describeUniverse summarises a loaded snapshot with its optional inputs.
func describeUniverse(s *columnar.Snapshot) string {
	var b strings.Builder
	b.WriteString(describeSnapshot(s))
	for _, o := range s.Orphans {
		fmt.Fprintf(&b, "orphan %q %s", o.IdentityID, s.Roles.IDs[o.Role])
		if o.AccountID != "" {
			fmt.Fprintf(&b, " account %s/%s", o.System, o.AccountID)
		}
		b.WriteString("\n")
	}
	for _, d := range s.Dims {
		if d.MultiOff != nil {
			fmt.Fprintf(&b, "multi-valued %s:", d.Name)
			for i := range s.IdentityIDs {
				var vs []string
				for _, c := range append([]int32{d.Codes[i]}, d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]]...) {
					if c >= 0 {
						vs = append(vs, d.Values[c])
					}
				}
				if len(vs) > 0 {
					fmt.Fprintf(&b, " %s=%s", s.IdentityIDs[i], strings.Join(vs, "|"))
				}
			}
			b.WriteString("\n")
		}
	}
	for _, sd := range s.Findings.SkippedDimensions {
		fmt.Fprintf(&b, "skipped at load: %s (%s)\n", sd.Name, sd.Reason)
	}
	if u := s.Universe; u != nil {
		if u.Accounts != nil {
			fmt.Fprintf(&b, "accounts: %d in %s\n", u.Accounts.Len(), strings.Join(u.Accounts.Systems, ", "))
		}
		for _, g := range u.Grants {
			fmt.Fprintf(&b, "grant %s > %s\n", s.Roles.IDs[g.From], s.Roles.IDs[g.To])
		}
		for i, o := range u.Owners {
			if o != "" {
				fmt.Fprintf(&b, "owner of %s: %s\n", s.IdentityIDs[i], o)
			}
		}
		f := u.Findings
		fmt.Fprintf(&b, "findings: uncorrelated_accounts=%d accounts_of_unknown_identities=%d unknown_account_assignments=%d implicit_grant_roles=%d attribute_rows_of_unknown_identities=%d %v duplicate_attribute_values=%d\n",
			f.UncorrelatedAccounts, f.AccountsOfUnknownIdentities, f.UnknownAccountAssignments, f.ImplicitGrantRoles,
			f.AttributeRowsOfUnknownIdentities, f.UnknownAttributeIdentities, f.DuplicateAttributeValues)
	}
	return b.String()
}

// mineEffective mines snap and prints the rules, every effective pair and the suggestions.
func mineEffective(t *testing.T, snap *columnar.Snapshot, cfg *Config) string {
	ctx := context.Background()
	eff, err := EffectiveOf(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Run(ctx, snap, cfg, Options{Backend: cpu.New(), Workers: 2, Effective: eff})
	if err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	var b strings.Builder
	b.WriteString(formatWorked(snap, m, nil))
	for k, sk := range m.SkippedDims {
		if len(sk) > 0 {
			fmt.Fprintf(&b, "mining rule %d skips %s\n", k, strings.Join(sk, ", "))
		}
	}
	cls := Classify(snap, m)
	if eff == nil {
		for i := range snap.IdentityIDs {
			for p, r := range snap.RolesOf(i) {
				k := snap.IdentOff[i] + int64(p)
				fmt.Fprintf(&b, "%s %s %s direct%s\n", snap.IdentityIDs[i], snap.Roles.IDs[r], cls.Status(int(k)), pairAccount(snap, k))
			}
		}
	} else {
		for _, cy := range eff.Cycles {
			var names []string
			for _, r := range cy {
				names = append(names, snap.Roles.IDs[r])
			}
			fmt.Fprintf(&b, "grant cycle: %s\n", strings.Join(names, " "))
		}
		ec, err := ClassifyEffective(ctx, snap, m, cls, eff)
		if err != nil {
			t.Fatal(err)
		}
		p := eff.Pairs
		for i := range snap.IdentityIDs {
			lo, hi := p.Of(i)
			for k := lo; k < hi; k++ {
				r := p.Role[k]
				fmt.Fprintf(&b, "%s %s %s", snap.IdentityIDs[i], snap.Roles.IDs[r], ec.StatusAt(k))
				switch p.KindAt(k) {
				case effective.Direct:
					b.WriteString(" direct")
				case effective.Redundant:
					b.WriteString(" redundant")
				default:
					fmt.Fprintf(&b, " inherited via %s", eff.Closure.ViaString(p.SourceAt(k), r, snap.Roles.IDs))
				}
				if ec.HiddenAt(k) {
					b.WriteString(" hidden")
				}
				if p.KindAt(k) != effective.Inherited {
					d, _ := findDirect(snap, i, r)
					b.WriteString(pairAccount(snap, d))
				}
				b.WriteString("\n")
			}
		}
	}
	for _, sg := range cls.Suggestions {
		fmt.Fprintf(&b, "%s %s suggested\n", snap.IdentityIDs[sg.Identity], snap.Roles.IDs[sg.Role])
	}
	return b.String()
}

// findDirect returns the CSR-by-identity position of identity i's direct pair of role r.
func findDirect(snap *columnar.Snapshot, i int, r int32) (int64, bool) {
	for p, x := range snap.RolesOf(i) {
		if x == r {
			return snap.IdentOff[i] + int64(p), true
		}
	}
	return -1, false
}

// pairAccount renders the account of the k-th direct pair, if any.
func pairAccount(snap *columnar.Snapshot, k int64) string {
	u := snap.Universe
	if u == nil || u.PairAccount == nil || k < 0 || u.PairAccount[k] < 0 {
		return ""
	}
	a := u.Accounts
	x := u.PairAccount[k]
	return fmt.Sprintf(" account %s/%s", a.Systems[a.System[x]], a.ID[x])
}
