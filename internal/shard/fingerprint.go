package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"

	"github.com/rolemine/rolemine/internal/columnar"
)

// DimensionsFingerprint is the SHA-256 (hex) of every dimension of a loaded snapshot as
// mining reads it (name, whether skipped, dictionary, codes and multi-valued codes): what
// plugin-derived attributes and exclusions add to the input files' fingerprint
// (report.DataFingerprint).
func DimensionsFingerprint(snap *columnar.Snapshot) string {
	h := sha256.New()
	put := func(parts ...string) {
		for _, s := range parts {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	put("identities", strconv.Itoa(snap.NumIdentities()), "dims", strconv.Itoa(len(snap.Dims)))
	for d := range snap.Dims {
		dim := &snap.Dims[d]
		put(dim.Name, strconv.FormatBool(dim.Skipped), strconv.Itoa(len(dim.Values)))
		put(dim.Values...)
		hashInt32s(h, dim.Codes)
		put("multi", strconv.Itoa(len(dim.MultiOff)))
		hashInt32s(h, dim.MultiOff)
		hashInt32s(h, dim.MultiCodes)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashInt32s writes xs to h little-endian, a buffer at a time.
func hashInt32s(h hash.Hash, xs []int32) {
	buf := make([]byte, 0, 1<<16)
	for _, x := range xs {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(x))
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
}

// Digest is the SHA-256 (hex) of b, for the configuration and previous-model fingerprints.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
