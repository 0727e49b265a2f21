package columnar

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ids and values are compared byte for byte (docs/inputs.md#input-ids): "u1", "U1", "u1 "
// and, for numbers, "123" and "00123" are different ids. Exports and spreadsheets respell
// ids that way (a padded cell, an upper-cased column, leading zeros dropped), so loading
// says so on stderr where it matters rather than leave the access to show up only as
// orphans, implicit roles or values no rule matches.

// maxLookalikeExamples is how many examples a lookalike warning quotes.
const maxLookalikeExamples = 3

// lookalikeKey returns id without surrounding white space, in lower case and, when it is
// a decimal number, without leading zeros: the form under which two ids that one of the
// other spelt differently compare equal. It allocates only when id is not in that form.
func lookalikeKey(id string) string {
	k := strings.ToLower(strings.TrimSpace(id))
	if len(k) > 1 && k[0] == '0' && isDecimal(k) {
		k = strings.TrimLeft(k, "0")
		if k == "" {
			k = "0"
		}
	}
	return k
}

// isDecimal reports whether s is made of ASCII digits only.
func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// padded reports whether s starts or ends with white space (a space, a tab, a no-break
// space, ...).
func padded(s string) bool {
	if s == "" {
		return false
	}
	if a, z := s[0], s[len(s)-1]; a < utf8.RuneSelf && z < utf8.RuneSelf {
		return asciiSpace(a) || asciiSpace(z) // the common case, without decoding
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}

// asciiSpace reports whether c is an ASCII white-space byte, as unicode.IsSpace says.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// examples collects up to maxLookalikeExamples quoted examples and counts them all.
type examples struct {
	n    int
	list []string
}

// add counts one more example, kept if there is room.
func (e *examples) add(text string) {
	e.n++
	if len(e.list) < maxLookalikeExamples {
		e.list = append(e.list, text)
	}
}

// String joins the examples kept.
func (e *examples) String() string { return strings.Join(e.list, ", ") }

// pair quotes two ids as `"a" for "b"`.
func pair(a, b string) string { return strconv.Quote(a) + " for " + strconv.Quote(b) }

// warnLookalikes warns about ids and values that are probably not what the export meant:
// padded identity ids, role ids and attribute values; identities of identitiesFile whose
// ids differ only in case, padding or leading zeros; orphan identity ids that name a known
// identity so respelt; and implicit roles that name a role of rolesFile so respelt.
func warnLookalikes(log *slog.Logger, s *Snapshot, identitiesFile, rolesFile, assignmentsFile, accountsFile string) {
	if !log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	warnPadded(log, s, identitiesFile)
	if names := nameLookalikes(s.Dims, s.KindDim); names.n > 0 {
		log.Warn("attribute names are exact: these attributes differ only in letter case or surrounding white space, and are distinct attributes",
			"count", names.n, "examples", names.String())
	}
	if accounts := accountLookalikes(s); accounts.n > 0 {
		log.Warn("ids are exact: these accounts named by assignments are absent from accounts but name one of its accounts but for letter case, surrounding white space or leading zeros; their access is orphan",
			"file", accountsFile, "columns", "system, account_id", "count", accounts.n, "examples", accounts.String())
	}
	if s.Universe != nil && s.Universe.Accounts != nil {
		if systems := systemLookalikes(s.Universe.Accounts.Systems); systems.n > 0 {
			log.Warn("ids are exact: these systems of accounts differ only in letter case, and are distinct systems",
				"file", accountsFile, "column", "system", "count", systems.n, "examples", systems.String())
		}
	}
	if apps := applicationLookalikes(s); apps.n > 0 {
		log.Warn("ids are exact: these applications of roles are no system of accounts but name one of its systems but for letter case or surrounding white space; a role's application is its system, so its pairs granted on the identity alone or inherited, and its suggestions, count under another system than its accounts' grants",
			"file", rolesFile, "column", "application", "count", apps.n, "examples", apps.String())
	}
	if accountsFile != "" {
		assignmentsFile += ", " + accountsFile
	}
	var owners []string
	if s.Universe != nil {
		owners = s.Universe.Owners
	}
	same, orphans, ownersLike := identityLookalikes(s.IdentityIDs, s.Findings.OrphanIdentities, owners)
	if ownersLike.n > 0 {
		log.Warn("ids are exact: these owners are no identity's id but name an identity but for letter case, surrounding white space or leading zeros; the identities they own have an owner absent from identities",
			"file", identitiesFile, "column", "owner_id", "count", ownersLike.n, "examples", ownersLike.String())
	}
	if same.n > 0 {
		log.Warn("ids are exact: these identities differ only in letter case, surrounding white space or leading zeros, and are distinct identities",
			"file", identitiesFile, "column", "identity_id", "count", same.n, "examples", same.String())
	}
	if orphans.n > 0 {
		log.Warn("ids are exact: these orphan identity ids name an identity of identities but for letter case, surrounding white space or leading zeros; their access is orphan",
			"file", assignmentsFile, "column", "identity_id", "count", orphans.n, "examples", orphans.String())
	}
	if u := s.Universe; u != nil && len(u.Findings.UnknownAttributeIdentities) > 0 {
		// the first few unknown identities of the attributes file, as the finding lists them
		if n, ex := LookalikesOf(s.IdentityIDs, u.Findings.UnknownAttributeIdentities); n > 0 {
			log.Warn("ids are exact: these identities of the attributes file are absent from identities but name one of its identities but for letter case, surrounding white space or leading zeros; their rows are ignored",
				"file", inputFile(s, "attributes"), "column", "identity_id", "count", n, "examples", ex)
		}
	}
	if rolesFile == "" {
		return
	}
	if roles := roleLookalikes(&s.Roles); roles.n > 0 {
		log.Warn("ids are exact: these roles are absent from roles but name one of its roles but for letter case, surrounding white space or leading zeros; they are implicit roles",
			"file", rolesFile, "column", "role_id", "count", roles.n, "examples", roles.String())
	}
}

// warnPadded warns about identity ids, role ids and attribute values (the kinds written
// like human aside, which have their own warning) that start or end with white space:
// they are kept as written ("service_account " is another kind than service_account).
func warnPadded(log *slog.Logger, s *Snapshot, identitiesFile string) {
	warnSkipping := func(what string, list []string, skip func(string) bool, args ...any) {
		if e := paddedOf(list, skip); e.n > 0 {
			log.Warn(what+" starts or ends with white space, kept as written (ids and values are exact)",
				append(args, "count", e.n, "examples", e.String())...)
		}
	}
	warn := func(what string, list []string, args ...any) { warnSkipping(what, list, nil, args...) }
	warn("an identity id", s.IdentityIDs, "file", identitiesFile, "column", "identity_id")
	// " " for an empty cell, or a padded id no identity has
	warn("an orphan identity id", s.Findings.OrphanIdentities, "column", "identity_id")
	warn("a role id", s.Roles.IDs, "column", "role_id")
	if u := s.Universe; u != nil && u.Accounts != nil {
		// Account ids are not scanned: millions of them, read at random (a cache miss
		// each), for a padding that matters only where an assignment spells the account
		// otherwise, which accountLookalikes names.
		warn("a system", u.Accounts.Systems, "column", "system")
	}
	human := func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "human") }
	for d := range s.Dims {
		var skip func(string) bool
		if d == s.KindDim {
			skip = human // the human-like kinds have their own warning
		}
		warnSkipping("an attribute value", s.Dims[d].Values, skip, "attribute", s.Dims[d].Name)
	}
}

// paddedOf returns the strings of list that start or end with white space, quoted,
// leaving out those skip (if set) accepts.
func paddedOf(list []string, skip func(string) bool) (out examples) {
	for _, v := range list {
		if padded(v) && (skip == nil || !skip(v)) {
			out.add(strconv.Quote(v))
		}
	}
	return out
}

// keyHash returns a hash of lookalikeKey(id) and whether id is in its key's form,
// without allocating for an ASCII id.
func keyHash(id string) (h uint64, keyForm bool) {
	const offset, prime = 14695981039346656037, 1099511628211
	if id == "" {
		return offset, true
	}
	first, last := id[0], id[len(id)-1]
	if first >= utf8.RuneSelf || last >= utf8.RuneSelf || first == ' ' || last == ' ' ||
		first == '\t' || last == '\t' || first == '\n' || last == '\n' || first == '\r' || last == '\r' ||
		first == '\v' || last == '\v' || first == '\f' || last == '\f' {
		k := lookalikeKey(id)
		h = offset
		for i := 0; i < len(k); i++ {
			h = (h ^ uint64(k[i])) * prime
		}
		return h, k == id
	}
	keyForm = true
	i := 0
	if first == '0' && len(id) > 1 && isDecimal(id) {
		keyForm = false
		for i < len(id)-1 && id[i] == '0' {
			i++
		}
	}
	h = offset
	for ; i < len(id); i++ {
		c := id[i]
		if c >= utf8.RuneSelf {
			k := lookalikeKey(id)
			h = offset
			for j := 0; j < len(k); j++ {
				h = (h ^ uint64(k[j])) * prime
			}
			return h, k == id
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			keyForm = false
		}
		h = (h ^ uint64(c)) * prime
	}
	return h, keyForm
}

// identityLookalikes returns the identities whose ids share a lookalikeKey with an
// earlier identity, the orphan ids that share one with an identity, and the owner ids
// (identities.owner_id) that are no identity's id but share one with an identity. It
// hashes the keys (keyHash) and compares the keys themselves only where hashes meet, so
// that millions of ids cost one pass and no allocation when they are in their key's form.
func identityLookalikes(ids, orphanIDs, owners []string) (same, orphans, ownersLike examples) {
	wanted := append(slices.Clip(orphanIDs), absentOwners(ids, owners)...)
	var respelt []hashed // the identities not in their key's form
	match, exact := matchWanted(ids, wanted, &respelt)
	if len(respelt) > 0 {
		sameIdentities(ids, respelt, &same)
	}
	for w, m := range match {
		switch {
		case m == 0 || exact[w]:
		case w < len(orphanIDs):
			orphans.add(pair(wanted[w], ids[m-1]))
		default:
			ownersLike.add(pair(wanted[w], ids[m-1]))
		}
	}
	return same, orphans, ownersLike
}

// matchWanted finds, for each of wanted, whether it is one of ids (exact) and else the
// first of ids that shares its lookalikeKey (match: 1 + its index, 0 for none). With
// respelt set, it also collects the ids not in their key's form, with their hashes. One
// pass over ids, without allocation for ids in their key's form.
func matchWanted(ids, wanted []string, respelt *[]hashed) (match []int, exact []bool) {
	at := make(map[uint64][]int, len(wanted)) // key hash -> wanted ids
	for w, id := range wanted {
		h, _ := keyHash(id)
		at[h] = append(at[h], w)
	}
	match = make([]int, len(wanted))
	exact = make([]bool, len(wanted))
	for i, id := range ids {
		h, keyForm := keyHash(id)
		for _, w := range at[h] {
			if wanted[w] == id {
				exact[w] = true
			} else if match[w] == 0 && lookalikeKey(wanted[w]) == lookalikeKey(id) {
				match[w] = i + 1
			}
		}
		if !keyForm && respelt != nil {
			*respelt = append(*respelt, hashed{h, int32(i)})
		}
	}
	return match, exact
}

// LookalikesOf counts the ids of wanted that are none of ids but name one of them but
// for letter case, surrounding white space or a number's leading zeros
// (docs/inputs.md#input-ids), and quotes a few as "WANTED" for "ID".
func LookalikesOf(ids, wanted []string) (n int, quoted string) {
	var out examples
	match, exact := matchWanted(ids, wanted, nil)
	for w, m := range match {
		if m > 0 && !exact[w] {
			out.add(pair(wanted[w], ids[m-1]))
		}
	}
	return out.n, out.String()
}

// distinctOwners returns the non-empty owner ids, each once, in first-seen order.
func distinctOwners(owners []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range owners {
		if o != "" && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// absentOwners returns the distinct non-empty owner ids that are no identity's id (a
// partitioned hash join, as assignments are resolved: most owners are identities, and
// only the others can be lookalikes).
func absentOwners(ids, owners []string) []string {
	var named []string
	for _, o := range owners {
		if o != "" {
			named = append(named, o)
		}
	}
	if len(named) == 0 {
		return nil
	}
	head, _ := stringJoin(ids, named)
	var absent []string
	for k, o := range named {
		if head[k] < 0 {
			absent = append(absent, o)
		}
	}
	return distinctOwners(absent)
}

// hashed is an identity and the keyHash of its id.
type hashed struct {
	h uint64
	i int32
}

// sameIdentities adds to same each identity of respelt (those not in their key's form)
// whose lookalikeKey is another identity's: a sort by hash finds the pairs among respelt,
// a search in it the identities in their key's form. Two keys of one 64-bit hash would
// hide a lookalike, never make one up: keys are compared where hashes meet.
func sameIdentities(ids []string, respelt []hashed, same *examples) {
	slices.SortFunc(respelt, func(a, b hashed) int {
		return cmp.Or(cmp.Compare(a.h, b.h), cmp.Compare(a.i, b.i))
	})
	for x := 1; x < len(respelt); x++ {
		a, b := respelt[x-1], respelt[x]
		if a.h == b.h && lookalikeKey(ids[a.i]) == lookalikeKey(ids[b.i]) {
			same.add(pair(ids[b.i], ids[a.i]))
		}
	}
	if len(respelt) == len(ids) {
		return
	}
	for _, id := range ids {
		h, keyForm := keyHash(id)
		if !keyForm {
			continue
		}
		x, ok := slices.BinarySearchFunc(respelt, h, func(e hashed, h uint64) int { return cmp.Compare(e.h, h) })
		for ; ok && x < len(respelt) && respelt[x].h == h; x++ {
			if r := ids[respelt[x].i]; lookalikeKey(r) == id {
				same.add(pair(r, id))
				break
			}
		}
	}
}

// roleLookalikes returns the implicit roles whose ids share a lookalikeKey with a role of
// the roles file.
func roleLookalikes(r *Roles) (out examples) {
	listed := map[string]string{}
	for i, id := range r.IDs {
		if !r.Implicit[i] {
			listed[lookalikeKey(id)] = id
		}
	}
	for i, id := range r.IDs {
		if r.Implicit[i] {
			if l, ok := listed[lookalikeKey(id)]; ok {
				out.add(pair(id, l))
			}
		}
	}
	return out
}

// nameLookalikes returns the attributes whose names share a lookalikeKey with an earlier
// attribute's ("Department" beside "department"). The kind dimension, always there, is
// left out: a "Kind" column has the near-miss warning of its own.
func nameLookalikes(dims []Dimension, kindDim int) (out examples) {
	seen := make(map[string]string, len(dims))
	for i, d := range dims {
		if i == kindDim {
			continue
		}
		k := lookalikeKey(d.Name)
		if first, ok := seen[k]; ok {
			out.add(pair(d.Name, first))
		} else {
			seen[k] = d.Name
		}
	}
	return out
}

// accountLookalikeKey is the lookalikeKey of an account's system and account_id together.
func accountLookalikeKey(system, id string) string {
	return lookalikeKey(system) + "\x00" + lookalikeKey(id)
}

// accountLookalikes returns the accounts of orphan access absent from the accounts file
// that share an accountLookalikeKey with an account of it ("CN=U3" for "cn=u3").
func accountLookalikes(s *Snapshot) (out examples) {
	u := s.Universe
	if u == nil || u.Accounts == nil || u.Findings.UnknownAccountAssignments == 0 {
		return out // no assignment names an account the accounts file lacks
	}
	absent := map[string][2]string{}
	for _, o := range s.Orphans {
		if o.AccountID != "" {
			absent[accountLookalikeKey(o.System, o.AccountID)] = [2]string{o.System, o.AccountID}
		}
	}
	if len(absent) == 0 {
		return out
	}
	a := u.Accounts
	for x, id := range a.ID {
		sys := a.Systems[a.System[x]]
		o, ok := absent[accountLookalikeKey(sys, id)]
		if ok && (o[0] != sys || o[1] != id) {
			out.add(strconv.Quote(o[0]+"/"+o[1]) + " for " + strconv.Quote(sys+"/"+id))
			delete(absent, accountLookalikeKey(sys, id))
		}
	}
	return out
}

// systemLookalikes returns the systems (sorted, as Accounts.Systems) that share a
// lookalikeKey with an earlier one in byte order ("azure" for "AZURE"). A padded system
// has a warning of its own (warnPadded) and is left out.
func systemLookalikes(systems []string) (out examples) {
	seen := make(map[string]string, len(systems))
	for _, sys := range systems {
		if padded(sys) {
			continue
		}
		k := lookalikeKey(sys)
		if first, ok := seen[k]; ok {
			out.add(pair(sys, first))
		} else {
			seen[k] = sys
		}
	}
	return out
}

// applicationLookalikes returns the roles' applications, in byte order, that are no
// system of the accounts file but share a lookalikeKey with one of its systems ("aws"
// for "AWS").
func applicationLookalikes(s *Snapshot) (out examples) {
	u := s.Universe
	if u == nil || u.Accounts == nil {
		return out
	}
	systems := make(map[string]string, len(u.Accounts.Systems))
	for _, sys := range u.Accounts.Systems {
		systems[lookalikeKey(sys)] = sys
	}
	apps := map[string]bool{}
	for _, app := range s.Roles.Application {
		apps[app] = true
	}
	for _, app := range slices.Sorted(maps.Keys(apps)) {
		if _, exact := slices.BinarySearch(u.Accounts.Systems, app); app == "" || exact {
			continue
		}
		if sys, ok := systems[lookalikeKey(app)]; ok {
			out.add(pair(app, sys))
		}
	}
	return out
}

// Lookalike returns the first of ids that is id but for letter case, surrounding white
// space or a number's leading zeros (lookalikeKey), for a message about an id not found.
func Lookalike(ids []string, id string) (string, bool) {
	k := lookalikeKey(id)
	for _, x := range ids {
		if x != id && lookalikeKey(x) == k {
			return x, true
		}
	}
	return "", false
}

// inputFile returns the file name of the input read as name ("attributes.csv").
func inputFile(s *Snapshot, name string) string {
	for _, in := range s.Inputs {
		if in.Name == name {
			return filepath.Base(in.Path)
		}
	}
	return name
}
