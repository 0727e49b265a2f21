package columnar

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// loadWarnings loads dir and returns what Load warned.
func loadWarnings(t *testing.T, dir string) (*Snapshot, string) {
	t.Helper()
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := Load(context.Background(), dir, LoadOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return s, logged.String()
}

// TestLookalikesWarned: ids and values are exact, so a padded id, ids differing only in
// letter case, and a number that lost its leading zeros are other ids. Loading keeps
// them as written (the orphans, implicit roles and attribute values below) and says so
// on stderr, naming the file, the column and examples; before, such an export's access
// turned into orphans and implicit roles without a word.
func TestLookalikesWarned(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir+"/identities.csv", "identity_id,department,Department,kind\n"+
		"u1,Sales ,x,\n\"u2 \",Sales,x,human \nu3,IT,x,\nU3,IT,x,\n00123,IT,x,bot\nu0000009,IT,x,\"bot \"\n")
	mustWrite(t, dir+"/roles.csv", "role_id\nVPN\nCRM\n")
	mustWrite(t, dir+"/assignments.csv", "identity_id,role_id\n"+
		" u1,VPN\n123,VPN\nu2,VPN\nU1,CRM\nu1,vpn\nu3,\"CRM \"\nghost,VPN\nu0000009,CRM\n\" \",VPN\n")
	s, got := loadWarnings(t, dir)
	if s.Findings.OrphanAssignments != 6 || s.Findings.ImplicitRoles != 2 {
		t.Errorf("ids were not kept as written: %+v", s.Findings)
	}
	wantWarnings(t, got, 10,
		`msg="an identity id starts or ends with white space, kept as written (ids and values are exact)" file=identities.csv column=identity_id count=1 examples="\"u2 \""`,
		`attribute=department count=1 examples="\"Sales \""`,
		`attribute=kind count=1 examples="\"bot \""`,
		`msg="an orphan identity id starts or ends with white space, kept as written (ids and values are exact)" column=identity_id count=2 examples="\" \", \" u1\""`,
		`kind="human "`,
		`msg="a role id starts or ends with white space, kept as written (ids and values are exact)" column=role_id count=1 examples="\"CRM \""`,
		`examples="\"department\" for \"Department\""`,
		`file=identities.csv column=identity_id count=1 examples="\"U3\" for \"u3\""`,
		`file=assignments.csv column=identity_id count=4 examples="\" u1\" for \"u1\", \"123\" for \"00123\", \"U1\" for \"u1\""`,
		`file=roles.csv column=role_id count=2 examples="\"CRM \" for \"CRM\", \"vpn\" for \"VPN\""`)
}

// TestLookalikeOwnersWarned: an owner_id that is an identity's id but for letter case or
// padding names no identity (the non-human identity's owner is absent), with a warning;
// an exact owner gets none.
func TestLookalikeOwnersWarned(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir+"/identities.csv", "identity_id,kind,owner_id\nalice,,\nbob,,\nsvc1,bot,Alice\nsvc2,bot,bob\nsvc3,bot,carol\n")
	mustWrite(t, dir+"/assignments.csv", "identity_id,role_id\nsvc1,R\n")
	_, got := loadWarnings(t, dir)
	want := `file=identities.csv column=owner_id count=1 examples="\"Alice\" for \"alice\""`
	if !strings.Contains(got, want) || strings.Count(got, "level=WARN") != 1 {
		t.Errorf("warnings, want one with %s:\n%s", want, got)
	}
}

// TestLookalikeAttributeIdentitiesWarned: rows of the attributes file for "U1" or "u2 "
// are ignored (no such identity), with a warning naming the identity they resemble.
func TestLookalikeAttributeIdentitiesWarned(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir+"/identities.csv", "identity_id\nu1\nu2\n")
	mustWrite(t, dir+"/assignments.csv", "identity_id,role_id\nu1,R\n")
	mustWrite(t, dir+"/attributes.csv", "identity_id,attribute,value\nU1,project,a\nu2 ,project,b\nzz,project,c\nu1,project,d\n")
	s, got := loadWarnings(t, dir)
	if s.Universe.Findings.AttributeRowsOfUnknownIdentities != 3 {
		t.Errorf("rows of unknown identities %d, want 3", s.Universe.Findings.AttributeRowsOfUnknownIdentities)
	}
	want := `file=attributes.csv column=identity_id count=2 examples="\"U1\" for \"u1\", \"u2 \" for \"u2\""`
	if !strings.Contains(got, "these identities of the attributes file") || !strings.Contains(got, want) {
		t.Errorf("warnings lack %s:\n%s", want, got)
	}
}

// TestLookalikeAccountsWarned: an assignment naming an account absent from accounts but
// for letter case or padding ("CN=U3" for "cn=u3", a system "AD " in accounts) is orphan
// access, with a warning; a padded system is named too.
func TestLookalikeAccountsWarned(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir+"/identities.csv", "identity_id\nu1\nu2\nu3\n")
	mustWrite(t, dir+"/accounts.csv", "system,account_id,identity_id\nAD,cn=u1,u1\nAD ,cn=u2,u2\nAD,cn=u3,u3\n")
	mustWrite(t, dir+"/assignments.csv", "system,account_id,role_id\nAD,CN=U1,R\nAD,cn=u2,R\nAD,cn=u3,R\nAD,cn=zz,R\n")
	s, got := loadWarnings(t, dir)
	if s.Findings.OrphanAssignments != 3 {
		t.Errorf("orphans %d, want 3", s.Findings.OrphanAssignments)
	}
	wantWarnings(t, got, 2,
		`msg="a system starts or ends with white space, kept as written (ids and values are exact)" column=system count=1 examples="\"AD \""`,
		`file=accounts.csv columns="system, account_id" count=2 examples="\"AD/CN=U1\" for \"AD/cn=u1\", \"AD/cn=u2\" for \"AD /cn=u2\""`)
}

// TestLookalikesQuietOnCleanData: data with none of these respellings (ids of one case,
// padded numbers of one width, orphans unlike any identity) gets no lookalike warning.
func TestLookalikesQuietOnCleanData(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir+"/identities.csv", "identity_id,department\nU0001,Sales\nU0002,IT\n00017,IT\nsvc-A,IT\n")
	mustWrite(t, dir+"/roles.csv", "role_id\nVPN\nvpn-admin\n")
	mustWrite(t, dir+"/assignments.csv", "identity_id,role_id\nU0001,VPN\nU0003,VPN\n00017,vpn-admin\nsvc-A,GIT\n")
	if _, got := loadWarnings(t, dir); got != "" {
		t.Errorf("warnings on clean data:\n%s", got)
	}
}

// TestLookalikeKey pins the folding (padding, letter case and a number's leading zeros)
// and that keyHash hashes the key, saying whether the id is in its key's form.
func TestLookalikeKey(t *testing.T) {
	for in, want := range map[string]string{
		"u1": "u1", " U1\t": "u1", "00123": "123", "0": "0", "000": "0", "0x1F": "0x1f",
		"\u00a0id": "id", "u0000001": "u0000001", "": "", "Émile ": "émile", "ID\t": "id",
	} {
		if got := lookalikeKey(in); got != want {
			t.Errorf("lookalikeKey(%q) = %q, want %q", in, got, want)
		}
		h, keyForm := keyHash(in)
		if wantH, _ := keyHash(want); h != wantH || keyForm != (in == want) {
			t.Errorf("keyHash(%q) = %x, %v; want %x (the hash of %q), %v", in, h, keyForm, wantH, want, in == want)
		}
	}
}

// TestKeyHashAgreesWithKey: on random ids of spaces, digits, letters of both cases and a
// few non-ASCII runes, keyHash is the hash of lookalikeKey, says whether the id is in its
// key's form, and lookalikeKey is idempotent.
func TestKeyHashAgreesWithKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{' ', '\t', '0', '0', '1', '9', 'a', 'A', 'z', 'Z', '-', '\u00a0', 'É', 'é'}
	for range 20000 {
		r := make([]rune, rng.IntN(6))
		for k := range r {
			r[k] = alphabet[rng.IntN(len(alphabet))]
		}
		id := string(r)
		k := lookalikeKey(id)
		h, keyForm := keyHash(id)
		if wantH, _ := keyHash(k); h != wantH || keyForm != (k == id) || lookalikeKey(k) != k {
			t.Fatalf("%q: key %q, keyHash %x %v; the key's hash %x, its key %q", id, k, h, keyForm, wantH, lookalikeKey(k))
		}
	}
}

// TestPaddedAgreesWithUnicode: padded's ASCII shortcut says what unicode.IsSpace says of
// the first and last runes, for every pair of ASCII bytes and a few non-ASCII spaces.
func TestPaddedAgreesWithUnicode(t *testing.T) {
	for a := 0; a < utf8.RuneSelf; a++ {
		for _, s := range []string{string(rune(a)), string(rune(a)) + "x", "x" + string(rune(a)), string(rune(a)) + "é"} {
			first, _ := utf8.DecodeRuneInString(s)
			last, _ := utf8.DecodeLastRuneInString(s)
			if want := unicode.IsSpace(first) || unicode.IsSpace(last); padded(s) != want {
				t.Errorf("padded(%q) = %v, want %v", s, padded(s), want)
			}
		}
	}
	for _, s := range []string{"\u00a0u1", "u1\u00a0", "\u2003", "u1\u3000"} {
		if !padded(s) {
			t.Errorf("padded(%q) = false, want true", s)
		}
	}
}

// TestLookalikeApplicationsWarned: a role's application is its system
// (docs/effective-privilege.md), so one spelt like a system of accounts but for letter
// case or padding ("aws" for "AWS") is another system: the role's pairs granted on the
// identity alone, its inherited pairs and its suggestions go under it, apart from the
// grants made through its accounts, with a warning; an application no account's system
// resembles ("DB") and one spelt exactly get none. Found by the semantic audit (a cloud
// export whose roles file wrote aws): summary.json split AWS in two without a word.
func TestLookalikeApplicationsWarned(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir+"/identities.csv", "identity_id\nu1\nu2\n")
	mustWrite(t, dir+"/roles.csv", "role_id,application\nR,aws\nS,AWS\nT,DB\nU, Sap\nV,aws\n")
	mustWrite(t, dir+"/accounts.csv", "system,account_id,identity_id\nAWS,1,u1\nSAP,u2,u2\n")
	mustWrite(t, dir+"/assignments.csv", "system,account_id,role_id\nAWS,1,R\nSAP,u2,U\n")
	_, got := loadWarnings(t, dir)
	want := `file=roles.csv column=application count=2 examples="\" Sap\" for \"SAP\", \"aws\" for \"AWS\""`
	if !strings.Contains(got, "these applications of roles are no system of accounts") || !strings.Contains(got, want) {
		t.Errorf("warnings lack %s:\n%s", want, got)
	}
}

// TestLookalikeSystemsWarned: systems of the accounts file that differ only in letter
// case or padding ("azure" beside "AZURE", two exports of one directory) are two systems,
// counted apart in summary.json's systems, with a warning. Found by the semantic audit
// (hand-built cloud export): nothing was said.
func TestLookalikeSystemsWarned(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir+"/identities.csv", "identity_id\nu1\nu2\n")
	mustWrite(t, dir+"/accounts.csv", "system,account_id,identity_id\nAZURE,a1,u1\nazure,a2,u2\nAWS,1,u1\n")
	mustWrite(t, dir+"/assignments.csv", "system,account_id,role_id\nAZURE,a1,R\nazure,a2,R\n")
	_, got := loadWarnings(t, dir)
	want := `file=accounts.csv column=system count=1 examples="\"azure\" for \"AZURE\""`
	if !strings.Contains(got, "these systems of accounts differ only in letter case") || !strings.Contains(got, want) {
		t.Errorf("warnings lack %s:\n%s", want, got)
	}
}

// wantWarnings fails t unless the log got holds every one of wants and n warnings.
func wantWarnings(t *testing.T, got string, n int, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %s:\n%s", want, got)
		}
	}
	if c := strings.Count(got, "level=WARN"); c != n {
		t.Errorf("%d warnings, want %d:\n%s", c, n, got)
	}
}
