package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/outdir"
	"github.com/rolemine/rolemine/internal/plugins"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// pluginRecords returns summary.json's record of the started plugins ps, in the order
// they ran (docs/plugins.md#model-record); nil when none ran.
func pluginRecords(ps []*plugins.Plugin) []model.PluginRecord {
	var recs []model.PluginRecord
	for _, p := range ps {
		m := p.Manifest()
		rec := model.PluginRecord{File: filepath.Base(p.Spec().Path), SHA256: p.Digest(), Name: m.Name,
			Version: m.Version, Inputs: slices.Sorted(slices.Values(m.Inputs)), Outputs: slices.Sorted(slices.Values(m.Outputs))}
		if c := p.Spec().Config; c != nil {
			sum := sha256.Sum256(c)
			rec.ConfigSHA256 = hex.EncodeToString(sum[:])
		}
		recs = append(recs, rec)
	}
	return recs
}

// summaryFileOf names the summary.json of the model at location (a directory or an
// object-storage URL, as given) in messages.
func summaryFileOf(location string) string {
	name := locationName(location)
	if outdir.IsURL(name) {
		return strings.TrimSuffix(name, "/") + "/" + report.SummaryJSONFile
	}
	return filepath.Join(name, report.SummaryJSONFile)
}

// pluginUse is how the plugins given to a command stand against one plugin a model
// recorded: the given plugin deriving the same attributes, if any, and which of the
// recorded plugin's outputs the model's rules use, with the first rule using each.
type pluginUse struct {
	rec   *model.PluginRecord
	given *model.PluginRecord
	used  []string // outputs some rule uses, in byte order
	rule  map[string]model.Rule
	// upstream, when set, is an earlier recorded plugin that is changed (changed) and
	// derives the attribute via, which this one reads: its values change with it.
	upstream *pluginUse
	via      string
}

// changed says whether the plugin's values may differ from the model's: it is not given,
// is given as another build, or reads an attribute of a changed plugin.
func (u *pluginUse) changed() bool {
	return u.given == nil || u.given.SHA256 != u.rec.SHA256 || u.upstream != nil
}

// findUpstream sets each use's upstream: the first changed earlier plugin deriving one
// of its inputs (plugins run in order, so a plugin reads only earlier ones' outputs).
func findUpstream(uses []pluginUse) {
	for k := range uses {
		for _, in := range uses[k].rec.Inputs {
			for j := range uses[:k] {
				if uses[k].upstream == nil && uses[j].changed() && slices.Contains(uses[j].rec.Outputs, in) {
					uses[k].upstream, uses[k].via = &uses[j], in
				}
			}
		}
	}
}

// modelPluginUses pairs every plugin the model recorded with the given plugin that
// derives any of its outputs, and finds the outputs the rules use.
func modelPluginUses(recorded, given []model.PluginRecord, rules []model.Rule) []pluginUse {
	firstRule := map[string]model.Rule{}
	for _, r := range rules {
		for _, t := range r.Criteria {
			if _, ok := firstRule[t.Attribute]; !ok {
				firstRule[t.Attribute] = r
			}
		}
	}
	uses := make([]pluginUse, len(recorded))
	for k := range recorded {
		u := &uses[k]
		u.rec, u.rule = &recorded[k], map[string]model.Rule{}
		for _, o := range u.rec.Outputs {
			if r, ok := firstRule[o]; ok {
				u.used = append(u.used, o)
				u.rule[o] = r
			}
			for g := range given {
				if u.given == nil && slices.Contains(given[g].Outputs, o) {
					u.given = &given[g]
				}
			}
		}
	}
	findUpstream(uses)
	return uses
}

// checkModelPlugins compares the plugins a command was given with the ones the model
// recorded in summaryFile (docs/plugins.md#model-record). A rule on an output of a
// recorded plugin that is not given, or is given as another build (another SHA-256), is a
// user error naming the file, the attribute, the rule and both digests: its values would
// be another plugin's. A recorded plugin whose outputs no rule uses, given as another
// build or not at all, is a warning; so is a plugin given with another configuration. A
// model written before rolemine recorded its plugins (recorded nil) is not compared.
func checkModelPlugins(cmd, summaryFile string, recorded, given []model.PluginRecord, rules []model.Rule, logger *slog.Logger) error {
	if recorded == nil {
		if len(given) > 0 {
			logger.Warn("the model records no plugins (written before rolemine recorded them): the plugins given cannot be compared with the ones it was mined with",
				"summary", summaryFile)
		}
		return nil
	}
	uses := modelPluginUses(recorded, given, rules)
	for k := range uses {
		if err := uses[k].refuse(cmd, summaryFile); err != nil {
			return err
		}
	}
	for k := range uses {
		uses[k].warn(summaryFile, logger)
	}
	return nil
}

// refuse is checkModelPlugins's error for one recorded plugin: one of its outputs that a
// rule uses may have other values now (changed); nil otherwise.
func (u *pluginUse) refuse(cmd, summaryFile string) error {
	rec, g := u.rec, u.given
	same := g != nil && g.SHA256 == rec.SHA256
	if u.changed() && len(u.used) > 0 {
		o := u.used[0]
		r := u.rule[o]
		mined := fmt.Sprintf("%s: rule %s (role %s) uses attribute %q, which plugin %s (%s, sha256 %s) derived when the model was mined",
			summaryFile, r.RuleID, r.RoleID, o, rec.Name, rec.File, rec.SHA256)
		switch up := u.upstream; {
		case g == nil:
			return uerr.New("%s: %s; no plugin given derives it: give the same --plugin flags as mine, --plugin %s (sha256 %s)", cmd, mined, rec.File, rec.SHA256)
		case same:
			return uerr.New("%s: %s, from attribute %q of plugin %s (%s, sha256 %s), which %s: give --plugin %s with sha256 %s",
				cmd, mined, u.via, up.rec.Name, up.rec.File, up.rec.SHA256, up.givenAs(), up.rec.File, up.rec.SHA256)
		}
		return uerr.New("%s: %s; the plugin given, %s (%s), is another build (sha256 %s), whose values the rules were not mined on: give --plugin %s with sha256 %s",
			cmd, mined, g.Name, g.File, g.SHA256, rec.File, rec.SHA256)
	}
	return nil
}

// warn is checkModelPlugins's warning for one recorded plugin that refuse let pass: not
// given, given as another build, or given with another configuration.
func (u *pluginUse) warn(summaryFile string, logger *slog.Logger) {
	rec, g := u.rec, u.given
	same := g != nil && g.SHA256 == rec.SHA256
	switch {
	case g == nil:
		logger.Warn("a plugin the model was mined with is not given; no rule uses its outputs", "summary", summaryFile,
			"plugin", rec.Name, "file", rec.File, "sha256", rec.SHA256, "outputs", strings.Join(rec.Outputs, ","))
	case !same:
		logger.Warn("a plugin is given as another build than the model was mined with; no rule uses its outputs", "summary", summaryFile,
			"plugin", rec.Name, "file", g.File, "sha256", g.SHA256, "mined_sha256", rec.SHA256, "outputs", strings.Join(rec.Outputs, ","))
	case g.ConfigSHA256 != rec.ConfigSHA256:
		logger.Warn("a plugin is given with another configuration than the model was mined with: its values may differ", "summary", summaryFile,
			"plugin", rec.Name, "file", g.File, "config_sha256", configDigest(g.ConfigSHA256), "mined_config_sha256", configDigest(rec.ConfigSHA256))
	}
}

// givenAs says how a changed plugin is given, for a message about a plugin reading its
// attributes.
func (u *pluginUse) givenAs() string {
	switch {
	case u.given == nil:
		return "is not given"
	case u.given.SHA256 != u.rec.SHA256:
		return fmt.Sprintf("is given as another build (%s, sha256 %s)", u.given.File, u.given.SHA256)
	}
	return fmt.Sprintf("reads attribute %q of plugin %s, which %s", u.via, u.upstream.rec.Name, u.upstream.givenAs())
}

// configDigest names a configuration's digest in a warning, "none" without one.
func configDigest(d string) string {
	if d == "" {
		return "none"
	}
	return d
}
