package discover

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/uerr"
)

// Matrix is a user-permission assignment matrix: which identity holds which
// entitlement. Users[u] and Perms[p] are the input's ids; Rows[u] lists the permission
// indices of user u, ascending and without duplicates.
type Matrix struct {
	Users []string
	Perms []string
	Rows  [][]int32
}

// Pairs returns the number of (user, permission) assignments.
func (m *Matrix) Pairs() int {
	n := 0
	for _, r := range m.Rows {
		n += len(r)
	}
	return n
}

// Check verifies the invariants documented on Matrix.
func (m *Matrix) Check() error {
	if len(m.Rows) != len(m.Users) {
		return fmt.Errorf("matrix: %d rows for %d users", len(m.Rows), len(m.Users))
	}
	for u, r := range m.Rows {
		for k, p := range r {
			if p < 0 || int(p) >= len(m.Perms) {
				return fmt.Errorf("matrix: user %q: permission index %d out of range [0,%d)", m.Users[u], p, len(m.Perms))
			}
			if k > 0 && r[k-1] >= p {
				return fmt.Errorf("matrix: user %q: permissions not ascending and unique at position %d", m.Users[u], k)
			}
		}
	}
	return nil
}

// maxUPALine is the longest line ReadUPA reads.
const maxUPALine = 1 << 20

// ReadUPA reads the "user permission" pair format of the HP Labs data sets: one pair of
// whitespace-separated tokens per line. Blank lines and lines starting with '#' are
// ignored; duplicate pairs are merged. Ids are kept as written and must be UTF-8. Users
// and permissions are ordered numerically when every id is an integer, and by byte order
// otherwise. name appears in error messages, which are user errors naming the line.
func ReadUPA(ctx context.Context, r io.Reader, name string) (*Matrix, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxUPALine)
	userIdx := map[string]int32{}
	permIdx := map[string]int32{}
	var users, perms []string
	type pair struct{ u, p int32 }
	var pairs []pair
	line := 0
	for sc.Scan() {
		line++
		if line%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\xef\xbb\xbf")
		}
		if text == "" || text[0] == '#' {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 2 {
			return nil, uerr.New("%s line %d: want 2 fields \"user permission\", got %d: %q%s", name, line, len(f), truncate(text, 60), upaHint(f))
		}
		if err := checkUTF8(f, name, line); err != nil {
			return nil, err
		}
		u, ok := userIdx[f[0]]
		if !ok {
			u = int32(len(users))
			userIdx[f[0]] = u
			users = append(users, f[0])
		}
		p, ok := permIdx[f[1]]
		if !ok {
			p = int32(len(perms))
			permIdx[f[1]] = p
			perms = append(perms, f[1])
		}
		pairs = append(pairs, pair{u, p})
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, uerr.New("%s line %d: longer than %d bytes; expected one \"user permission\" pair per line", name, line+1, maxUPALine)
	} else if err != nil {
		return nil, uerr.WrapInput(fmt.Errorf("%s: read after line %d: %w", name, line, err))
	}
	uOrder := idOrder(users)
	pOrder := idOrder(perms)
	m := &Matrix{Users: make([]string, len(users)), Perms: make([]string, len(perms)), Rows: make([][]int32, len(users))}
	for old, nw := range uOrder {
		m.Users[nw] = users[old]
	}
	for old, nw := range pOrder {
		m.Perms[nw] = perms[old]
	}
	for _, pr := range pairs {
		u := uOrder[pr.u]
		m.Rows[u] = append(m.Rows[u], pOrder[pr.p])
	}
	for u := range m.Rows {
		slices.Sort(m.Rows[u])
		m.Rows[u] = slices.Compact(m.Rows[u])
	}
	return m, nil
}

// checkUTF8 refuses a pair whose user or permission is not valid UTF-8: the output is
// JSON, where such ids would all be written alike (U+FFFD).
func checkUTF8(pair []string, name string, line int) error {
	for k, id := range pair {
		if !utf8.ValidString(id) {
			return uerr.New("%s line %d: %s %q is not valid UTF-8; expected UTF-8 text", name, line, [2]string{"user", "permission"}[k], truncate(id, 60))
		}
	}
	return nil
}

// idOrder returns, for each id in first-seen order, its position in the sorted order:
// numeric when all ids are integers, byte order otherwise.
func idOrder(ids []string) []int32 {
	numeric := true
	nums := make([]int64, len(ids))
	for i, s := range ids {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			numeric = false
			break
		}
		nums[i] = v
	}
	idx := make([]int32, len(ids))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if numeric {
			if nums[a] != nums[b] {
				if nums[a] < nums[b] {
					return -1
				}
				return 1
			}
		}
		return strings.Compare(ids[a], ids[b])
	})
	pos := make([]int32, len(ids))
	for k, i := range idx {
		pos[i] = int32(k)
	}
	return pos
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// FromSnapshot builds the matrix of a snapshot: users are the identities (in file
// order), permissions the roles (sorted by id), and the assignments (orphans excluded).
func FromSnapshot(s *columnar.Snapshot) *Matrix {
	m := &Matrix{Users: s.IdentityIDs, Perms: s.Roles.IDs, Rows: make([][]int32, s.NumIdentities())}
	for i := range m.Rows {
		m.Rows[i] = s.RolesOf(i)
	}
	return m
}

// upaHint says, after the error about a line of fields f, what a comma-separated line
// is: a CSV file, which --data reads as the assignments of a data directory.
func upaHint(f []string) string {
	if len(f) == 1 && strings.Contains(f[0], ",") {
		return "; the fields are separated by spaces or tabs (a CSV file of identity_id,role_id is read with --data DIR as assignments.csv, with identities.csv beside it)"
	}
	return ""
}
