package pipeline

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/shard"
	"github.com/rolemine/rolemine/internal/uerr"
)

// defaultGrace is --grace's default: a percentage of a role's in-scope holders
// (docs/semantics.md#stability-grace). A month of nights at tier S kept every rule from
// flapping at 5 and let two flap at 1 (RATIONALE.md).
const defaultGrace = 5.0

// loadPrevious reads the previous output directory's rules.json into the miner's
// stability input and the churn baseline, with a fingerprint of both and of grace (which
// the shards of one run must share; checked by MineFlags.checkConfigured).
//
// A previous rule on an attribute derived by a plugin the run lacks, or has as another
// build, is stale (stalePluginOutputs): it cannot be kept, and the role is mined afresh.
func loadPrevious(dir, given string, grace float64, plugins []model.PluginRecord, logger *slog.Logger) (*mining.Previous, []drift.ChurnRule, string, error) {
	m, err := report.ReadModel(dir)
	if err != nil {
		return nil, nil, "", uerr.New("mine: --previous: %w", err)
	}
	stale := stalePluginOutputs(summaryFileOf(given), m, plugins, logger)
	prev := &mining.Previous{Rules: map[string][]mining.PreviousRule{}, Grace: grace}
	churn := make([]drift.ChurnRule, 0, len(m.Rules))
	for _, rec := range m.Rules {
		pr := mining.PreviousRule{EntityType: rec.EntityType}
		parts := make([]string, len(rec.Criteria))
		for k, t := range rec.Criteria {
			pr.Terms = append(pr.Terms, mining.PreviousTerm{Attribute: t.Attribute, Value: t.Value})
			parts[k] = t.Attribute + "=" + t.Value
			pr.Stale = pr.Stale || stale[t.Attribute]
		}
		prev.Rules[rec.RoleID] = append(prev.Rules[rec.RoleID], pr)
		churn = append(churn, drift.ChurnRule{RuleID: rec.RuleID, RoleID: rec.RoleID, Criterion: strings.Join(parts, " & ")})
	}
	rules, err := json.Marshal(m.Rules)
	if err != nil {
		return nil, nil, "", fmt.Errorf("fingerprint --previous: %w", err)
	}
	fp := shard.Digest(fmt.Appendf(rules, "\ngrace=%v", grace))
	return prev, churn, fp, nil
}

// stalePluginOutputs returns the outputs of the plugins the previous model m recorded
// that its rules use and that the run's plugins do not derive as that model's did (no
// plugin derives them, or one of another SHA-256), warning once for each such plugin.
// A model that records no plugins has none.
func stalePluginOutputs(summaryFile string, m *report.Model, given []model.PluginRecord, logger *slog.Logger) map[string]bool {
	stale := map[string]bool{}
	if m.Summary.Plugins == nil {
		return stale
	}
	for _, u := range modelPluginUses(m.Summary.Plugins, given, m.Rules) {
		if len(u.used) == 0 || !u.changed() {
			continue
		}
		gotSum := "none"
		if u.given != nil {
			gotSum = u.given.SHA256
		}
		for _, o := range u.used {
			stale[o] = true
		}
		logger.Warn("--previous: rules of the previous model use attributes of a plugin this run does not have as that model had it; their roles are mined afresh, not kept",
			"summary", summaryFile, "plugin", u.rec.Name, "file", u.rec.File, "attributes", strings.Join(u.used, ","),
			"mined_sha256", u.rec.SHA256, "sha256", gotSum)
	}
	return stale
}

// churnRules names the rules of a freshly mined model for churn.json.
func churnRules(snap *columnar.Snapshot, m *mining.Model) []drift.ChurnRule {
	out := make([]drift.ChurnRule, len(m.Rules))
	for k := range m.Rules {
		r := &m.Rules[k]
		parts := make([]string, 0, r.Criterion.N)
		for _, t := range r.Criterion.Terms() {
			d := &snap.Dims[t.Dim]
			parts = append(parts, d.Name+"="+d.Values[t.Val])
		}
		out[k] = drift.ChurnRule{RuleID: r.ID, RoleID: snap.Roles.IDs[r.Role], Criterion: strings.Join(parts, " & ")}
	}
	return out
}

// writeChurn adds churn.json, of contents data, to the run's output set.
func writeChurn(set *columnar.OutputSet, data []byte) error {
	f, err := set.Create(drift.ChurnFile)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", drift.ChurnFile, err)
	}
	return nil
}

// closingFigures are what a run writes and prints after its outputs: churn.json's rules
// added, removed and kept against --previous (all new without it), and the direct
// assignments explained and unexplained for the closing line.
type closingFigures struct {
	churn                  *drift.Churn
	churnJSON              []byte
	explained, unexplained int
}

// startClosing makes the closing figures of a run of model and cls on a goroutine of its
// own, while the outputs are written (they depend on neither), and returns the wait for
// them: made after the outputs, they were the run's last half second or so on one core
// at the tier L universe (churn.json's indentation by json.Encoder most of it). A panic
// on the goroutine (a bug) is the wait's error (parallel.Start).
func startClosing(f *MineFlags, in *prepared, model *mining.Model, cls *mining.Classification) func() (*closingFigures, error) {
	c := &closingFigures{}
	wait := parallel.Start(nil, func() (err error) {
		c.churn = drift.ComputeChurn(f.previous, in.prevChurn, churnRules(in.snap, model), f.grace)
		if f.previous == "" {
			c.churn.Grace = 0
		}
		c.churnJSON, err = report.IndentedJSON(c.churn, " ")
		for _, r := range cls.RuleOf {
			c.unexplained += int(uint32(r) >> 31)
		}
		c.explained = len(cls.RuleOf) - c.unexplained
		return err
	})
	return func() (*closingFigures, error) {
		err := wait()
		return c, err
	}
}
