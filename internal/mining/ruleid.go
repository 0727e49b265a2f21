package mining

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/kernels"
)

// RuleID is a stable identifier of a rule: "r" and 16 hex digits of the SHA-256 of the
// role id and the criterion's attribute/value strings (NUL separated). It depends on
// nothing but those strings, so reruns, other worker counts and shards keep ids.
func RuleID(snap *columnar.Snapshot, roleID string, c kernels.Criterion) string {
	h := sha256.New()
	h.Write([]byte(roleID))
	for _, t := range c.Terms() {
		d := &snap.Dims[t.Dim]
		h.Write([]byte{0})
		h.Write([]byte(d.Name))
		h.Write([]byte{0})
		h.Write([]byte(d.Values[t.Val]))
	}
	sum := h.Sum(nil)
	return "r" + hex.EncodeToString(sum[:8])
}
