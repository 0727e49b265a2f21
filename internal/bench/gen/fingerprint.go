package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
)

// writeDataFingerprint writes truth/data.json: the fingerprint of the tables in out, as
// a run loading out records it (model.DataFingerprint over each table's name and the
// SHA-256 of its file). It runs last, once every table is written.
func writeDataFingerprint(out string) error {
	fp, err := tablesFingerprint(out)
	if err != nil {
		return err
	}
	return atomicFile(filepath.Join(out, model.TruthDir, model.TruthDataFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(model.TruthData{Format: model.TruthDataFormat, DataFingerprint: fp})
	})
}

// tablesFingerprint hashes the tables of dir that a run would load (dataTables, in
// whichever format is there).
func tablesFingerprint(dir string) (string, error) {
	var inputs []columnar.Input
	for _, t := range dataTables {
		for _, ext := range []string{".parquet", ".csv"} {
			sum, err := fileSHA256(filepath.Join(dir, t+ext))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return "", fmt.Errorf("gen: fingerprint the data: %w", err)
			}
			inputs = append(inputs, columnar.Input{Name: t, SHA256: sum})
		}
	}
	return model.DataFingerprint(inputs), nil
}

// fileSHA256 returns the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
