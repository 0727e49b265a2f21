package discover

// component is a connected part of a problem's alive vertices, joined by edges of E.
type component struct {
	users, perms []int32
}

// components splits the alive vertices of pr into connected components (through any edge
// of E between alive vertices). A biclique is connected, so no role spans two of them.
func (pr *prob) components() []component {
	seenU := newBitset(pr.nu)
	seenP := newBitset(pr.np)
	var out []component
	tmp := newBitset(pr.np)
	tmpU := newBitset(pr.nu)
	pr.aliveU.forEach(func(start int32) {
		if seenU.has(start) {
			return
		}
		var c component
		stackU := []int32{start}
		seenU.set(start)
		var stackP []int32
		for len(stackU) > 0 || len(stackP) > 0 {
			if n := len(stackU); n > 0 {
				u := stackU[n-1]
				stackU = stackU[:n-1]
				c.users = append(c.users, u)
				andInto(tmp, pr.row[u], pr.aliveP)
				tmp.andNotWith(seenP)
				tmp.forEach(func(p int32) { seenP.set(p); stackP = append(stackP, p) })
				continue
			}
			n := len(stackP)
			p := stackP[n-1]
			stackP = stackP[:n-1]
			c.perms = append(c.perms, p)
			andInto(tmpU, pr.col[p], pr.aliveU)
			tmpU.andNotWith(seenU)
			tmpU.forEach(func(u int32) { seenU.set(u); stackU = append(stackU, u) })
		}
		sortInt32(c.users)
		sortInt32(c.perms)
		out = append(out, c)
	})
	return out
}

// sub builds the problem of one component with local indices: E and the uncovered edges
// restricted to the component's vertices.
func (pr *prob) sub(c component) *prob {
	nu, np := len(c.users), len(c.perms)
	row := make([]bitset, nu)
	col := make([]bitset, np)
	for i := range col {
		col[i] = newBitset(nu)
	}
	s := &prob{nu: nu, np: np, row: row, col: col}
	s.uncR = make([]bitset, nu)
	s.uncC = make([]bitset, np)
	for i := range s.uncC {
		s.uncC[i] = newBitset(nu)
	}
	for i, u := range c.users {
		row[i] = newBitset(np)
		s.uncR[i] = newBitset(np)
		for j, p := range c.perms {
			if pr.row[u].has(p) {
				row[i].set(int32(j))
				col[j].set(int32(i))
				if pr.uncR[u].has(p) {
					s.uncR[i].set(int32(j))
					s.uncC[j].set(int32(i))
					s.left++
				}
			}
		}
	}
	s.aliveU = newBitset(nu)
	s.aliveP = newBitset(np)
	s.rowCnt = make([]int, nu)
	s.prune()
	return s
}

// lift maps a biclique of the component's problem back to pr's indices.
func (pr *prob) lift(c component, b biclique) biclique {
	out := biclique{users: newBitset(pr.nu), perms: newBitset(pr.np)}
	b.users.forEach(func(i int32) { out.users.set(c.users[i]) })
	b.perms.forEach(func(j int32) { out.perms.set(c.perms[j]) })
	return out
}
