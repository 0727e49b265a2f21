package model

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/rolemine/rolemine/internal/columnar"
)

// DataFingerprint identifies the data a snapshot was loaded from: the SHA-256 of the
// input files' names and content hashes, by name. Paths are left out, so a data directory
// can move; a byte changed in any file changes it. It is "" without inputs. summary.json's
// data_fingerprint and the truth's data.json (TruthData) hold it.
func DataFingerprint(inputs []columnar.Input) string {
	if len(inputs) == 0 {
		return ""
	}
	in := slices.Clone(inputs)
	slices.SortFunc(in, func(a, b columnar.Input) int { return cmp.Compare(a.Name, b.Name) })
	h := sha256.New()
	for _, i := range in {
		h.Write([]byte(i.Name))
		h.Write([]byte{0})
		h.Write([]byte(i.SHA256))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}
