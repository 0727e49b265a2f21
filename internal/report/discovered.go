package report

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/discover"
	"github.com/rolemine/rolemine/internal/uerr"
)

// discoveredShown is how many discovered roles the report's table lists.
const discoveredShown = 30

// LoadDiscovered reads dir/discovered.json (written by `rolemine discover --out dir`) for
// the report's discovery section, when it was discovered from the data whose fingerprint
// is given (DataFingerprint). A missing file is not an error: it returns nil. So is a
// file discovered from other data (or not saying from which), left in the directory by
// an earlier run: it returns nil and logs a warning, since its figures would not belong
// to the report.
func LoadDiscovered(dir, fingerprint string, logger *slog.Logger) (*discover.Document, error) {
	path := filepath.Join(dir, discover.FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, readError(path, err)
	}
	doc := &discover.Document{}
	if err := json.Unmarshal(b, doc); err != nil {
		return nil, uerr.New("%s: %w", path, err)
	}
	if doc.Format != discover.Format {
		return nil, uerr.New("%s: format %q, expected %q", path, doc.Format, discover.Format)
	}
	if doc.DataFingerprint != fingerprint {
		if logger != nil {
			logger.Warn("not in the report: discovered from other data", "file", path)
		}
		return nil, nil
	}
	return doc, nil
}

// writeDiscovered writes the short "Discovered roles" section: the run's figures and the
// largest discovered roles with the criterion that describes their members.
func writeDiscovered(h *htmlWriter, d *discover.Document) {
	st := d.Stats
	h.WriteString(`<section id="discovered"><h2>Discovered roles</h2>`)
	h.f(`<p>From <code>discovered.json</code> (%s mode): %s roles proposed bottom-up from actual access, covering %s of %s assignments (%s); weighted structural complexity (WSC: roles + user-role links + role-entitlement links) %s`,
		esc(d.Mode), fmtInt(int64(st.Roles)), fmtInt(int64(st.CoveredAssignments)), fmtInt(int64(st.Assignments)),
		fmtPct(100*float64(st.CoveredAssignments)/float64(max(st.Assignments, 1))), fmtInt(int64(st.WSC)))
	if st.LowerBound != nil {
		h.f(`; no exact cover has fewer than %s roles (lower bound)`, fmtInt(int64(*st.LowerBound)))
	}
	flagged := 0
	for _, r := range d.Roles {
		if r.Flag != "" {
			flagged++
		}
	}
	h.f(`. %s flagged as access patterns without business meaning.</p>`, fmtInt(int64(flagged)))
	roles := slices.Clone(d.Roles)
	slices.SortStableFunc(roles, func(a, b discover.RoleOutput) int { return len(b.Identities) - len(a.Identities) })
	if len(roles) > discoveredShown {
		roles = roles[:discoveredShown]
	}
	h.f(`<div class="tw"><table><thead><tr><th>role</th><th class="r">identities</th><th class="r">entitlements</th><th>criterion</th><th class="r">precision</th><th class="r">recall</th><th>flag</th></tr></thead><tbody>`)
	for _, r := range roles {
		var crit []string
		for _, t := range r.Criterion {
			crit = append(crit, t.Attribute+"="+t.Value)
		}
		h.f(`<tr><td>%s</td>`, esc(r.RoleID))
		h.tdNum("", int64(len(r.Identities)))
		h.tdNum("", int64(len(r.Entitlements)))
		h.f(`<td>%s</td>`, esc(strings.Join(crit, " & ")))
		for _, v := range []*float64{r.CriterionPrecision, r.CriterionRecall} {
			if v == nil {
				h.WriteString(`<td class="r"></td>`)
			} else {
				h.tdPct("", 100**v)
			}
		}
		h.f(`<td>%s</td></tr>`, esc(r.Flag))
	}
	h.WriteString(`</tbody></table></div></section>`)
}
