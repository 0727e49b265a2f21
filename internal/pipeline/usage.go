package pipeline

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/mining"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/drift"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
	lastused "github.com/rolemine/rolemine/internal/usage"
)

// UsageFlags are --as-of and --unused-days (docs/excess-privilege.md).
type UsageFlags struct {
	asOf       string
	unusedDays int
	fs         *flag.FlagSet
}

func RegisterUsageFlags(fs *flag.FlagSet) *UsageFlags {
	u := &UsageFlags{fs: fs}
	fs.StringVar(&u.asOf, "as-of", "", "usage: the date access is judged at (RFC 3339 date or date-time; default: the newest assignments.last_used of the data)")
	fs.IntVar(&u.unusedDays, "unused-days", lastused.DefaultUnusedDays, "usage: access last used more than this many days before --as-of (or never) is unused")
	return u
}

// check validates the flags before any data is read.
func (u *UsageFlags) check(cmd string) error {
	if u.unusedDays < 0 {
		return uerr.New("%s: --unused-days %d: expected 0 or more days", cmd, u.unusedDays)
	}
	if u.asOf != "" {
		if _, err := lastused.Parse(u.asOf); err != nil {
			return uerr.New("%s: --as-of: %w", cmd, err)
		}
	}
	return nil
}

// params returns the usage parameters for snap: nil when its assignments have no
// last_used column, which is an error when a usage flag was given.
func (u *UsageFlags) params(cmd string, snap *columnar.Snapshot) (*lastused.Params, error) {
	if snap.Universe == nil || snap.Universe.LastUsed == nil {
		var given []string
		u.fs.Visit(func(f *flag.Flag) {
			if f.Name == "as-of" || f.Name == "unused-days" {
				given = append(given, "--"+f.Name)
			}
		})
		if len(given) > 0 {
			return nil, uerr.New("%s: %s given, but the assignments have no %s column; expected usage dates to judge", cmd, given[0], columnar.LastUsedColumn)
		}
		return nil, nil
	}
	p := &lastused.Params{UnusedDays: u.unusedDays}
	if u.asOf != "" {
		p.AsOf, _ = lastused.Parse(u.asOf) // checked by check
	} else {
		p.AsOf, _ = report.DefaultAsOf(snap)
	}
	return p, nil
}

// printUsage prints the usage line of the mine summary; data whose last_used column
// holds no date, judged without --as-of, has no as-of to name.
func printUsage(w io.Writer, p *lastused.Params, c lastused.Counts) {
	judged := fmt.Sprintf("as of %s, unused after %d days", lastused.Format(p.AsOf), p.UnusedDays)
	if p.AsOf == lastused.Never {
		judged = "no last_used date in the data: no as-of"
	}
	fmt.Fprintf(w, "  usage: %d used, %d unused, %d unknown (%s)\n", c.Used, c.Unused, c.Unknown, judged)
}

// printUsageQuality scores usage, ownership and the excess ranking against the usage
// truth of `rolemine gen --usage`, when truthDir has one.
func printUsageQuality(stdout io.Writer, truthDir string, in *prepared, cls *mining.Classification) error {
	tu, err := truth.LoadUsage(truthDir)
	if err != nil || tu == nil {
		return err
	}
	found := &truth.UsageFound{UsedOnly: in.usage != nil}
	if found.UsedOnly {
		for k := range cls.RuleOf {
			if cls.UnusedAt(k) {
				found.UnusedOnly++
			}
		}
	}
	var ok bool
	found.Counts, found.ByKind, found.BySystem, ok = report.UsageBreakdown(in.snap, cls, in.effInfo)
	if !ok {
		return uerr.New("mine --truth: %s has usage truth, but the data has no %s column", truthDir, columnar.LastUsedColumn)
	}
	found.AsOf, found.UnusedDays = lastused.Format(in.effInfo.Usage.AsOf), in.effInfo.Usage.UnusedDays
	if o := report.NHIOwnership(in.snap); o != nil {
		found.Owners = *o
	}
	if found.Humans, found.NonHuman, err = report.ExcessRanking(context.Background(), in.snap, cls, in.effInfo); err != nil {
		return err
	}
	fmt.Fprint(stdout, truth.ScoreUsage(tu, found).String())
	return nil
}

// printActionQuality scores drift's revoke-unused and reassign-owner actions against the
// usage truth of the new snapshot, when truthDir has one.
func printActionQuality(stdout io.Writer, truthDir string, actions []drift.Action) error {
	tu, err := truth.LoadUsage(truthDir)
	if err != nil || tu == nil {
		return err
	}
	var revoke [][2]string
	var reassign []string
	for _, a := range actions {
		switch a.Type {
		case drift.ActionRevokeUnused:
			revoke = append(revoke, [2]string{a.IdentityID, a.RoleID})
		case drift.ActionReassignOwner:
			reassign = append(reassign, a.IdentityID)
		}
	}
	fmt.Fprint(stdout, truth.ScoreActions(tu, revoke, reassign).String())
	return nil
}

// usedOnlyStates returns the usage state of every direct pair of snap when a mining rule
// of cfg mines used access only (docs/excess-privilege.md#used-only), nil otherwise. Such
// a mining rule on data without a last_used column is a user error: nothing would tell
// used access from unused.
func usedOnlyStates(cfg *mining.Config, snap *columnar.Snapshot, p *lastused.Params) ([]lastused.State, error) {
	var mr *mining.MiningRule
	for k := range cfg.MiningRules {
		if cfg.MiningRules[k].UsedOnly {
			mr = &cfg.MiningRules[k]
			break
		}
	}
	if mr == nil {
		return nil, nil
	}
	if p == nil {
		what := mr.Name() + ` has UsedOnly="true"`
		if mr.Line == 0 {
			what = "--used-only given"
		}
		return nil, uerr.New("mine: %s, but the assignments have no %s column; expected usage dates to tell used access from unused", what, columnar.LastUsedColumn)
	}
	return report.DirectUsage(snap, p), nil
}
