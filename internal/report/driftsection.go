package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	ondisk "github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/uerr"
)

// The drift files this section reads (written by `rolemine drift`; their schema is
// declared once, in package model).
const (
	driftSummaryFile = ondisk.DriftSummaryFile
	driftHealthFile  = ondisk.DriftHealthFile
	driftFormat      = ondisk.DriftSummaryFormat
	healthFormat     = ondisk.DriftHealthFormat
	// driftRulesShown is how many degraded rules the section lists.
	driftRulesShown = 25
)

// Drift is what the report shows of a `rolemine drift` output directory.
type Drift struct {
	Dir     string
	Summary ondisk.DriftSummary
	Health  ondisk.DriftHealth
}

// LoadDrift reads a drift output directory (summary.json and rules-health.json).
func LoadDrift(dir string) (*Drift, error) {
	d := &Drift{Dir: dir}
	for _, f := range []struct {
		name, format string
		into         any
		got          *string
	}{
		{driftSummaryFile, driftFormat, &d.Summary, &d.Summary.Format},
		{driftHealthFile, healthFormat, &d.Health, &d.Health.Format},
	} {
		path := filepath.Join(dir, f.name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, uerr.WrapInput(fmt.Errorf("read drift output %s: %w", path, err))
		}
		if err := json.Unmarshal(b, f.into); err != nil {
			return nil, uerr.New("%s: %w", path, err)
		}
		if *f.got != f.format {
			return nil, uerr.New("%s: format %q, expected %q (a rolemine drift output directory)", path, *f.got, f.format)
		}
	}
	return d, nil
}

// driftBaseActions are the action types the drift section always lists, and
// driftExtraActions those it lists when the drift run wrote some (remediation.csv's
// remove-redundant, revoke-unused and reassign-owner: docs/excess-privilege.md#drift),
// in the order `rolemine drift` prints them. The names are drift's (package drift
// imports this one, so they are spelled here).
var (
	driftBaseActions  = []string{"grant", "suggest", "revoke-candidate", "orphan"}
	driftExtraActions = []string{"remove-redundant", "revoke-unused", "reassign-owner"}
)

// actionTotal returns the total of one action type, 0 when the summary has none (or null).
func actionTotal(counts map[string]*ondisk.ActionCount, name string) int64 {
	if a := counts[name]; a != nil {
		return int64(a.Total)
	}
	return 0
}

// driftActionRows returns the action types of the section's table: the base ones, then
// the extra ones counted in the summary, then any other type it counts, by name, so that
// every action of remediation.csv has its row.
func driftActionRows(counts map[string]*ondisk.ActionCount) []string {
	rows := slices.Clone(driftBaseActions)
	for _, name := range driftExtraActions {
		if counts[name] != nil {
			rows = append(rows, name)
		}
	}
	var other []string
	for name := range counts {
		if !slices.Contains(rows, name) {
			other = append(other, name)
		}
	}
	slices.Sort(other)
	return append(rows, other...)
}

// writeDrift writes the drift section: remediation actions by identity kind, the share
// of access needing no action, and the rules whose bounds now fail.
func writeDrift(h *htmlWriter, d *Drift) {
	s := &d.Summary
	h.WriteString(`<section id="drift"><h2>Drift against a new snapshot</h2>`)
	h.f(`<p>From <code>%s</code> (data <code>%s</code>): %s of %s assignments (%s, orphans included in the total) need no action: the model explains them`,
		esc(d.Dir), esc(s.Data), fmtInt(s.Assignments.NoAction), fmtInt(s.Assignments.Total), fmtPct(s.Assignments.NoActionPct))
	if actionTotal(s.Actions, "remove-redundant")+actionTotal(s.Actions, "revoke-unused") > 0 {
		h.WriteString(` (a <code>remove-redundant</code> or <code>revoke-unused</code> action below may still concern one of them: it is held twice, or unused)`)
	}
	h.f(`; %s assignments are newly unexplained; %s of %s rules are degraded (a bound fails on the new data).`,
		fmtInt(s.Assignments.New), fmtInt(int64(s.Rules.Degraded)), fmtInt(int64(s.Rules.Total)))
	if !s.ChangesNamed {
		h.WriteString(` Attribute changes behind revoke candidates are not named: the drift run had no previous snapshot.`)
	}
	h.WriteString(`</p>`)
	kindSet := map[string]bool{}
	for _, a := range s.Actions {
		if a == nil {
			continue // null in the file: no actions, as below
		}
		for k := range a.ByKind {
			kindSet[k] = true
		}
	}
	kinds := make([]string, 0, len(kindSet))
	for k := range kindSet {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	actions := driftActionRows(s.Actions)
	h.WriteString(`<div class="tw"><table><thead><tr><th>action</th><th class="r">total</th>`)
	for _, k := range kinds {
		h.f(`<th class="r">%s</th>`, esc(k))
	}
	h.WriteString(`</tr></thead><tbody>`)
	for _, name := range actions {
		a := s.Actions[name]
		if a == nil {
			a = &ondisk.ActionCount{}
		}
		h.f(`<tr><td>%s</td>`, esc(name))
		h.tdNum("", a.Total)
		for _, k := range kinds {
			h.tdNum("", a.ByKind[k])
		}
		h.WriteString(`</tr>`)
	}
	h.WriteString(`</tbody></table></div>`)
	var degraded []int
	for k, r := range d.Health.Rules {
		if r.Degraded {
			degraded = append(degraded, k)
		}
	}
	if len(degraded) == 0 {
		h.WriteString(`<p>No rule is degraded.</p></section>`)
		return
	}
	h.f(`<h3>Degraded rules (%s, largest first)</h3>`, fmtInt(int64(len(degraded))))
	slices.SortStableFunc(degraded, func(a, b int) int {
		return int(d.Health.Rules[b].Support - d.Health.Rules[a].Support)
	})
	if len(degraded) > driftRulesShown {
		degraded = degraded[:driftRulesShown]
	}
	h.WriteString(`<div class="tw"><table><thead><tr><th>role</th><th>criterion</th><th class="r">support</th><th class="r">tp</th><th class="r">fp %</th><th>failing bounds</th></tr></thead><tbody>`)
	for _, k := range degraded {
		r := &d.Health.Rules[k]
		h.f(`<tr><td>%s</td><td>%s</td>`, esc(r.RoleID), esc(r.Criterion))
		h.tdNum("", r.Support)
		h.tdNum("", r.TP)
		h.tdPct("", r.FalsePositivePct)
		h.f(`<td>%s</td></tr>`, esc(strings.Join(r.Failures, "; ")))
	}
	h.WriteString(`</tbody></table></div></section>`)
}
