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

// reduceMatrix merges identical users and identical permissions of m, whatever its size.
func reduceMatrix(m *Matrix) *reduced {
	rd, _ := reduceMatrixLimit(m, int(^uint(0)>>1))
	return rd
}

// reduceMatrixLimit is reduceMatrix, refusing (checkExactSize) before allocating the
// dense rows and columns when there are more than maxCells class pairs (0: MaxExactCells).
// The classes themselves are found on the sparse rows, in time linear in the assignments.
func reduceMatrixLimit(m *Matrix, maxCells int) (*reduced, error) {
	seed := maphash.MakeSeed()
	users := newListClasses(seed) // user classes: users with the same permission list
	for u, r := range m.Rows {
		if len(r) > 0 {
			users.add(r, int32(u))
		}
	}
	// Columns over user classes.
	cols := make([][]int32, len(m.Perms))
	for c, r := range users.lists {
		for _, p := range r {
			cols[p] = append(cols[p], int32(c))
		}
	}
	perms := newListClasses(seed) // permission classes: the same column of user classes
	permOf := make([]int32, len(m.Perms))
	for p, cl := range cols {
		permOf[p] = -1
		if len(cl) > 0 {
			permOf[p] = perms.add(cl, int32(p))
		}
	}
	uClass, pClass, uRows := users.members, perms.members, users.lists
	rd := &reduced{userClass: uClass, permClass: pClass}
	nu, np := len(uClass), len(pClass)
	if err := checkExactSize(nu, np, maxCells); err != nil {
		return nil, err
	}
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
	return rd, nil
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

// listClasses groups members by equal lists of int32: class c holds lists[c] and the
// members that had it, in the order they were added.
type listClasses struct {
	seed    maphash.Seed
	byHash  map[uint64][]int32 // hash of a list -> the classes with that hash
	lists   [][]int32
	members [][]int32
}

func newListClasses(seed maphash.Seed) *listClasses {
	return &listClasses{seed: seed, byHash: map[uint64][]int32{}}
}

// add puts member in the class of list, creating the class when list is new, and
// returns the class.
func (lc *listClasses) add(list []int32, member int32) int32 {
	h := hashInts(lc.seed, list)
	for _, c := range lc.byHash[h] {
		if slices.Equal(lc.lists[c], list) {
			lc.members[c] = append(lc.members[c], member)
			return c
		}
	}
	c := int32(len(lc.lists))
	lc.lists = append(lc.lists, list)
	lc.members = append(lc.members, []int32{member})
	lc.byHash[h] = append(lc.byHash[h], c)
	return c
}
