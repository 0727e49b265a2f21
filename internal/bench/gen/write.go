package gen

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/model"
)

// Row types of the three data files. Column names follow docs/inputs.md.

type identityRow struct {
	IdentityID     string `parquet:"identity_id"`
	Kind           string `parquet:"kind,dict"`
	Department     string `parquet:"department,dict"`
	Team           string `parquet:"team,dict"`
	Title          string `parquet:"title,dict"`
	Location       string `parquet:"location,dict"`
	EmploymentType string `parquet:"employment_type,dict"`
	CostCenter     string `parquet:"cost_center,dict"`
	Email          string `parquet:"email"`
	Manager        string `parquet:"manager,dict"`
	Application    string `parquet:"application,dict"`
	Environment    string `parquet:"environment,dict"`
	OwnerTeam      string `parquet:"owner_team,dict"`
}

var identityHeader = []string{"identity_id", "kind", "department", "team", "title", "location",
	"employment_type", "cost_center", "email", "manager", "application", "environment", "owner_team"}

func (r *identityRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.Kind, r.Department, r.Team, r.Title, r.Location,
		r.EmploymentType, r.CostCenter, r.Email, r.Manager, r.Application, r.Environment, r.OwnerTeam)
}

type roleRow struct {
	RoleID      string `parquet:"role_id"`
	Category    string `parquet:"category,dict"`
	Validations int32  `parquet:"validations"`
	Application string `parquet:"application,dict"`
	Description string `parquet:"description,dict"`
}

var roleHeader = []string{"role_id", "category", "validations", "application", "description"}

func (r *roleRow) record(dst []string) []string {
	return append(dst[:0], r.RoleID, r.Category, strconv.Itoa(int(r.Validations)), r.Application, r.Description)
}

type assignmentRow struct {
	IdentityID string `parquet:"identity_id,dict"`
	RoleID     string `parquet:"role_id,dict"`
}

var assignmentHeader = []string{"identity_id", "role_id"}

func (r *assignmentRow) record(dst []string) []string {
	return append(dst[:0], r.IdentityID, r.RoleID)
}

// recorder is a row that can be written as CSV.
type recorder interface{ record(dst []string) []string }

// table writes rows of T to OUT/name.{parquet,csv} through a temporary file that is renamed
// into place by close, so a failed run never leaves a half-written file under the final name.
type table[T any, P interface {
	*T
	recorder
}] struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	pw        *parquet.GenericWriter[T]
	cw        *csv.Writer
	rec       []string
	rows      int64
}

// rowGroupRows bounds parquet row groups (and the writer's buffered memory).
const rowGroupRows = 1 << 20

func newTable[T any, P interface {
	*T
	recorder
}](dir, name, format string, header []string) (*table[T, P], error) {
	t := &table[T, P]{path: filepath.Join(dir, name+"."+format)}
	t.tmp = filepath.Join(dir, "."+name+"."+format+".tmp")
	f, err := os.Create(t.tmp)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", t.path, err)
	}
	t.f = f
	t.bw = bufio.NewWriterSize(f, 1<<20)
	switch format {
	case "parquet":
		t.pw = parquet.NewGenericWriter[T](t.bw,
			parquet.Compression(&parquet.Snappy),
			parquet.MaxRowsPerRowGroup(rowGroupRows),
			parquet.CreatedBy("rolemine-gen", "1", ""),
		)
	case "csv":
		t.cw = csv.NewWriter(t.bw)
		if err := t.cw.Write(header); err != nil {
			t.abort()
			return nil, fmt.Errorf("write %s: %w", t.path, err)
		}
	}
	return t, nil
}

func (t *table[T, P]) write(rows []T) error {
	t.rows += int64(len(rows))
	if t.pw != nil {
		if _, err := t.pw.Write(rows); err != nil {
			return fmt.Errorf("write %s: %w", t.path, err)
		}
		return nil
	}
	for i := range rows {
		t.rec = P(&rows[i]).record(t.rec)
		if err := t.cw.Write(t.rec); err != nil {
			return fmt.Errorf("write %s: %w", t.path, err)
		}
	}
	return nil
}

func (t *table[T, P]) close() error {
	var err error
	if t.pw != nil {
		err = t.pw.Close()
	} else {
		t.cw.Flush()
		err = t.cw.Error()
	}
	if err == nil {
		err = t.bw.Flush()
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(t.tmp, t.path)
	}
	if err != nil {
		os.Remove(t.tmp)
		return fmt.Errorf("write %s: %w", t.path, err)
	}
	return nil
}

// abort discards the temporary file.
func (t *table[T, P]) abort() {
	t.f.Close()
	os.Remove(t.tmp)
}

// atomicFile writes one whole file through a temporary name.
func atomicFile(path string, fill func(w io.Writer) error) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// dataTables are the tables a generated data directory may hold, each in either format.
var dataTables = []string{"identities", "roles", "assignments", "accounts", "role_grants", "attributes"}

// OwnedFiles lists the files of out that gen or gen --evolve may write (both formats of
// every table, every truth file) and that exist now.
func OwnedFiles(out string) []string {
	var paths []string
	for _, t := range dataTables {
		paths = append(paths, filepath.Join(out, t+".parquet"), filepath.Join(out, t+".csv"))
	}
	truth := filepath.Join(out, model.TruthDir)
	for _, f := range []string{model.TruthRulesFile, model.NoiseFile, model.UniverseTruthFile, model.HiddenFile,
		model.UsageTruthFile, model.UnusedFile, model.OwnersFile, model.OverPrivilegedFile, model.UnlabelledFile,
		model.OrgTreeFile, model.TruthDataFile, filepath.Join(ChangesDir, "events.csv"), filepath.Join(ChangesDir, "access.csv")} {
		paths = append(paths, filepath.Join(truth, f))
	}
	var have []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			have = append(have, p)
		}
	}
	return have
}

// clearOutput removes from out every file an earlier gen or gen --evolve may have written
// there (OwnedFiles): a run writes only some of them (a flat run no accounts, a CSV run no
// .parquet, a run without --usage no usage truth), and one left behind would be read with
// the new data (a universe's accounts beside flat identities of another seed; a .parquet
// beside the new .csv, which the loader refuses). Other files are left alone. It runs
// after the options are checked, before writing.
func clearOutput(out string) error {
	for _, p := range OwnedFiles(out) {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("gen: remove %s, left by an earlier run: %w", p, err)
		}
	}
	return nil
}
