package main

// Readers of the specification's pages for the tests that hold the outputs and the
// inputs to them (docspec_outputs_test.go, docspec_inputs_test.go), over
// internal/spectest's parsers. The tests parse the pages' tables, lists and backticked
// names; they never copy a page's table.

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolemine/rolemine/internal/spectest"
)

type shape = spectest.Shape

var (
	docTables  = spectest.Tables
	ticks      = spectest.Ticks
	names      = spectest.Names
	parseShape = spectest.ParseShape
	firstShape = spectest.FirstShape
)

// readDoc returns docs/NAME (or, with a slash in name, that path from the repository root).
func readDoc(t *testing.T, name string) string {
	t.Helper()
	doc, err := spectest.ReadDoc(filepath.Join("..", ".."), name)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// docSection returns the section of doc that start opens (spectest.Section).
func docSection(t *testing.T, doc, start string) string {
	t.Helper()
	sec, err := spectest.Section(doc, start)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

// fieldTable reads a two-column field table (`| field | meaning |`): each row's names,
// the shape its meaning opens with, and whether the meaning says the field is written
// "only" under some condition.
type docField struct {
	shape       shape
	conditional bool
}

func fieldTable(t *testing.T, rows [][]string) map[string]docField {
	t.Helper()
	fields := map[string]docField{}
	for _, r := range rows[1:] {
		ns := names(r[0])
		if len(ns) == 0 {
			t.Fatalf("docs: table row %q names no field", r)
		}
		for _, n := range ns {
			fields[n] = docField{shape: leadingShape(r[1]), conditional: strings.HasPrefix(r[1], "only ")}
		}
	}
	return fields
}

// leadingShape is the shape a meaning opens with (its first backticked span, when that
// is a shape), or nil.
func leadingShape(meaning string) shape {
	if !strings.HasPrefix(strings.TrimSpace(meaning), "`") {
		return nil
	}
	s := ticks(meaning)[0]
	if sh, ok := parseShape(s); ok && strings.ContainsAny(s, "{") {
		return sh
	}
	return nil
}

// keysOf returns the sorted keys of m.
func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
