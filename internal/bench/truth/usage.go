package truth

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/uerr"
)

// Files of the usage truth that `rolemine gen --usage` writes into truth/
// (docs/excess-privilege.md#generated), their headers, findings, reasons and groups: the
// names of package model's declarations here.
const (
	UsageFile          = model.UsageTruthFile
	UnusedFile         = model.UnusedFile
	OwnersFile         = model.OwnersFile
	OverPrivilegedFile = model.OverPrivilegedFile

	FindingNoOwner       = model.FindingNoOwner
	FindingOwnerUnknown  = model.FindingOwnerUnknown
	FindingOwnerNotHuman = model.FindingOwnerNotHuman

	ReasonDormant = model.ReasonDormant
	ReasonStale   = model.ReasonStale
	ReasonHidden  = model.ReasonHidden

	GroupHuman    = model.GroupHuman
	GroupNonHuman = model.GroupNonHuman
)

// Headers of the usage truth's CSV files.
var (
	UnusedHeader         = model.UnusedHeader
	OwnersHeader         = model.OwnersHeader
	OverPrivilegedHeader = model.OverPrivilegedHeader
)

// Usage is truth/usage.json plus the lists of the three CSV files.
type Usage = model.UsageTruth

// LoadUsage reads the usage truth in dir (a data directory's truth/ folder); it returns
// nil, nil when the data was generated without --usage.
func LoadUsage(dir string) (*Usage, error) {
	path := filepath.Join(dir, UsageFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("load truth: %w", err))
	}
	u := &Usage{UnusedPairs: map[[2]string]bool{}, Findings: map[string]string{}, OwnerLeft: map[string]bool{}, Planted: map[string]string{}}
	if err := json.Unmarshal(b, u); err != nil {
		return nil, uerr.New("load truth %s: %w", path, err)
	}
	err = readTruthCSV(filepath.Join(dir, UnusedFile), UnusedHeader, func(rec []string) error {
		u.UnusedPairs[[2]string{rec[0], rec[1]}] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTruthCSV(filepath.Join(dir, OwnersFile), OwnersHeader, func(rec []string) error {
		switch rec[2] {
		case FindingNoOwner, FindingOwnerUnknown, FindingOwnerNotHuman:
		default:
			return fmt.Errorf("column finding: %q: expected %s, %s or %s", rec[2], FindingNoOwner, FindingOwnerUnknown, FindingOwnerNotHuman)
		}
		u.Findings[rec[0]] = rec[2]
		if rec[3] == "true" {
			u.OwnerLeft[rec[0]] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTruthCSV(filepath.Join(dir, OverPrivilegedFile), OverPrivilegedHeader, func(rec []string) error {
		u.Planted[rec[0]] = rec[2]
		return nil
	})
	return u, err
}

// readTruthCSV reads a truth CSV file with the given header, calling row for each record.
func readTruthCSV(path string, header []string, row func(rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return uerr.WrapInput(fmt.Errorf("load truth: %w", err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return uerr.New("load truth %s: header: %w", path, err)
	}
	if strings.Join(head, ",") != strings.Join(header, ",") {
		return uerr.New("load truth %s: header %q: expected %s", path, strings.Join(head, ","), strings.Join(header, ","))
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return uerr.New("load truth %s: %w", path, err)
		}
		if err := row(rec); err != nil {
			return uerr.New("load truth %s: line %d: %w", path, line, err)
		}
	}
}
