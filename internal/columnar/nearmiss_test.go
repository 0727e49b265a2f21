package columnar

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestNearMissColumnsWarned loads files whose optional columns are named like rolemine's
// but for letter case, spaces, hyphens or underscores ("Last Used", as a spreadsheet
// heads it, was ignored without a word), in CSV and Parquet: such a column is not the one it
// resembles ("Kind" is an attribute, every identity human), and each gets a warning
// naming the file, the column and the expected name; exact names get none.
func TestNearMissColumnsWarned(t *testing.T) {
	for _, format := range []string{"csv", "parquet"} {
		dir := t.TempDir()
		writeTable(t, dir, "identities", format, tbl{
			header: []string{"identity_id", "Kind", " owner_id", "department"},
			rows:   [][]string{{"u1", "bot", "", "Eng"}, {"u2", "", "", "Eng"}},
		})
		writeTable(t, dir, "roles", format, tbl{
			header: []string{"role_id", "Validations", "category"},
			rows:   [][]string{{"R1", "2", "c"}},
		})
		writeTable(t, dir, "assignments", format, tbl{
			header: []string{"identity_id", "role_id", "LAST_USED", "Last Used", "Account-ID", "granted_at"},
			rows:   [][]string{{"u1", "R1", "2026-01-01", "2026-01-01", "a1", "2025-01-01"}},
		})
		var logged strings.Builder
		log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
		s, err := Load(context.Background(), dir, LoadOptions{Logger: log})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if s.DimIndex("Kind") < 0 {
			t.Errorf("%s: Kind is not an attribute: %+v", format, s.Dims)
		}
		got := logged.String()
		for _, want := range []string{
			"file=identities." + format + " column=Kind expected=kind",
			`file=identities.` + format + ` column=" owner_id" expected=owner_id`,
			"file=roles." + format + " column=Validations expected=validations",
			"file=assignments." + format + " column=LAST_USED expected=last_used",
			`file=assignments.` + format + ` column="Last Used" expected=last_used`,
			"file=assignments." + format + " column=Account-ID expected=account_id",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: warnings lack %q:\n%s", format, want, got)
			}
		}
		if n := strings.Count(got, "level=WARN"); n != 6 {
			t.Errorf("%s: %d warnings, want 6:\n%s", format, n, got)
		}
	}
}

// TestHumanLikeKindsWarned: kinds are exact, so "Human" and "human " are non-human kinds;
// each gets a warning, while human and an empty kind (human) get none.
func TestHumanLikeKindsWarned(t *testing.T) {
	dir := t.TempDir()
	writeTable(t, dir, "identities", "csv", tbl{
		header: []string{"identity_id", "kind"},
		rows:   [][]string{{"u1", "Human"}, {"u2", "human "}, {"u3", "human"}, {"u4", ""}, {"s1", "bot"}},
	})
	writeTable(t, dir, "assignments", "csv", tbl{
		header: []string{"identity_id", "role_id"},
		rows:   [][]string{{"u1", "R1"}},
	})
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := Load(context.Background(), dir, LoadOptions{Logger: log}); err != nil {
		t.Fatal(err)
	}
	got := logged.String()
	for _, want := range []string{"kind=Human", `kind="human "`} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "level=WARN"); n != 2 {
		t.Errorf("%d warnings, want 2:\n%s", n, got)
	}
}

// TestNearFileNames: input file names are exact. A required file named otherwise
// (Identities.csv) is missing, and the message names the file found; an optional one
// (Roles.csv, attributes.CSV) is not read, with a warning naming it; an exact name
// gets none, and neither does a near name beside an exact one.
func TestNearFileNames(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "Identities.csv"), "identity_id\nu1\n")
	mustWrite(t, filepath.Join(dir, "assignments.csv"), "identity_id,role_id\nu1,R1\n")
	_, err := Load(context.Background(), dir, LoadOptions{})
	if want := `missing identities: expected identities.parquet or identities.csv; found ["Identities.csv"], not read`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}

	mustWrite(t, filepath.Join(dir, "identities.csv"), "identity_id\nu1\n")
	mustWrite(t, filepath.Join(dir, "Roles.csv"), "role_id,validations\nR1,2\n")
	mustWrite(t, filepath.Join(dir, "attributes.CSV"), "identity_id,attribute,value\nu1,p,x\n")
	mustWrite(t, filepath.Join(dir, "Assignments.csv"), "identity_id,role_id\nu1,R2\n")
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := Load(context.Background(), dir, LoadOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if s.Findings.ImplicitRoles != 1 {
		t.Errorf("Roles.csv was read: %d implicit roles, want 1", s.Findings.ImplicitRoles)
	}
	got := logged.String()
	for _, want := range []string{"file=Roles.csv", "file=attributes.CSV"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "level=WARN"); n != 2 {
		t.Errorf("%d warnings, want 2 (none for Identities.csv or Assignments.csv beside the exact files):\n%s", n, got)
	}
}
