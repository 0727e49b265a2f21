// Package shard splits a mining run by role and joins the pieces again
// (docs/scale-out.md). Within a mining rule roles are independent, so
// `rolemine mine --shard I/N` mines only the roles whose stable hash falls in shard I and
// writes their rules and outcomes as a partial model (shard.json); `rolemine merge` checks
// that N partial models belong together (same data, configuration, previous model and N,
// every index once) and assembles the model a single run would have mined, from which
// every output is written as by a single run.
package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/rolemine/rolemine/internal/uerr"
)

// Environment variables read by ParseSpec.
const (
	// IndexEnv is set by Kubernetes on every pod of an Indexed Job.
	IndexEnv = "JOB_COMPLETION_INDEX"
	// CountEnv gives the number of shards when --shard does not.
	CountEnv = "ROLEMINE_SHARDS"
)

// Spec is one shard of a layout: Index in [0, Count).
type Spec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// String renders the spec as I/N.
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseSpec reads the --shard flag value ("I/N", "/N" or "I/" with the missing part from
// the environment, or "" for none) with getenv for the environment. It reports ok=false
// when the run is not sharded: no flag and no ROLEMINE_SHARDS. Every error is a user error.
func ParseSpec(flagValue string, getenv func(string) string) (spec Spec, ok bool, err error) {
	idx, cnt := "", getenv(CountEnv)
	idxFrom, cntFrom := "$"+IndexEnv, "$"+CountEnv
	if flagValue == "" && cnt == "" {
		return Spec{}, false, nil
	}
	if flagValue != "" {
		i, n, found := strings.Cut(flagValue, "/")
		if !found {
			return Spec{}, false, uerr.New("--shard %q: expected I/N (shard I of N, I from 0), /N or I/", flagValue)
		}
		if i != "" {
			idx, idxFrom = i, "--shard"
		}
		if n != "" {
			cnt, cntFrom = n, "--shard"
		}
	}
	if idx == "" {
		idx = getenv(IndexEnv)
		if idx == "" {
			return Spec{}, false, uerr.New("shard index: --shard gives none and %s is not set (it is set on the pods of a Kubernetes Indexed Job)", IndexEnv)
		}
	}
	if cnt == "" {
		return Spec{}, false, uerr.New("shard count: --shard gives none and %s is not set", CountEnv)
	}
	n, err := strconv.Atoi(strings.TrimSpace(cnt))
	if err != nil || n < 1 {
		return Spec{}, false, uerr.New("shard count %q (%s): expected a whole number of shards, at least 1", cnt, cntFrom)
	}
	i, err := strconv.Atoi(strings.TrimSpace(idx))
	if err != nil || i < 0 {
		return Spec{}, false, uerr.New("shard index %q (%s): expected a whole number from 0", idx, idxFrom)
	}
	if i >= n {
		return Spec{}, false, uerr.New("shard index %d (%s) is not below the shard count %d: shards are numbered 0 to %d", i, idxFrom, n, n-1)
	}
	return Spec{Index: i, Count: n}, true, nil
}

// Of returns the shard of role roleID in a layout of n shards: the first eight bytes of
// the SHA-256 of the role id, big-endian, modulo n. It depends on nothing but the id and
// n, so a role stays in its shard across runs, machines and releases.
func Of(roleID string, n int) int {
	sum := sha256.Sum256([]byte(roleID))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(n))
}
