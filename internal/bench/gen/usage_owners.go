package gen

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/rolemine/rolemine/internal/bench/truth"
	"github.com/rolemine/rolemine/internal/columnar"
)

// ownerFinding is one non-human identity with an ownership finding.
type ownerFinding struct {
	ident          int
	owner, finding string
	left           bool
}

// drawOwner picks the owner of non-human identity i: a random human; instead, 3% name
// someone absent from identities, 2% no one, and 1% the previous non-human identity.
func (p *usagePlant) drawOwner(i int, humans []string, prevNHI string) string {
	owner := humans[p.rng.IntN(len(humans))]
	switch f := p.rng.Float64(); {
	case f < 0.03:
		return fmt.Sprintf("departed-%05d", i)
	case f < 0.05:
		return ""
	case f < 0.06 && prevNHI != "":
		return prevNHI
	}
	return owner
}

// writeOwners rewrites identities with owner_id (kept from prev where the identity was
// there, else drawn), counts the ownership findings into the truth and returns them. A
// universe keeps the owners gen --universe planted: they are only counted.
func (p *usagePlant) writeOwners(dir, format string, prev *previousOwners) ([]ownerFinding, error) {
	snap := p.snap
	var humans []string
	kindOf := make(map[string]string, snap.NumIdentities())
	for i, id := range snap.IdentityIDs {
		kindOf[id] = snap.Kind(i)
		if snap.Kind(i) == columnar.HumanKind {
			humans = append(humans, id)
		}
	}
	rows := baseIdentityRows(snap)
	var found []ownerFinding
	prevNHI := ""
	for i, id := range snap.IdentityIDs {
		if snap.Kind(i) == columnar.HumanKind || len(humans) == 0 {
			continue
		}
		owner, carried := "", false
		switch {
		case p.universe:
			if o := snap.Universe.Owners; o != nil {
				owner = o[i]
			}
			carried = true
		case prev != nil:
			owner, carried = prev.owner[id]
		}
		if !carried {
			owner = p.drawOwner(i, humans, prevNHI)
		}
		prevNHI = id
		rows[i].OwnerID = owner
		o := &p.tu.Owners
		o.NonHuman++
		kind, known := kindOf[owner]
		switch {
		case owner == "":
			o.NoOwner++
			found = append(found, ownerFinding{i, owner, truth.FindingNoOwner, false})
		case !known:
			o.OwnerUnknown++
			left := prev != nil && prev.human[owner]
			if left {
				p.tu.OwnersLeft++
			}
			found = append(found, ownerFinding{i, owner, truth.FindingOwnerUnknown, left})
		case kind != columnar.HumanKind:
			o.OwnerNotHuman++
			found = append(found, ownerFinding{i, owner, truth.FindingOwnerNotHuman, false})
		default:
			o.OwnedByHuman++
		}
	}
	if p.universe {
		return found, nil
	}
	return found, writeTable[ownedIdentityRow](dir, "identities", format, append(slices.Clone(identityHeader), columnar.OwnerColumn), rows)
}

// overReason says why identity i is planted over-privileged: dormant, holding planted
// stale access, or (on a universe) holding planted hidden inherited access; "" when it
// is not.
func (p *usagePlant) overReason(i int) string {
	snap := p.snap
	id := snap.IdentityIDs[i]
	if p.dormant[i] {
		return truth.ReasonDormant
	}
	for _, r := range snap.RolesOf(i) {
		if p.stale[[2]string{id, snap.Roles.IDs[r]}] {
			return truth.ReasonStale
		}
	}
	if p.hidden[id] {
		return truth.ReasonHidden
	}
	return ""
}

// writeTruth writes truth/usage.json, unused.csv, owners.csv and overprivileged.csv.
func (p *usagePlant) writeTruth(truthDir string, owners []ownerFinding) error {
	snap := p.snap
	dates := p.dates()
	type over struct{ id, group, reason string }
	var planted []over
	for i, id := range snap.IdentityIDs {
		group := truth.GroupHuman
		if snap.Kind(i) != columnar.HumanKind {
			group = truth.GroupNonHuman
		}
		if reason := p.overReason(i); reason != "" {
			planted = append(planted, over{id, group, reason})
			p.tu.OverPrivileged[group]++
		}
	}
	writeCSV := func(name string, header []string, rows func(cw *csv.Writer)) error {
		return atomicFile(filepath.Join(truthDir, name), func(w io.Writer) error {
			cw := csv.NewWriter(w)
			cw.Write(header)
			rows(cw)
			cw.Flush()
			return cw.Error()
		})
	}
	err := writeCSV(truth.UnusedFile, truth.UnusedHeader, func(cw *csv.Writer) {
		for i, id := range snap.IdentityIDs {
			for k := snap.IdentOff[i]; k < snap.IdentOff[i+1]; k++ {
				if d := p.last[k]; d == lastNever || int(d) > p.tu.UnusedDays {
					cw.Write([]string{id, snap.Roles.IDs[snap.IdentIdx[k]], dates[d+2]})
				}
			}
		}
	})
	if err == nil {
		err = writeCSV(truth.OwnersFile, truth.OwnersHeader, func(cw *csv.Writer) {
			for _, f := range owners {
				cw.Write([]string{snap.IdentityIDs[f.ident], f.owner, f.finding, strconv.FormatBool(f.left)})
			}
		})
	}
	if err == nil {
		err = writeCSV(truth.OverPrivilegedFile, truth.OverPrivilegedHeader, func(cw *csv.Writer) {
			for _, o := range planted {
				cw.Write([]string{o.id, o.group, o.reason})
			}
		})
	}
	if err != nil {
		return err
	}
	return atomicFile(filepath.Join(truthDir, truth.UsageFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(&p.tu)
	})
}
