// Package gen writes a realistic synthetic enterprise for rolemine: identities (about 80%
// humans in departments, teams and titles of very unequal size, 20% service accounts, API
// keys and workloads of applications and environments), roles, and assignments made by
// planted single role rules plus planted noise (missing access, extra access, stale access
// of people who moved). It also writes the truth (docs/outputs.md#generated-data): the planted rules
// in truth/rules.json and the planted noise in truth/noise.csv.
//
// Output is fully determined by the options: the same seed, tier and sizes give
// byte-identical files.
package gen

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/model"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/rolemine/rolemine/internal/usage"
)

// Options say what to generate.
type Options struct {
	// Out is the data directory to write (created if needed).
	Out string
	// Tier is S, M, L or XL (default S): 10k, 100k, 1M or 5M identities with 500, 5k, 50k
	// or 100k roles.
	Tier string
	// Identities and Roles override the tier's sizes (0: tier default). With Identities
	// set and Roles 0, roles keep the tier's ratio of roles to identities.
	Identities, Roles int
	Seed              uint64
	// Format is "parquet" (default) or "csv".
	Format string
	// UnlabelledNHI is the percentage (0-100) of non-human identities written without
	// application and environment (an inventory that lost their metadata). Their access
	// is unchanged, so only their account names (svc-<app>-<env>-<n>, which the nhiname
	// plugin parses) can still explain it. The truth is unchanged; the identities are
	// listed in truth/unlabelled.csv. 0 (the default) changes nothing in the output.
	UnlabelledNHI float64
	// TitleFamilyRoles adds one role per title family ("X" and "Senior X"), granted on
	// both titles (see familyRoles). false (the default) changes nothing in the output.
	TitleFamilyRoles bool
	// DivisionRoles adds one role per division (a group of departments no column names),
	// granted to all its departments, and writes truth/orgtree.json, the orgtree plugin's
	// configuration for the team -> department -> division hierarchy.
	DivisionRoles bool
	// Universe rewrites the data set as an effective-privilege universe (universe.go):
	// accounts in several systems, uncorrelated accounts, nested groups (a broad group
	// nested into privileged roles), multi-valued project membership and owners of
	// non-human identities, with their truth. false (the default) changes nothing.
	Universe bool
	// Usage plants usage (assignments.last_used) and owners of non-human identities
	// (identities.owner_id) on a flat data set, with their truth (usage.go). It cannot be
	// combined with Universe. false (the default) changes nothing.
	Usage  bool
	Logger *slog.Logger
	// Progress, when set, is told each step as it starts ("writing assignments"), for a
	// status line on a terminal.
	Progress func(step string)
}

// step tells opts.Progress, if set, that step starts.
func (opts *Options) step(name string) {
	if opts.Progress != nil {
		opts.Progress(name)
	}
}

// Stats counts what was written.
type Stats struct {
	Identities, Humans, NonHumans  int
	Roles, RuleRoles, ProjectRoles int
	// TinyRoles are held by one or two identities (counted as project roles in the truth).
	TinyRoles    int
	PlantedRules int
	Movers       int
	// Planted is the number of assignments the planted rules make on final attributes.
	Planted int64
	// Assignments written: Planted - Missing + Stale + Extra + project and tiny holdings.
	Assignments           int64
	Missing, Extra, Stale int64
	Elapsed               time.Duration
	// Universe counts what Options.Universe added (nil without it).
	Universe *UniverseStats
	// Usage counts what Options.Usage planted (nil without it).
	Usage *UsageStats
}

type tierSize struct{ identities, roles int }

var tiers = map[string]tierSize{
	"S": {10_000, 500}, "M": {100_000, 5_000}, "L": {1_000_000, 50_000}, "XL": {5_000_000, 100_000},
}

// minIdentities is the smallest population that still yields planted groups.
const minIdentities = 100

// maxRoles bounds the role count: twice tier XL's, far below what exhausts memory.
const maxRoles = 200_000

// Generate writes the enterprise described by opts.
func Generate(ctx context.Context, opts Options) (*Stats, error) {
	start := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n, nRoles, tier, err := sizes(opts)
	if err != nil {
		return nil, err
	}
	format, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := clearOutput(opts.Out); err != nil {
		return nil, err
	}
	truthDir := filepath.Join(opts.Out, "truth")
	if err := os.MkdirAll(truthDir, 0o755); err != nil {
		return nil, fmt.Errorf("gen: create %s: %w", truthDir, err)
	}

	opts.step("building the population")
	o := buildOrg(n, opts.Seed)
	c := countCells(o)
	roles, err := roleCatalog(o, c, nRoles, opts, truthDir)
	if err != nil {
		return nil, err
	}
	st := newStats(n, o, roles)
	log.Info("gen: population built", "tier", tier, "identities", n, "roles", len(roles), "rule_roles", st.RuleRoles, "elapsed", time.Since(start))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	opts.step("writing identities")
	gaps := unlabelled(o, opts)
	if err := writeUnlabelled(o, gaps, truthDir); err != nil {
		return nil, err
	}
	if err := writeIdentities(ctx, o, opts.Out, format, gaps); err != nil {
		return nil, err
	}
	log.Info("gen: identities written", "elapsed", time.Since(start))
	if err := writeRoles(roles, opts.Out, format); err != nil {
		return nil, err
	}
	opts.step("writing assignments")
	if err := writeAssignments(ctx, o, c, roles, opts.Seed, opts.Out, format, st); err != nil {
		return nil, err
	}
	log.Info("gen: assignments written", "assignments", st.Assignments, "elapsed", time.Since(start))
	opts.step("writing truth")
	if err := writeTruth(o, roles, opts.Seed, tier, filepath.Join(truthDir, model.TruthRulesFile)); err != nil {
		return nil, err
	}
	if err := plantExtras(ctx, opts, format, st, log, start); err != nil {
		return nil, err
	}
	if err := writeDataFingerprint(opts.Out); err != nil {
		return nil, err
	}
	st.Elapsed = time.Since(start)
	log.Info("gen: done", "assignments", st.Assignments, "missing", st.Missing, "extra", st.Extra, "stale", st.Stale, "elapsed", st.Elapsed)
	return st, nil
}

// checkOptions refuses options Generate cannot write and returns the file format.
func checkOptions(opts Options) (format string, err error) {
	format = opts.Format
	switch format {
	case "":
		format = "parquet"
	case "parquet", "csv":
	default:
		return "", uerr.New("gen: format %q: expected parquet or csv", opts.Format)
	}
	if opts.Out == "" {
		return "", uerr.New("gen: no output directory given (--out)")
	}
	if !(opts.UnlabelledNHI >= 0 && opts.UnlabelledNHI <= 100) { // NaN fails both
		return "", uerr.New("gen: unlabelled NHI percentage %g: expected 0 to 100", opts.UnlabelledNHI)
	}
	return format, nil
}

// roleCatalog draws the role catalog of o, with the title-family and division roles when
// asked for (and the division roles' org tree in truthDir).
func roleCatalog(o *org, c *counts, nRoles int, opts Options, truthDir string) ([]role, error) {
	roles := catalog(o, c, nRoles, rand.New(rand.NewPCG(opts.Seed, 0x726f6c6573)))
	if opts.TitleFamilyRoles {
		roles = append(roles, familyRoles(o)...)
	}
	if opts.DivisionRoles {
		roles = append(roles, divisionRoles(o)...)
		if err := writeOrgTree(o, filepath.Join(truthDir, model.OrgTreeFile)); err != nil {
			return nil, err
		}
	}
	return roles, nil
}

// newStats counts the population and the roles by type.
func newStats(n int, o *org, roles []role) *Stats {
	st := &Stats{Identities: n, Humans: o.humans, NonHumans: n - o.humans, Roles: len(roles), Movers: len(o.movers)}
	for _, r := range roles {
		switch r.typ {
		case typeRule:
			st.RuleRoles++
			st.PlantedRules += len(r.rules)
		case typeProject:
			st.ProjectRoles++
		case typeTiny:
			st.TinyRoles++
		}
	}
	return st
}

// writeUnlabelled lists the non-human identities written without their labels in
// truthDir/unlabelled.csv (nothing when there are none).
func writeUnlabelled(o *org, gaps []int32, truthDir string) error {
	if len(gaps) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(strings.Join(model.UnlabelledHeader, ",") + "\n")
	for _, i := range gaps {
		b.WriteString(o.ids[i] + "\n")
	}
	path := filepath.Join(truthDir, model.UnlabelledFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("gen: write %s: %w", path, err)
	}
	return nil
}

// writeAssignments writes the assignments and truth/noise.csv.
func writeAssignments(ctx context.Context, o *org, c *counts, roles []role, seed uint64, out, format string, st *Stats) error {
	asg, err := newTable[assignmentRow](out, "assignments", format, assignmentHeader)
	if err != nil {
		return err
	}
	noise, err := newTable[noiseRow](filepath.Join(out, "truth"), "noise", "csv", model.NoiseHeader)
	if err != nil {
		asg.abort()
		return err
	}
	if err := assignments(ctx, o, c, roles, seed, asg, noise, st); err != nil {
		asg.abort()
		noise.abort()
		return err
	}
	if err := asg.close(); err != nil {
		noise.abort()
		return err
	}
	return noise.close()
}

// plantExtras plants what the options add to the flat enterprise: the effective-privilege
// universe, or usage and owners.
func plantExtras(ctx context.Context, opts Options, format string, st *Stats, log *slog.Logger, start time.Time) error {
	if opts.Universe {
		opts.step("planting the universe (accounts, nested groups, projects)")
		us, err := plantUniverse(ctx, opts.Out, format, opts.Seed)
		if err != nil {
			return err
		}
		st.Universe = us
		log.Info("gen: universe planted", "accounts", us.Accounts, "group_roles", us.GroupRoles,
			"broad_nestings", us.BroadNestings, "entitlements", us.Entitlements, "hidden_inherited", us.Hidden, "elapsed", time.Since(start))
	}
	if opts.Usage {
		opts.step("planting usage and owners")
		asOf, _ := usage.Parse(usageAsOf)
		var err error
		if st.Usage, err = plantUsage(ctx, opts.Out, format, opts.Seed, asOf.Sec, nil); err != nil {
			return err
		}
		log.Info("gen: usage planted", "used", st.Usage.Used, "unused", st.Usage.Unused, "unknown", st.Usage.Unknown,
			"dormant", st.Usage.Dormant, "elapsed", time.Since(start))
	}
	return nil
}

// sizes resolves the tier and the identity and role counts.
func sizes(opts Options) (n, roles int, tier string, err error) {
	tier = strings.ToUpper(opts.Tier)
	if tier == "" {
		tier = "S"
	}
	ts, ok := tiers[tier]
	if !ok {
		return 0, 0, "", uerr.New("gen: tier %q: expected S, M, L or XL", opts.Tier)
	}
	if opts.Identities < 0 || opts.Roles < 0 {
		return 0, 0, "", uerr.New("gen: identities (%d) and roles (%d) must not be negative", opts.Identities, opts.Roles)
	}
	n, roles = ts.identities, ts.roles
	if opts.Identities > 0 {
		n = opts.Identities
		roles = max(20, int(math.Round(float64(n)*float64(ts.roles)/float64(ts.identities))))
	}
	if n < minIdentities {
		return 0, 0, "", uerr.New("gen: %d identities: expected at least %d", n, minIdentities)
	}
	if n > 50_000_000 {
		return 0, 0, "", uerr.New("gen: %d identities: at most 50000000 supported", n)
	}
	if opts.Roles > 0 {
		roles = opts.Roles
	}
	if roles > maxRoles {
		return 0, 0, "", uerr.New("gen: %d roles: at most %d supported", roles, maxRoles)
	}
	return n, roles, tier, nil
}

// unlabelled returns the sorted indices of the non-human identities written without
// application and environment (Options.UnlabelledNHI), drawn from their own random stream.
func unlabelled(o *org, opts Options) []int32 {
	if opts.UnlabelledNHI <= 0 {
		return nil
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x756e6c6162656c))
	var out []int32
	for i := o.humans; i < o.n; i++ {
		if r.Float64()*100 < opts.UnlabelledNHI {
			out = append(out, int32(i))
		}
	}
	return out
}

func writeIdentities(ctx context.Context, o *org, dir, format string, unlabelled []int32) error {
	t, err := newTable[identityRow](dir, "identities", format, identityHeader)
	if err != nil {
		return err
	}
	rows := make([]identityRow, 0, 8192)
	for i := 0; i < o.n; i++ {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				t.abort()
				return err
			}
		}
		v := o.final(i)
		row := identityRow{
			IdentityID:     o.ids[i],
			Kind:           o.value(aKind, v[aKind]),
			Department:     o.value(aDepartment, v[aDepartment]),
			Team:           o.value(aTeam, v[aTeam]),
			Title:          o.value(aTitle, v[aTitle]),
			Location:       o.value(aLocation, v[aLocation]),
			EmploymentType: o.value(aEmployment, v[aEmployment]),
			CostCenter:     o.value(aCostCenter, v[aCostCenter]),
			Manager:        o.value(aManager, v[aManager]),
			Application:    o.value(aApplication, v[aApplication]),
			Environment:    o.value(aEnvironment, v[aEnvironment]),
			OwnerTeam:      o.value(aOwnerTeam, v[aOwnerTeam]),
		}
		if i < o.humans {
			row.Email = o.email(i)
		}
		if len(unlabelled) > 0 && unlabelled[0] == int32(i) {
			unlabelled = unlabelled[1:]
			row.Application, row.Environment = "", ""
		}
		rows = append(rows, row)
		if len(rows) == cap(rows) {
			if err := t.write(rows); err != nil {
				t.abort()
				return err
			}
			rows = rows[:0]
		}
	}
	if err := t.write(rows); err != nil {
		t.abort()
		return err
	}
	return t.close()
}

func writeRoles(roles []role, dir, format string) error {
	t, err := newTable[roleRow](dir, "roles", format, roleHeader)
	if err != nil {
		return err
	}
	rows := make([]roleRow, len(roles))
	for i, r := range roles {
		rows[i] = roleRow{RoleID: r.id, Category: r.category, Validations: int32(r.validations), Application: r.application, Description: r.description}
	}
	if err := t.write(rows); err != nil {
		t.abort()
		return err
	}
	return t.close()
}

func writeTruth(o *org, roles []role, seed uint64, tier, path string) error {
	tf := truth.Truth{Format: truth.Format, Seed: seed, Tier: tier, Roles: make([]truth.Role, 0, len(roles))}
	for _, r := range roles {
		tr := truth.Role{RoleID: r.id, Type: "project", Rules: []truth.Rule{}}
		if r.typ == typeRule {
			tr.Type = "rule"
			for _, p := range r.rules {
				crit := make([]truth.Criterion, len(p.terms))
				for k, t := range p.terms {
					crit[k] = truth.Criterion{Attribute: attrNames[t.attr], Value: o.value(t.attr, t.code)}
				}
				slices.SortFunc(crit, func(a, b truth.Criterion) int { return strings.Compare(a.Attribute, b.Attribute) })
				tr.Rules = append(tr.Rules, truth.Rule{EntityType: p.scope, Criteria: crit})
			}
		}
		tf.Roles = append(tf.Roles, tr)
	}
	return atomicFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(&tf)
	})
}
