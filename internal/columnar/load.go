package columnar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
)

// LoadOptions tune Load.
type LoadOptions struct {
	// ExcludeDimensions names attributes never used in criteria: they are loaded but marked
	// Skipped ("excluded by user"). "kind" cannot be excluded.
	ExcludeDimensions []string
	// Logger receives progress and timings; nil discards them.
	Logger *slog.Logger
	// KeepRole, if set, keeps only the assignments of the roles whose id it accepts (the
	// roles of one shard): the others are dropped right after decoding, before the
	// assignments are joined and indexed, and Snapshot.RolesKept is set. The role table
	// still lists every role. Inputs with accounts, role grants, usage or other optional
	// data (a Universe) are loaded whole: role grants tie roles to each other.
	KeepRole func(roleID string) bool
}

// Load reads the data directory dir (docs/inputs.md): identities and assignments, and
// optionally roles, each as .parquet or .csv. It returns a Snapshot satisfying the
// invariants documented on Snapshot, with the non-fatal findings of loading (orphan
// assignments, implicit roles, duplicates, skipped dimensions) in Snapshot.Findings.
//
// Errors caused by the data (a missing file or column, a wrong column type, an empty or
// duplicate id, a corrupt or ragged file, an invalid validations value) are user errors
// (uerr) naming the file, the first few offending rows and columns, and what was
// expected. A failure of the system reading a file that exists (uerr.IOFailure) is not. Rows are 1-based data rows for Parquet and line numbers (header = line 1) for
// CSV.
//
// The three files are read concurrently, and Parquet columns in parallel.
func Load(ctx context.Context, dir string, opts LoadOptions) (snap *Snapshot, err error) {
	var bugs parallel.Bugs // a bug (a panic) on any of the load's goroutines is its error
	// recover: orBug returns a panic as a bug (a *parallel.PanicError)
	defer func() { snap, err = orBug(dir, &bugs, recover(), snap, err) }()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()

	paths, err := findInputs(dir)
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, err))
	}

	s := &Snapshot{}
	early := earlyWork{bugs: &bugs}
	tables, opt, err := readAll(ctx, dir, paths, log, early.hooks(s, opts, log), &bugs)
	if err != nil {
		early.built.Wait()
		early.owned.Wait()
		return nil, err
	}
	ids, roles, asg := tables[0], tables[1], tables[2]
	tRead := time.Since(start)

	for _, t := range append(tables, opt...) {
		if t != nil {
			s.Inputs = append(s.Inputs, t.input)
		}
	}
	// The universe's accounts are resolved while the identities' dimensions are built
	// (since the identities were read): the two share only the identity ids, which
	// neither changes.
	early.owned.Wait()
	ub, ubErr := prepareUniverse(ids, asg, opt, early.accounts, early.owners, early.identIdx)
	early.accounts, early.accountsTable = nil, nil // the accounts' order and index: let the GC have them
	early.built.Wait()
	identIdx, idErr := early.identIdx, early.idErr
	tPrepared := time.Since(start)
	if ubErr != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, ubErr))
	}
	if idErr != nil {
		return nil, idErr
	}
	asgRole, err := buildRoles(s, roles, asg.col("role_id"))
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, err))
	}
	if opts.KeepRole != nil && ub == nil {
		dropped := keepRoleRows(asg, asgRole, s.Roles.IDs, opts.KeepRole)
		s.RolesKept = true
		log.Debug("kept the assignments of the selected roles", "dropped", dropped, "kept", asg.rows-dropped)
	}
	var dimErr error
	var merged sync.WaitGroup
	if ub != nil {
		bugs.Go(&merged, func() { dimErr = ub.dimensions(s, identIdx, opts) })
		roleCode := asg.col("role_id").ids
		bugs.Go(&merged, func() { ub.roleGrants(roleCode, asgRole) })
	}
	err = buildAssignments(ctx, s, asg, identIdx, asgRole, ub.pairRows())
	merged.Wait()
	tAssigned := time.Since(start)
	if err != nil {
		return nil, err
	}
	if dimErr != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, dimErr))
	}
	if ub != nil {
		ub.finish(s)
	}
	warnLoaded(log, dir, s, opts, tables, opt, paths[1])
	logLoaded(log, dir, s, start, tRead, tPrepared, tAssigned)
	return s, nil
}

// warnLoaded warns about what loading found but kept: excluded dimensions that do not
// exist, columns and files named nearly as rolemine's, and ids or values an export
// probably respelt.
func warnLoaded(log *slog.Logger, dir string, s *Snapshot, opts LoadOptions, tables, opt []*table, asgPath string) {
	ids, roles, asg := tables[0], tables[1], tables[2]
	warnUnknownExcluded(s, opts.ExcludeDimensions, ids.file, log)
	warnNearMisses(log, append(tables, opt...)...)
	warnNearFiles(dir, asgPath, opt, log)
	warnLookalikes(log, s, ids.file, roles.fileName(), asg.file, optional(opt, "accounts").fileName())
}

// logLoaded logs what Load loaded from dir and its phases' times since start.
func logLoaded(log *slog.Logger, dir string, s *Snapshot, start time.Time, tRead, tPrepared, tAssigned time.Duration) {
	f := &s.Findings
	log.Info("loaded data", "dir", dir,
		"identities", len(s.IdentityIDs), "dimensions", len(s.Dims), "roles", len(s.Roles.IDs),
		"assignments", len(s.RoleIdx), "orphan_assignments", f.OrphanAssignments,
		"duplicate_assignments", f.DuplicateAssignments, "implicit_roles", f.ImplicitRoles,
		"skipped_dimensions", len(f.SkippedDimensions),
		"read", tRead, "identities_and_accounts", tPrepared, "assignments", tAssigned, "elapsed", time.Since(start))
}

// earlyWork is what Load starts on a file as soon as it is read, while the other files
// are still being decoded (at the end of which the assignments' last columns would
// otherwise leave a processor idle): the identities' owners taken off, their ids
// indexed and their dimensions built; the accounts sorted and their ids indexed; and
// once both files are read, the accounts' identities looked up.
type earlyWork struct {
	owners   []string
	identIdx *identityIndex
	accounts *sortedAccounts
	// built is the identities' index and dimensions (buildIdentities, into the snapshot),
	// idErr the latter's error; owned the accounts' identities (lookOwners).
	built, owned sync.WaitGroup
	idErr        error
	// toRead counts the identities and accounts files until both are read (an absent or
	// failed file never counts); accountsTable is the latter.
	toRead        atomic.Int32
	accountsTable *table
	// bugs keeps a panic of the goroutines started here (Load's).
	bugs *parallel.Bugs
}

// read counts one of the identities and accounts files read; the second starts the
// accounts' identities.
func (e *earlyWork) read() {
	if e.toRead.Add(-1) == 0 {
		e.bugs.Go(&e.owned, func() { e.accounts.lookOwners(e.accountsTable, e.identIdx) })
	}
}

// hooks returns what readAll is to run on each file once read: after[i] for the
// required file i (identities, roles, assignments), optional for the optional ones.
func (e *earlyWork) hooks(s *Snapshot, opts LoadOptions, log *slog.Logger) readHooks {
	var h readHooks
	e.toRead.Store(2)
	h.required[0] = func(t *table) {
		e.owners = takeOwners(t)
		e.identIdx = newIdentityIndexOf(t.col("identity_id"))
		e.bugs.Go(&e.built, e.identIdx.prepare)
		e.bugs.Go(&e.built, func() { e.idErr = buildIdentities(s, t, opts, log) })
		e.read()
	}
	h.optional = func(spec *tableSpec, t *table) {
		if spec == &accountsSpec {
			e.accounts, e.accountsTable = sortAccounts(t), t
			e.read()
		}
	}
	return h
}

// readHooks are run by readAll on a file once it is read without error, on the
// goroutine that read it (nil: none).
type readHooks struct {
	required [3]func(*table)
	optional func(*tableSpec, *table)
}

// readAll reads the required files (identities, roles, assignments: paths) and the
// optional ones of dir, running h on each once read. The optional files are read while
// the required ones are: the accounts of a universe are as much work as its assignments.
// The required files' errors come first; a panic on its goroutines goes to bugs.
func readAll(ctx context.Context, dir string, paths [3]string, log *slog.Logger, h readHooks, bugs *parallel.Bugs) (tables, opt []*table, err error) {
	var optErr error
	var optional sync.WaitGroup
	bugs.Go(&optional, func() { opt, optErr = readOptional(ctx, dir, h.optional, bugs) })
	tables, err = readRequired(ctx, dir, paths, log, h.required, bugs)
	optional.Wait()
	if err != nil {
		return nil, nil, err
	}
	if optErr != nil {
		return nil, nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, optErr))
	}
	return tables, opt, nil
}

// readRequired reads the identities, roles and assignments files (paths, "" for an absent
// one) at the same time, running after[i] (unless nil) on file i once read; read errors
// of every file are reported together; a panic on its goroutines goes to bugs.
func readRequired(ctx context.Context, dir string, paths [3]string, log *slog.Logger, after [3]func(*table), bugs *parallel.Bugs) ([]*table, error) {
	specs := []*tableSpec{&identitiesSpec, &rolesSpec, &assignmentsSpec}
	tables := make([]*table, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		if paths[i] == "" {
			continue
		}
		bugs.Go(&wg, func() {
			t0 := time.Now()
			tables[i], errs[i] = readTable(ctx, paths[i], spec)
			if errs[i] != nil {
				return
			}
			log.Debug("read table", "file", paths[i], "rows", tables[i].rows,
				"columns", len(tables[i].cols), "elapsed", time.Since(t0))
			if after[i] != nil {
				after[i](tables[i])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load %s: %w", dir, err))
	}
	return tables, nil
}

// readTable reads one input file by its extension.
func readTable(ctx context.Context, path string, spec *tableSpec) (*table, error) {
	if fault, ok := ctx.Value(decodeFaultKey{}).(func(file, column string)); ok {
		fault(filepath.Base(path), "")
	}
	if filepath.Ext(path) == ".csv" {
		return readCSV(ctx, path, spec)
	}
	return readParquet(ctx, path, spec)
}

// findInputs returns the paths of identities, roles ("" when absent) and assignments.
func findInputs(dir string) ([3]string, error) {
	var paths [3]string
	st, err := os.Stat(dir)
	if err != nil {
		return paths, fmt.Errorf("cannot read the data directory: %w", err)
	}
	if !st.IsDir() {
		return paths, fmt.Errorf("is not a directory; expected a data directory holding identities, assignments and optionally roles (.parquet or .csv)")
	}
	for i, name := range []string{"identities", "roles", "assignments"} {
		var found []string
		for _, ext := range []string{".parquet", ".csv"} {
			p := filepath.Join(dir, name+ext)
			st, err := os.Stat(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				continue
			case err != nil:
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err // the path is named already
				}
				return paths, fmt.Errorf("%s%s: %w; expected a file", name, ext, err)
			case st.IsDir():
				return paths, fmt.Errorf("%s%s is a directory; expected a file", name, ext)
			}
			found = append(found, p)
		}
		switch {
		case len(found) > 1:
			return paths, fmt.Errorf("both %s.parquet and %s.csv exist; keep only one", name, name)
		case len(found) == 1:
			paths[i] = found[0]
		case name != "roles":
			return paths, fmt.Errorf("missing %s: expected %s.parquet or %s.csv%s", name, name, name, nearFilesHint(dir, name))
		}
	}
	return paths, nil
}

// nearFiles returns the names of the entries of dir named like input name but for letter
// case, or with another extension than .parquet and .csv (Roles.csv, identities.CSV,
// accounts.txt): input file names are exact, so such a file is not read.
func nearFiles(dir, name string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if n == name+".parquet" || n == name+".csv" {
			continue
		}
		if base, _, ok := strings.Cut(n, "."); ok && strings.EqualFold(base, name) {
			out = append(out, n)
		}
	}
	return out
}

// nearFilesHint is "" or, when dir holds files nearFiles finds for name, a sentence
// naming them for the message about a missing file.
func nearFilesHint(dir, name string) string {
	near := nearFiles(dir, name)
	if len(near) == 0 {
		return ""
	}
	return fmt.Sprintf("; found %q, not read: file names are exact (lower case, .parquet or .csv), rename it", near)
}

// warnNearFiles warns about the files of dir named like an optional input that was not
// found (rolesPath "" for roles; opt as readOptional returns it): without the warning a
// Roles.csv would leave every role implicit in silence.
func warnNearFiles(dir, rolesPath string, opt []*table, log *slog.Logger) {
	absent := map[string]bool{"roles": rolesPath == ""}
	for k, spec := range optionalInputs {
		absent[spec.name] = k >= len(opt) || opt[k] == nil
	}
	for _, name := range []string{"roles", "accounts", "role_grants", "attributes"} {
		if !absent[name] {
			continue
		}
		for _, n := range nearFiles(dir, name) {
			log.Warn("input file names are exact (lower case, .parquet or .csv): this file is not read; rename it",
				"dir", dir, "file", n, "expected", name+".parquet or "+name+".csv")
		}
	}
}

// optional returns the optional table of that input name, or nil when it was not read.
func optional(opt []*table, name string) *table {
	for _, t := range opt {
		if t != nil && t.input.Name == name {
			return t
		}
	}
	return nil
}
