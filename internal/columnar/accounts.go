package columnar

import (
	"cmp"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/prefault"
)

// sortedAccounts is what buildAccounts needs of the accounts table alone, which Load
// works out as soon as the file is read (sortAccounts), while the assignments are still
// being decoded: the systems sorted, each row's place in account order, each account's
// system and account_id (Accounts.System, Accounts.ID) and the check for duplicates
// (dupErr), and the account_id values hashed for the join with the assignments'.
type sortedAccounts struct {
	sysVals []string
	sysRank []int32
	order   []accountKey
	system  []int32
	id      []string
	dupErr  error
	ids     *joinIndex
	// owned says that owner, identity and found are filled (lookOwners), which Load has
	// done as soon as both the accounts and the identities were read.
	owned           bool
	owner, identity []int32
	found           UniverseFindings
}

// lookOwners fills each account's identity_id code (owner, -1: uncorrelated) and
// identity index (identity, -1: uncorrelated or unknown) in account order, and counts
// the uncorrelated accounts and those of unknown identities (found).
func (sa *sortedAccounts) lookOwners(t *table, identIdx *identityIndex) {
	ic := t.col("identity_id")
	identOf := identityCodes(ic, identIdx)
	sa.owner, sa.identity = prefault.Make[int32](t.rows), prefault.Make[int32](t.rows)
	ranges := splitEven(len(sa.order), 4*runtime.GOMAXPROCS(0))
	counts := make([]UniverseFindings, len(ranges)-1)
	forEach(len(ranges)-1, func(b int) {
		for n := ranges[b]; n < ranges[b+1]; n++ {
			code, ident := ic.code(int(sa.order[n].row)), int32(-1)
			switch {
			case code < 0:
				code = -1
				counts[b].UncorrelatedAccounts++
			case identOf[code] >= 0:
				ident = identOf[code]
			default:
				counts[b].AccountsOfUnknownIdentities++
			}
			sa.owner[n], sa.identity[n] = code, ident
		}
	})
	for _, c := range counts {
		sa.found.UncorrelatedAccounts += c.UncorrelatedAccounts
		sa.found.AccountsOfUnknownIdentities += c.AccountsOfUnknownIdentities
	}
	sa.owned = true
}

// sortAccounts sorts the accounts table, fills and checks the accounts in that order and
// indexes their ids in that order (the join's build side: an account's index is its
// build index). The account_id column's codes and values are then let go: sa.id holds
// the ids, and the collector has five million fewer strings to scan at tier L. The
// column is read unsealed (accountsSpec): its ids are taken from its arena by code, and
// sa.id is the only string header made for each.
func sortAccounts(t *table) *sortedAccounts {
	sc, ac := t.col("system"), t.col("account_id")
	ids := ac.text()
	sa := &sortedAccounts{}
	sa.sysVals, sa.sysRank = sortDict(sc.vals)
	sa.order = accountOrder(t.rows, sc, ac.codes, ids, sa.sysRank)
	sa.dupErr = checkAccountsUnique(t, sa.order, sc, ac.codes, ids)
	hash := newStringHash()
	hashes := sa.fill(sc, ac.codes, ids, hash)
	sa.ids = newJoinIndexHashed(sa.id, hash, hashes)
	ac.vals, ac.codes, ac.ends = nil, nil, nil
	ac.arena = strings.Builder{} // sa.id's strings keep what they point into
	return sa
}

// fill puts each account's system and id in account order (sa.system, sa.id) and returns
// the ids' hashes by hash in that order. The rows are read in file order and written
// where the order puts them (the order is inverted first): read in account order, each
// row's id was two reads at random that waited on one another (its code, then its end in
// the arena), and its bytes a third when hashed. acodes are the account_id column's
// codes, ids its values, sc the system column.
func (sa *sortedAccounts) fill(sc *column, acodes []int32, ids rawText, hash func(string) uint64) []uint64 {
	rows := len(sa.order)
	place := prefault.Make[int32](rows) // row -> its place in account order
	eachBlock(rows, func(lo, hi int) {
		for n, k := range sa.order[lo:hi] {
			place[k.row] = int32(lo + n)
		}
	})
	sa.system, sa.id = prefault.Make[int32](rows), prefault.Make[string](rows)
	hashes := prefault.Make[uint64](rows)
	eachBlock(rows, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			n, v := place[row], ids.at(acodes[row])
			sa.system[n] = sa.sysRank[sc.codes[row]]
			sa.id[n] = v
			hashes[n] = hash(v)
		}
	})
	return hashes
}

// buildAccounts turns the accounts table into Accounts, sorted by (system, account_id),
// correlating each to an identity index. A (system, account_id) given twice is a data
// error naming both rows. sa is the table's sortAccounts (nil: sorted here).
//
// asgIDs, when not nil, are the values of the assignments' account_id column by code:
// each code is joined here to the accounts with that account_id (Accounts.codeAccount,
// Accounts.links), for resolveAccounts, while the accounts' identities are looked up.
func buildAccounts(t *table, sa *sortedAccounts, identIdx *identityIndex, asgIDs []string, f *UniverseFindings) (*Accounts, error) {
	if sa == nil {
		sa = sortAccounts(t)
	}
	ic := t.col("identity_id")
	var looked sync.WaitGroup
	var bugs parallel.Bugs // a panic looking the owners up (a bug) is the error
	if !sa.owned {
		bugs.Go(&looked, func() { sa.lookOwners(t, identIdx) })
	}
	var head, next []int32
	if asgIDs != nil {
		head, next = sa.ids.joinChains(asgIDs)
	}
	looked.Wait()
	if err := bugs.Err(); err != nil {
		return nil, err
	}

	if sa.dupErr != nil {
		return nil, sa.dupErr
	}
	a := &Accounts{Systems: sa.sysVals, System: sa.system, ID: sa.id, Identity: sa.identity, owner: sa.owner}
	if ic != nil {
		a.owners = ic.vals
	}
	f.UncorrelatedAccounts += sa.found.UncorrelatedAccounts
	f.AccountsOfUnknownIdentities += sa.found.AccountsOfUnknownIdentities
	if head != nil {
		a.joinCodes(head, next)
	}
	return a, nil
}

// checkAccountsUnique reports each account (a row in account order) naming the same
// (system, account_id) as the one before it: those accountOrder marked (accountKey.dup),
// so that no id is compared here. acodes are the account_id column's codes, ids its
// values.
func checkAccountsUnique(t *table, order []accountKey, sc *column, acodes []int32, ids rawText) error {
	probs := newProblems(t.file)
	for n, k := range order {
		if !k.dup {
			continue
		}
		prev, row := int(order[n-1].row), int(k.row)
		probs.add(t.pos(row), "account_id", fmt.Sprintf("duplicate account %q in system %q (first at row %d); (system, account_id) must be unique",
			ids.at(acodes[row]), sc.vals[sc.codes[row]], t.pos(prev)))
	}
	return probs.err()
}

// joinCodes takes stringJoin's result of the assignments' account_id values against the
// accounts' ids (a build index is an account): head is codeAccount as it is, and links
// get each account's next of the same id, in parallel over blocks of accounts.
func (a *Accounts) joinCodes(head, next []int32) {
	a.codeAccount = head
	a.links = prefault.Make[accountLink](len(next))
	eachBlock(len(next), func(lo, hi int) {
		for x := lo; x < hi; x++ {
			a.links[x] = accountLink{system: a.System[x], identity: a.Identity[x], sameID: next[x], named: a.owner[x] >= 0}
		}
	})
}

// eachBlock runs f over the ranges of about 4 blocks per processor covering 0..n, in
// parallel.
func eachBlock(n int, f func(lo, hi int)) {
	bounds := splitEven(n, 4*runtime.GOMAXPROCS(0))
	forEach(len(bounds)-1, func(b int) { f(bounds[b], bounds[b+1]) })
}

// accountKey is a row of the accounts table keyed for sorting by its account_id's 8
// bytes from a depth on as a big-endian integer (word, zero bytes past the end) and by
// how many of the id's bytes are left from that depth (rest, at most 9: more than the
// word holds). Among ids sharing their first depth bytes, two keys unequal on (word,
// rest) compare as their ids do; equal on both with rest under 9, the ids are equal.
// The depth is the prefix every account_id of the system shares (such as
// "arn:aws:iam::"), and deeper for ids that also share the next 8 bytes (sortKeys). A
// key holds no pointer (the id is looked up by row): the garbage collector has millions
// fewer to scan.
//
// dup marks, once sortKeys is done, a key whose id equals the one before it (a duplicate
// account, the earlier row first): it takes the padding after rest, so a key stays 16
// bytes.
type accountKey struct {
	word uint64
	row  int32
	rest uint8
	dup  bool
}

// setDepth keys k by the bytes of its id v from depth on.
func (k *accountKey) setDepth(v string, depth int) {
	var w uint64
	if depth+8 <= len(v) {
		w = bigEndian64(v[depth : depth+8])
	} else {
		for j := depth; j < depth+8; j++ {
			w <<= 8
			if j < len(v) {
				w |= uint64(v[j])
			}
		}
	}
	k.word, k.rest = w, uint8(min(max(len(v)-depth, 0), 9))
}

// bigEndian64 returns the first 8 bytes of s (at least 8 long) as a big-endian integer:
// one load, where a loop over the bytes would take eight.
func bigEndian64(s string) uint64 {
	_ = s[7]
	return uint64(s[7]) | uint64(s[6])<<8 | uint64(s[5])<<16 | uint64(s[4])<<24 |
		uint64(s[3])<<32 | uint64(s[2])<<40 | uint64(s[1])<<48 | uint64(s[0])<<56
}

// compareKeys orders keys of one depth by (word, rest, row): by id and row, but for
// keys whose ids share the depth's 8 bytes and go on past them (rest 9).
func compareKeys(a, b accountKey) int {
	if a.word != b.word {
		return cmp.Compare(a.word, b.word)
	}
	if a.rest != b.rest {
		return cmp.Compare(a.rest, b.rest)
	}
	return cmp.Compare(a.row, b.row)
}

// sortKeys sorts keys (all keyed at depth, the ids of their rows, id(row), sharing the
// first depth bytes) by (id, row) comparing integers only: by compareKeys, then each run
// of keys equal on the word whose ids go on is keyed again past the bytes its ids share
// and sorted the same way. A system of cloud ids ("arn:aws:iam::user/...") whose few odd
// ids leave it no common prefix thus compares integers, not the 18 bytes every other id
// starts with.
//
// Keys equal on (word, rest) with rest under 9 hold equal ids: each such key but the
// first is marked dup. Keys with rest 9 are marked, if equal, in the run that keys them
// again, where they come next to each other too.
func sortKeys(keys []accountKey, id func(row int32) string, depth int) {
	sortKeysWith(keys, id, depth, nil)
}

// sortKeysWith is sortKeys where shares (nil: none) give, by word, what the ids keyed
// with that word and rest 9 share past it (wordShare): a run of keys whose share covers
// every one of them (count) is keyed again without a pass over its ids (sharedFrom).
func sortKeysWith(keys []accountKey, id func(row int32) string, depth int, shares map[uint64]wordShare) {
	sortAfterPrefixWith(keys, compareKeys, sortKeyTail)
	for k := 1; k < len(keys); k++ {
		a, b := &keys[k-1], &keys[k]
		b.dup = b.rest < 9 && a.word == b.word && a.rest == b.rest
	}
	var scratch []string // keyRun's, for each run in turn
	for lo := 0; lo < len(keys); {
		hi := lo + 1
		if keys[lo].rest == 9 {
			for hi < len(keys) && keys[hi].word == keys[lo].word && keys[hi].rest == 9 {
				hi++
			}
		}
		if hi-lo > 1 {
			run := keys[lo:hi]
			if share, ok := shares[run[0].word]; ok && share.count == len(run) {
				next := depth + 8 + share.n
				for k := range run {
					run[k].setDepth(id(run[k].row), next)
				}
				sortKeys(run, id, next)
			} else {
				next := keyRun(run, id, depth+8, &scratch)
				sortKeys(run, id, next)
			}
		}
		lo = hi
	}
}

// runSample is about how many ids of a run keyRun reads to guess what they share.
const runSample = 32

// minGatherRun is the shortest run keyRun gathers the ids of: a shorter one's ids stay
// in the cache from one pass to the next, and a sorted dictionary's many short runs
// (emails sharing a first name) would each make a slice.
const minGatherRun = 4 * runSample

// keyRun keys again, past the bytes they share, the keys of a run whose ids share their
// first from bytes (equal on the word, rest 9), and returns that depth. At the tier L
// universe the runs are mostly each system's service accounts ("svc-tracing-staging-..."),
// whose rows are spread over the file: each id read misses the cache, through the
// account_id codes, the arena's ends and the arena. So the ids' string headers are
// gathered first, in a loop whose reads do not wait on one another, and their bytes are
// then read once: what they share is guessed from a sample of them (the first, the last
// and runSample between), which can only guess too many bytes, and checked as each key
// is made. Should an id share fewer, they are found over every id and the keys made
// again. A run shorter than minGatherRun is read twice, as before. (sharedFrom and a
// pass keying the ids, reading each id twice one at a time, took about 9% more CPU for
// the tier L universe's accounts, in alternation.)
func keyRun(run []accountKey, id func(row int32) string, from int, scratch *[]string) int {
	if len(run) < minGatherRun {
		next := from + sharedFrom(run, id, from)
		for k := range run {
			run[k].setDepth(id(run[k].row), next)
		}
		return next
	}
	// The ids first, in a loop whose reads do not wait on one another.
	vals := slices.Grow((*scratch)[:0], len(run))[:len(run)]
	defer func() { clear(vals); *scratch = vals[:0] }() // no ids kept alive by the scratch
	for k := range run {
		vals[k] = id(run[k].row)
	}
	first := vals[0][from:]
	n := len(first)
	step := max(1, len(run)/runSample)
	for k := step; k < len(run) && n > 0; k += step {
		n = sharedUpTo(first, vals[k][from:], n)
	}
	n = sharedUpTo(first, vals[len(vals)-1][from:], n)
	for k, v := range vals {
		if sharedUpTo(first, v[from:], n) < n {
			n = len(first)
			for _, v := range vals {
				n = sharedUpTo(first, v[from:], n)
			}
			for k, v := range vals {
				run[k].setDepth(v, from+n)
			}
			return from + n
		}
		run[k].setDepth(v, from+n)
	}
	return from + n
}

// sharedFrom returns how many bytes from depth on the ids of every row of keys share.
func sharedFrom(keys []accountKey, id func(row int32) string, depth int) int {
	first := id(keys[0].row)[depth:]
	n := len(first)
	for _, k := range keys[1:] {
		if n = sharedUpTo(first, id(k.row)[depth:], n); n == 0 {
			break
		}
	}
	return n
}

// sharedUpTo returns how many of the first n bytes of a (n at most len(a)) b shares with
// a, comparing 8 bytes at a time while both strings have them: a run's ids share a few
// bytes each (the "iam::user/" of cloud ids, an email's "ith."), which a byte loop would
// compare one by one for every id, as a prefix cut to n bytes would.
func sharedUpTo(a, b string, n int) int {
	k := 0
	for k < n && k+8 <= len(a) && k+8 <= len(b) {
		if x := bigEndian64(a[k:]) ^ bigEndian64(b[k:]); x != 0 {
			return min(n, k+bits.LeadingZeros64(x)/8)
		}
		k += 8
	}
	for k < n && k < len(b) && a[k] == b[k] {
		k++
	}
	return min(k, n)
}

// commonPrefixLen returns how many leading bytes a and b share, comparing 8 bytes at a
// time while both have them.
func commonPrefixLen(a, b string) int {
	n := 0
	for n+8 <= len(a) && n+8 <= len(b) {
		if x := bigEndian64(a[n:]) ^ bigEndian64(b[n:]); x != 0 {
			return n + bits.LeadingZeros64(x)/8
		}
		n += 8
	}
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// accountOrder returns the rows of the accounts table sorted by (system, account_id), ties
// (a duplicate account) in file order, so that the first row is the one kept. Each system's rows are sorted on integers (sortKeys), with no string comparison.
// The systems are sorted in parallel. acodes are the account_id column's codes, ids its
// values.
func accountOrder(rows int, sc *column, acodes []int32, ids rawText, sysRank []int32) []accountKey {
	blocks := splitEven(rows, 4*runtime.GOMAXPROCS(0))
	nb, ns := len(blocks)-1, len(sysRank)
	lcp := commonPrefixes(blocks, sc, acodes, ids)
	// Bucket the rows by system rank (a counting sort, file order within a system: each
	// block of rows fills from where the blocks before it end), then sort each system's
	// rows on their own, systems in parallel.
	next := make([][]int, nb) // per block, per system rank: its next slot
	forEach(nb, func(b int) {
		cnt := make([]int, ns)
		for row := blocks[b]; row < blocks[b+1]; row++ {
			cnt[sysRank[sc.codes[row]]]++
		}
		next[b] = cnt
	})
	start := make([]int, ns+1)
	for r := range ns {
		pos := start[r]
		for b := range nb {
			c := next[b][r]
			next[b][r] = pos
			pos += c
		}
		start[r+1] = pos
	}
	keys := prefault.Make[accountKey](rows)
	depth := make([]int, ns) // per system rank
	for code, p := range lcp {
		depth[sysRank[code]] = len(p)
	}
	// shares[b][r]: what block b's ids of system r share past their words at depth.
	shares := make([][]wordShares, nb)
	forEach(nb, func(b int) {
		fill, share := next[b], make([]wordShares, ns)
		for row := blocks[b]; row < blocks[b+1]; row++ {
			r := sysRank[sc.codes[row]]
			k := &keys[fill[r]]
			k.row = int32(row)
			v := ids.at(acodes[row])
			k.setDepth(v, depth[r])
			share[r].add(*k, v, depth[r])
			fill[r]++
		}
		for r := range share {
			share[r].flush()
		}
		shares[b] = share
	})
	id := func(row int32) string { return ids.at(acodes[row]) }
	forEach(ns, func(r int) {
		sortKeysWith(keys[start[r]:start[r+1]], id, depth[r], mergeShares(shares, r))
	})
	return keys
}

// wordShare is what the ids of one system keyed with one word and rest 9 (accountKey)
// share past the word: the first id's bytes past it (first), how many of them every
// other id shares (n), and how many ids that covers (count). The keying pass gathers
// them while the ids are in the cache, so that sortKeysWith need not read the ids of a
// run again (sharedFrom) to key it deeper: at the tier L universe about a million ids
// in 17 thousand runs, the service accounts' "svc-tracing-staging-..." and AWS's
// "arn:aws:iam::user/...", in systems whose few odd ids leave no common prefix.
type wordShare struct {
	word  uint64
	first string
	n     int
	count int
}

// wordShares gathers the shares of one system's keys in one block of rows, a share for
// each stretch of consecutive keys with one word (cur, then done): ids of a word come
// together in exports (a service's accounts numbered in order). A stretch of one key is
// dropped; a run some of whose keys were dropped counts fewer keys than it has, and
// sortKeysWith then reads its ids as before. At most maxShares stretches are kept.
type wordShares struct {
	cur  wordShare
	done []wordShare
}

// maxShares bounds the stretches a block keeps for a system: ids that alternate words
// (a system's service accounts, interleaved by service) would otherwise keep a share for
// every other key, none of which covers its run. A word whose ids do come together has
// one stretch a block.
const maxShares = 64

// add takes in key k of id v, keyed at depth (keys with rest under 9 are not keyed again).
func (w *wordShares) add(k accountKey, v string, depth int) {
	if k.rest != 9 {
		return
	}
	tail := v[depth+8:]
	if c := &w.cur; c.count > 0 && c.word == k.word {
		if c.n > 0 {
			c.n = sharedUpTo(c.first, tail, c.n)
		}
		c.count++
		return
	}
	w.flush()
	w.cur = wordShare{word: k.word, first: tail, n: len(tail), count: 1}
}

// flush keeps the current stretch if it holds more than one key and there is room.
func (w *wordShares) flush() {
	if w.cur.count > 1 && len(w.done) < maxShares {
		w.done = append(w.done, w.cur)
	}
	w.cur = wordShare{}
}

// mergeShares joins the blocks' shares of system r (shares[b][r], flushed) by word.
func mergeShares(shares [][]wordShares, r int) map[uint64]wordShare {
	var m map[uint64]wordShare
	for _, part := range shares {
		for _, p := range part[r].done {
			if m == nil {
				m = make(map[uint64]wordShare)
			}
			q, ok := m[p.word]
			if ok {
				p.n = sharedUpTo(q.first, p.first, min(q.n, p.n))
				p.first, p.count = q.first, q.count+p.count
			}
			m[p.word] = p
		}
	}
	return m
}

// commonPrefixes returns, per system code, the longest prefix every account_id of the
// system shares (acodes: the account_id column's codes, ids its values), found over
// blocks of rows in parallel.
func commonPrefixes(blocks []int, sc *column, acodes []int32, ids rawText) []string {
	nb := len(blocks) - 1
	parts := make([][]string, nb) // per block, per system code
	seen := make([][]bool, nb)
	forEach(nb, func(b int) {
		lcp, ok := make([]string, len(sc.vals)), make([]bool, len(sc.vals))
		for row := blocks[b]; row < blocks[b+1]; row++ {
			s := sc.codes[row]
			lcp[s], ok[s] = sharedPrefix(lcp[s], ids.at(acodes[row]), ok[s]), true
		}
		parts[b], seen[b] = lcp, ok
	})
	lcp, ok := make([]string, len(sc.vals)), make([]bool, len(sc.vals))
	for b := range nb {
		for s := range lcp {
			if seen[b][s] {
				lcp[s], ok[s] = sharedPrefix(lcp[s], parts[b][s], ok[s]), true
			}
		}
	}
	return lcp
}

// sharedPrefix returns the longest common prefix of p and v, or v when p is not yet set
// (ok false).
func sharedPrefix(p, v string, ok bool) string {
	if !ok {
		return v
	}
	n := 0
	for n < len(p) && n < len(v) && p[n] == v[n] {
		n++
	}
	return p[:n]
}

// resolveAccounts resolves each row of an assignments file with account columns to the
// identity it grants (docs/effective-privilege.md). A row names an identity_id, or a
// system and an account_id, or both:
//   - neither, or only one of system and account_id: a data error;
//   - both, where the account is correlated to another identity: a data error;
//   - a row naming no identity, whose account is absent from accounts, uncorrelated, or
//     correlated to an identity absent from identities: the access is orphan, with the
//     account named;
//   - a row naming an identity, whose account is uncorrelated or absent from accounts:
//     the row's identity holds the access (docs/effective-privilege.md#absent-account).
//
// It replaces the table's identity_id column so that buildAssignments sees one identity
// key per row: the identity id, or for orphan access a key naming the account (which
// never equals an identity id, as it starts with a NUL byte), and returns each row's
// account (-1 for none). The new column's dictionary starts with identIDs, the identity
// ids in index order, so that the key of identity i is code i.
//
// Everything is resolved by codes (buildAccounts joined the account_id codes to the
// accounts; the identity of each identity_id code is looked up once), in parallel over
// blocks of rows; the few rows of orphan access get their keys afterwards, in row order.
// The keys and the accounts are written over the identity_id and account_id columns'
// codes, row by row once read (newAccountResolver): at tier L that is two arrays of 27
// million rows the process need not fault in afresh.
func resolveAccounts(t *table, accts *Accounts, identIDs []string, identIdx *identityIndex, f *UniverseFindings) ([]int32, error) {
	r := newAccountResolver(t, accts, identIDs, identIdx)
	const block = 1 << 16
	blocks := (t.rows + block - 1) / block
	orphan := make([][]orphanRow, blocks) // per block: the rows whose key is an orphan key
	unknown := make([]int, blocks)
	forEach(blocks, func(b int) {
		orphan[b], unknown[b] = r.resolveBlock(b*block, min(t.rows, (b+1)*block))
	})
	if err := r.probs.err(); err != nil {
		return nil, err
	}
	for b := range blocks {
		f.UnknownAccountAssignments += unknown[b]
		for _, o := range orphan[b] {
			r.key.codes[o.row] = r.key.internString(r.orphanKey(o))
		}
	}
	if ic := r.ic; ic == nil {
		t.cols = append(t.cols, r.key)
	} else {
		*ic = *r.key
	}
	return r.rows, nil
}

// resolveBlock resolves rows lo..hi-1 and returns those of orphan access and the count
// of those naming an unknown account. Most rows of a universe name an account and no
// identity_id (a person's grants through an account): such a row looks up its account
// only when its system's row before named another (found), and when the account belongs
// to a known identity it is resolved here, with no call to resolve and its cases.
func (r *accountResolver) resolveBlock(lo, hi int) (orphan []orphanRow, unknown int) {
	last := r.newLastFound()
	var icodes []int32
	if r.ic != nil {
		icodes = r.ic.codes[:hi]
	}
	var scodes, acodes []int32
	if r.sc != nil && r.ac != nil {
		scodes, acodes = r.sc.codes[:hi], r.ac.codes[:hi]
	}
	rows, keys := r.rows[:hi], r.key.codes[:hi]
	for row := lo; row < hi; row++ {
		o := orphanRow{int32(row), -1, -1, -1}
		if icodes != nil {
			o.icode = icodes[row]
		}
		if scodes != nil {
			o.scode, o.acode = scodes[row], acodes[row]
			if o.icode < 0 && o.scode >= 0 && o.acode >= 0 {
				f := &last[o.scode]
				if f.acode != o.acode {
					*f = r.found(o.scode, o.acode)
				}
				if f.identity >= 0 {
					rows[row], keys[row] = f.x, f.identity
					continue
				}
			}
		} else {
			o.scode, o.acode = r.sc.code(row), r.ac.code(row)
		}
		status := r.resolve(row, o.icode, o.scode, o.acode, last)
		if status&rowOrphan != 0 {
			orphan = append(orphan, o)
		}
		if status&rowUnknownAccount != 0 {
			unknown++
		}
	}
	return orphan, unknown
}

// accountResolver holds what resolveAccounts looks up by code: the assignments' columns,
// the identity index of each identity_id code and the accounts' system of each system
// code; and what it writes: each row's account and identity key.
type accountResolver struct {
	t          *table
	accts      *Accounts
	ic, sc, ac *column
	identOf    []int32 // identity_id code -> identity index, -1: unknown
	sysRank    []int32 // system code -> index into accts.Systems, -1: none
	probs      *problems
	rows       []int32 // each row's account, -1: none
	key        *column
}

// newAccountResolver readies the resolution of t's rows. The rows' accounts go over the
// account_id column's codes and their keys over the identity_id column's when there are
// such columns: resolve reads a row's codes before it writes the row, and no row's codes
// are read again (orphanRow keeps those of the rows resolved later).
func newAccountResolver(t *table, accts *Accounts, identIDs []string, identIdx *identityIndex) *accountResolver {
	ic, sc, ac := t.col("identity_id"), t.col("system"), t.col("account_id")
	r := &accountResolver{t: t, accts: accts, ic: ic, sc: sc, ac: ac, identOf: identityCodes(ic, identIdx),
		probs: newProblems(t.file), rows: reuseCodes(ac, t.rows)}
	if sc != nil {
		r.sysRank = make([]int32, len(sc.vals))
		for code, name := range sc.vals {
			r.sysRank[code] = -1
			if accts != nil {
				if k, ok := slices.BinarySearch(accts.Systems, name); ok {
					r.sysRank[code] = int32(k)
				}
			}
		}
	}
	r.key = newColumn("identity_id", modeValue, nil, 0)
	r.key.keys = true // orphanKey joins with NUL
	r.key.vals = make([]string, len(identIDs), len(identIDs)+64)
	copy(r.key.vals, identIDs)
	r.key.identityPrefix = len(identIDs)
	r.key.codes = reuseCodes(ic, t.rows)
	return r
}

// reuseCodes returns c's codes to be written over, or a new array when c is missing or
// has not one code per row.
func reuseCodes(c *column, rows int) []int32 {
	if c != nil && len(c.codes) == rows {
		return c.codes
	}
	return make([]int32, rows)
}

// halfAccountMessage says what is wrong with a row of t that names an account without its
// missing column (system or account_id), which t may lack altogether.
func halfAccountMessage(t *table, missing string) string {
	if t.col(missing) == nil {
		return fmt.Sprintf("the file has no %s column; an account is named by both system and account_id: add the column, or leave the other empty", missing)
	}
	return fmt.Sprintf("empty %s; an account is named by both system and account_id", missing)
}

// orphanRow is a row of orphan access with its codes in the identity_id, system and
// account_id columns, from which its key is made once every row is resolved.
type orphanRow struct{ row, icode, scode, acode int32 }

// What resolve found for a row, beyond its account and key: bits, rowUnknownOrphan
// being both of the others.
const (
	rowResolved       = iota
	rowOrphan         // orphan access: the key is to be interned (orphanKey)
	rowUnknownAccount // the row names an account absent from accounts
	rowUnknownOrphan  // both
)

// resolve resolves one row, whose codes are icode, scode and acode: its account in
// r.rows, its identity key in r.key.codes unless the access is orphan, data errors in
// r.probs. Rows may be resolved in parallel.
func (r *accountResolver) resolve(row int, icode, scode, acode int32, last []lastFound) int {
	r.rows[row], r.key.codes[row] = -1, codeEmpty
	switch {
	case scode < 0 && acode < 0:
		if icode < 0 {
			r.probs.add(r.t.pos(row), "identity_id", "no identity_id and no system+account_id; expected an identity, an account, or both")
			return rowResolved
		}
		return r.identityKey(row, icode)
	case scode < 0 || acode < 0:
		missing := "system"
		if acode < 0 {
			missing = "account_id"
		}
		r.probs.add(r.t.pos(row), missing, halfAccountMessage(r.t, missing))
		return rowResolved
	}
	f := &last[scode]
	if f.acode != acode {
		*f = r.found(scode, acode)
	}
	x, named, ownerIx := f.x, f.named, f.identity
	r.rows[row] = x
	var status int
	switch {
	case icode < 0 && ownerIx >= 0:
		r.key.codes[row] = ownerIx
	case icode < 0:
		status = rowOrphan
	case named && !r.sameIdentity(x, ownerIx, icode):
		r.probs.add(r.t.pos(row), "identity_id", fmt.Sprintf("identity %q, but account %q of system %q belongs to identity %q in accounts; expected the same identity or an empty identity_id",
			r.ic.vals[icode], r.ac.vals[acode], r.sc.vals[scode], r.accts.IdentityID(int(x))))
	default:
		status = r.identityKey(row, icode)
	}
	if x < 0 {
		return status | rowUnknownAccount
	}
	return status
}

// lastFound is, for one system code, the account the last row of that system resolved
// named (acode, -1: none yet), and what resolve needs of it: the account x (-1:
// unknown), whether it names an identity and the identity's index. A person's rows in a
// system name the same account, so most rows take it from there rather than from the
// join's chains and the accounts' links, read at random.
type lastFound struct {
	acode, x, identity int32
	named              bool
}

// newLastFound returns an empty lastFound per system code.
func (r *accountResolver) newLastFound() []lastFound {
	n := 0
	if r.sc != nil {
		n = len(r.sc.vals)
	}
	last := make([]lastFound, n)
	for k := range last {
		last[k].acode = -1
	}
	return last
}

// found looks up the account (system code, account_id code) names (find) and what
// resolve needs of it.
func (r *accountResolver) found(scode, acode int32) lastFound {
	f := lastFound{acode: acode, x: r.find(scode, acode), identity: -1}
	if f.x >= 0 {
		l := &r.accts.links[f.x]
		f.named, f.identity = l.named, l.identity
	}
	return f
}

// find returns the account (system code, account_id code) names, or -1.
func (r *accountResolver) find(scode, acode int32) int32 {
	a := r.accts
	if a == nil || a.codeAccount == nil || r.sysRank[scode] < 0 {
		return -1
	}
	sys := r.sysRank[scode]
	for x := a.codeAccount[acode]; x >= 0; x = a.links[x].sameID {
		if a.links[x].system == sys {
			return x
		}
	}
	return -1
}

// sameIdentity reports whether the identity_id of code icode names the identity account
// x is correlated to (ownerIx: its index, or -1 for an identity absent from identities).
func (r *accountResolver) sameIdentity(x, ownerIx, icode int32) bool {
	if i := r.identOf[icode]; i >= 0 && ownerIx >= 0 {
		return i == ownerIx
	}
	return r.accts.IdentityID(int(x)) == r.ic.vals[icode]
}

// identityKey sets the key of a row granting the identity_id of code icode: the
// identity's index when it is known; otherwise the access is orphan.
func (r *accountResolver) identityKey(row int, icode int32) int {
	if i := r.identOf[icode]; i >= 0 {
		r.key.codes[row] = i
		return rowResolved
	}
	return rowOrphan
}

// orphanKey returns the identity key of a row of orphan access: the identity id of a row
// naming no account, else the key naming the account and the identity the row or the
// account names ("" for none).
func (r *accountResolver) orphanKey(o orphanRow) string {
	icode, scode, acode := o.icode, o.scode, o.acode
	if scode < 0 && acode < 0 {
		return r.ic.vals[icode]
	}
	id := ""
	if icode >= 0 {
		id = r.ic.vals[icode]
	} else if x := r.find(scode, acode); x >= 0 {
		id = r.accts.IdentityID(int(x))
	}
	return orphanKey(id, r.sc.vals[scode], r.ac.vals[acode])
}

// orphanKey is the identity key of orphan access through an account.
func orphanKey(identity, system, account string) string {
	return "\x00" + identity + "\x00" + system + "\x00" + account
}

// sortAfterPrefix sorts s (whose elements compare equal only to themselves) by sorting
// what follows its longest ascending prefix and merging the two: exports are often
// ordered already for most of their rows (the accounts of people by identity, with the
// service accounts after them), and the prefix then costs one comparison a row. The
// merge copies out the shorter of the two runs only, and leaves in place the prefix's
// elements below the tail's first.
func sortAfterPrefix[T any](s []T, cmp func(a, b T) int) {
	sortAfterPrefixWith(s, cmp, func(tail []T) { slices.SortFunc(tail, cmp) })
}

// sortAfterPrefixWith is sortAfterPrefix sorting the tail by sortTail, which must order
// it as cmp does.
func sortAfterPrefixWith[T any](s []T, cmp func(a, b T) int, sortTail func([]T)) {
	p := 1
	for p < len(s) && cmp(s[p-1], s[p]) < 0 {
		p++
	}
	if p >= len(s) {
		return
	}
	tail := s[p:]
	sortTail(tail)
	if cmp(s[p-1], tail[0]) < 0 {
		return
	}
	// The prefix's elements below tail[0] stay where they are.
	lo, _ := slices.BinarySearchFunc(s[:p], tail[0], cmp)
	if len(tail) <= p-lo {
		// Merge from the end, the tail copied out: the prefix moves up only.
		buf := slices.Clone(tail)
		i, j, w := p-1, len(buf)-1, len(s)-1
		for j >= 0 {
			if i >= lo && cmp(s[i], buf[j]) > 0 {
				s[w] = s[i]
				i--
			} else {
				s[w] = buf[j]
				j--
			}
			w--
		}
		return
	}
	head := slices.Clone(s[lo:p])
	i, j, w := 0, 0, lo
	for i < len(head) && j < len(tail) {
		if cmp(head[i], tail[j]) < 0 {
			s[w] = head[i]
			i++
		} else {
			s[w] = tail[j]
			j++
		}
		w++
	}
	copy(s[w:], head[i:]) // what is left of tail is in place already
}

// minRadixKeys is the number of keys from which sortKeyTail sorts by radix: below it a
// comparison sort costs less than the radix sort's passes over 256 counts.
const minRadixKeys = 512

// sortKeyTail sorts keys by compareKeys: by radix (radixSortKeys) when they are many and
// come in row order, as the loader's keys do (a system's rows in file order, a
// dictionary's codes, a run of keys equal on their word), else by comparisons.
func sortKeyTail(keys []accountKey) {
	if len(keys) < minRadixKeys || !rowsAscending(keys) {
		slices.SortFunc(keys, compareKeys)
		return
	}
	radixSortKeys(keys, make([]accountKey, len(keys)))
}

// rowsAscending reports whether keys' rows ascend.
func rowsAscending(keys []accountKey) bool {
	for k := 1; k < len(keys); k++ {
		if keys[k-1].row >= keys[k].row {
			return false
		}
	}
	return true
}

// radixSortKeys sorts keys whose rows ascend by (word, rest), so by compareKeys: a
// least significant digit first radix sort, stable, so that keys equal on both keep
// their row order. The digits are rest and the word's eight bytes; a digit every key
// shares takes no pass. buf is scratch of len(keys).
func radixSortKeys(keys, buf []accountKey) {
	var counts [9][256]int
	for _, k := range keys {
		counts[0][k.rest]++
		for d := 1; d < 9; d++ {
			counts[d][byte(k.word>>(8*(d-1)))]++
		}
	}
	src, dst := keys, buf
	for d := range 9 {
		c := &counts[d]
		if slices.Contains(c[:], len(keys)) {
			continue // every key has the same digit
		}
		pos := 0
		for v, n := range c {
			c[v] = pos
			pos += n
		}
		for _, k := range src {
			v := k.rest
			if d > 0 {
				v = byte(k.word >> (8 * (d - 1)))
			}
			dst[c[v]] = k
			c[v]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}
