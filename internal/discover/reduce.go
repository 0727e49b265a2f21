package discover

import (
	"hash/maphash"
	"slices"
)

// reduced is a matrix with identical users merged and identical permissions merged, and
// users or permissions without any assignment dropped. Its rows are unique non-empty
// bitsets over permission classes, and its columns unique non-empty bitsets over user
// classes.
type reduced struct {
	// userClass[c] lists the original users of user class c, ascending; permClass the
	// same for permissions.
	userClass [][]int32
	permClass [][]int32
	row       []bitset // per user class, over permission classes
	col       []bitset // per permission class, over user classes
}

// reduceMatrix merges identical users and identical permissions of m.
func reduceMatrix(m *Matrix) *reduced {
	seed := maphash.MakeSeed()
	// Identical users: same permission list.
	byRow := map[uint64][]int32{} // hash -> user classes with that hash
	var uClass [][]int32
	var uRows [][]int32
	for u, r := range m.Rows {
		if len(r) == 0 {
			continue
		}
		h := hashInts(seed, r)
		found := int32(-1)
		for _, c := range byRow[h] {
			if slices.Equal(uRows[c], r) {
				found = c
				break
			}
		}
		if found < 0 {
			found = int32(len(uClass))
			uClass = append(uClass, nil)
			uRows = append(uRows, r)
			byRow[h] = append(byRow[h], found)
		}
		uClass[found] = append(uClass[found], int32(u))
	}
	// Columns over user classes.
	cols := make([][]int32, len(m.Perms))
	for c, r := range uRows {
		for _, p := range r {
			cols[p] = append(cols[p], int32(c))
		}
	}
	byCol := map[uint64][]int32{}
	var pClass [][]int32
	var pCols [][]int32
	permOf := make([]int32, len(m.Perms))
	for p, cl := range cols {
		permOf[p] = -1
		if len(cl) == 0 {
			continue
		}
		h := hashInts(seed, cl)
		found := int32(-1)
		for _, c := range byCol[h] {
			if slices.Equal(pCols[c], cl) {
				found = c
				break
			}
		}
		if found < 0 {
			found = int32(len(pClass))
			pClass = append(pClass, nil)
			pCols = append(pCols, cl)
			byCol[h] = append(byCol[h], found)
		}
		pClass[found] = append(pClass[found], int32(p))
		permOf[p] = found
	}
	rd := &reduced{userClass: uClass, permClass: pClass}
	nu, np := len(uClass), len(pClass)
	rd.row = make([]bitset, nu)
	rd.col = make([]bitset, np)
	for c := range rd.row {
		rd.row[c] = newBitset(np)
	}
	for p := range rd.col {
		rd.col[p] = newBitset(nu)
	}
	for c, r := range uRows {
		for _, p := range r {
			pc := permOf[p]
			rd.row[c].set(pc)
			rd.col[pc].set(int32(c))
		}
	}
	return rd
}

func hashInts(seed maphash.Seed, v []int32) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var buf [4]byte
	for _, x := range v {
		buf[0], buf[1], buf[2], buf[3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
		h.Write(buf[:])
	}
	return h.Sum64()
}
