package report

import (
	"context"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/mining"
	"github.com/rolemine/rolemine/internal/parquetenc"
	"github.com/rolemine/rolemine/internal/usage"
)

// Columns of assignments.parquet for data with accounts or grants (effectiveRow, and
// effectiveUsageRow's usage), in schema order.
const (
	ecIdent = iota
	ecRole
	ecKind
	ecStatus
	ecRule
	ecSystem
	ecAccount
	ecInherited
	ecVia
	ecRedundant
	ecHidden
	ecUsage
)

// effectiveColumns are the parquetenc columns of effectiveRow, and with usage those of
// effectiveUsageRow.
func effectiveColumns(withUsage bool) []parquetenc.Column {
	cols := []parquetenc.Column{
		{Name: "identity_id"}, {Name: "role_id"}, {Name: "kind"}, {Name: "status"},
		{Name: "rule_id", Optional: true}, {Name: "system", Optional: true},
		{Name: "account_id", Optional: true}, {Name: "inherited", Bool: true},
		{Name: "via", Optional: true}, {Name: "redundant", Bool: true}, {Name: "hidden", Bool: true},
	}
	if withUsage {
		cols = append(cols, parquetenc.Column{Name: "usage", Optional: true})
	}
	return cols
}

// effectiveDicts extend assignmentDicts with the dictionaries of the effective columns.
type effectiveDicts struct {
	*assignmentDicts
	systems  []string
	accounts []string         // distinct non-empty account ids
	acctCode []int32          // account index -> code in accounts, -1 for ""
	acctOf   map[string]int32 // account id -> code, for the orphans
	vias     []string         // distinct via strings, in order of first use
	viaCode  []int32          // closure step index -> code in vias, -1 not yet made
	viaOf    map[string]int32
	usages   []string // usage state -> its name
}

func newEffectiveDicts(snap *columnar.Snapshot, m *mining.Model, w *pairWalker, eff *Effective) *effectiveDicts {
	d := &effectiveDicts{assignmentDicts: newAssignmentDicts(snap, m), systems: w.systemNames, acctOf: map[string]int32{}}
	if u := snap.Universe; u != nil && u.Accounts != nil {
		ids := u.Accounts.ID
		d.acctOf = make(map[string]int32, len(ids)) // sized once: growing it cost more than filling it
		d.accounts = make([]string, 0, len(ids))
		d.acctCode = make([]int32, len(ids))
		for x, id := range ids {
			d.acctCode[x] = d.account(id)
		}
	}
	if eff.Eff != nil {
		d.viaCode = make([]int32, eff.Eff.Closure.NumSteps())
		for k := range d.viaCode {
			d.viaCode[k] = -1
		}
		d.viaOf = map[string]int32{}
	}
	for s := usage.Unknown; s <= usage.Unused; s++ {
		d.usages = append(d.usages, s.String())
	}
	return d
}

// account returns the code of account id, "" being null (-1).
func (d *effectiveDicts) account(id string) int32 {
	if id == "" {
		return -1
	}
	c, ok := d.acctOf[id]
	if !ok {
		c = int32(len(d.accounts))
		d.acctOf[id] = c
		d.accounts = append(d.accounts, id)
	}
	return c
}

// via returns the code of the chain from source to role.
func (d *effectiveDicts) via(eff *Effective, snap *columnar.Snapshot, source, role int32) int32 {
	cl := eff.Eff.Closure
	k := cl.StepIndex(source, role)
	if k >= 0 && d.viaCode[k] >= 0 {
		return d.viaCode[k]
	}
	s := cl.ViaString(source, role, snap.Roles.IDs)
	c, ok := d.viaOf[s]
	if !ok {
		c = int32(len(d.vias))
		d.viaOf[s] = c
		d.vias = append(d.vias, s)
	}
	if k >= 0 {
		d.viaCode[k] = c
	}
	return c
}

// effectiveGroup accumulates the codes of one row group.
type effectiveGroup struct {
	data []parquetenc.Data
	rows int
}

func (g *effectiveGroup) reset() {
	for c := range g.data {
		g.data[c].Codes, g.data[c].Bools = g.data[c].Codes[:0], g.data[c].Bools[:0]
	}
	g.rows = 0
}

// add appends one row: the string columns' codes in column order (bools skipped), then
// the three booleans.
func (g *effectiveGroup) add(ident, role, kind, status, rule, system, account, via, use int32, inherited, redundant, hidden bool) {
	d := g.data
	d[ecIdent].Codes = append(d[ecIdent].Codes, ident)
	d[ecRole].Codes = append(d[ecRole].Codes, role)
	d[ecKind].Codes = append(d[ecKind].Codes, kind)
	d[ecStatus].Codes = append(d[ecStatus].Codes, status)
	d[ecRule].Codes = append(d[ecRule].Codes, rule)
	d[ecSystem].Codes = append(d[ecSystem].Codes, system)
	d[ecAccount].Codes = append(d[ecAccount].Codes, account)
	d[ecInherited].Bools = append(d[ecInherited].Bools, inherited)
	d[ecVia].Codes = append(d[ecVia].Codes, via)
	d[ecRedundant].Bools = append(d[ecRedundant].Bools, redundant)
	d[ecHidden].Bools = append(d[ecHidden].Bools, hidden)
	if len(d) > ecUsage {
		d[ecUsage].Codes = append(d[ecUsage].Codes, use)
	}
	g.rows++
}

// writeEffectiveAssignments writes assignments.parquet with one row per effective pair,
// then the orphans (with their accounts); with usage data (eff.Usage), each row also
// carries its usage state. The bytes are parquet-go's for effectiveRow (or
// effectiveUsageRow) rows written in chunks of chunkRows into row groups of rowGroupRows
// (parquetenc reproduces them); a row group is encoded while the next is walked.
func writeEffectiveAssignments(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string) error {
	return writeEffectiveGroups(ctx, out, snap, m, cls, eff, version, rowGroupRows)
}

func writeEffectiveGroups(ctx context.Context, out io.Writer, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, version string, groupRows int) error {
	opts := parquetOptions(version, parquet.MaxRowsPerRowGroup(int64(groupRows)))
	var template []byte
	var err error
	if eff.Usage != nil {
		template, err = parquetenc.Template[effectiveUsageRow](opts...)
	} else {
		template, err = parquetenc.Template[effectiveRow](opts...)
	}
	if err != nil {
		return err
	}
	pw, err := parquetenc.NewWriter(out, template)
	if err != nil {
		return err
	}
	cols := effectiveColumns(eff.Usage != nil)
	enc := parquetenc.NewEncoder(cols)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Two groups: one walked while the other is encoded and written.
	free := make(chan *effectiveGroup, 2)
	for range 2 {
		free <- &effectiveGroup{data: make([]parquetenc.Data, len(cols))}
	}
	full := make(chan *effectiveGroup)
	done := make(chan error, 1)
	go func() {
		var err error
		for g := range full {
			if err == nil {
				var encoded *parquetenc.Group
				if encoded, err = enc.Encode(g.data); err == nil {
					err = pw.WriteGroup(encoded)
				}
				if err != nil {
					cancel()
				}
			}
			free <- g
		}
		done <- err
	}()
	walkErr := walkEffectiveRows(ctx, snap, m, cls, eff, groupRows, free, full)
	close(full)
	if err := <-done; err != nil {
		return err
	}
	if walkErr != nil {
		return walkErr
	}
	return pw.Close()
}

// walkEffectiveRows fills row groups of groupRows rows with the codes of every effective
// pair, then of the orphans, taking empty groups from free and handing full ones to full.
func walkEffectiveRows(ctx context.Context, snap *columnar.Snapshot, m *mining.Model, cls *mining.Classification, eff *Effective, groupRows int, free <-chan *effectiveGroup, full chan<- *effectiveGroup) error {
	w := newPairWalker(snap, cls, eff)
	d := newEffectiveDicts(snap, m, w, eff)
	kd := &snap.Dims[snap.KindDim]
	noKind := int32(len(d.kinds) - 1)
	g := <-free
	g.reset()
	send := func() error {
		for c := range g.data {
			g.data[c].Values = nil
		}
		g.data[ecIdent].Values, g.data[ecRole].Values, g.data[ecKind].Values = d.idents, snap.Roles.IDs, d.kinds
		g.data[ecStatus].Values, g.data[ecRule].Values, g.data[ecSystem].Values = statusValues, d.rules, d.systems
		g.data[ecAccount].Values, g.data[ecVia].Values = d.accounts, d.vias
		if len(g.data) > ecUsage {
			g.data[ecUsage].Values = d.usages
		}
		full <- g
		select {
		case g = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		g.reset()
		return ctx.Err()
	}
	var err error
	for i := range snap.IdentityIDs {
		kc := kd.Codes[i]
		if kc < 0 {
			kc = noKind
		}
		w.each(i, func(v *pairView) {
			if err != nil { // g may be the encoder's now
				return
			}
			status, rule := int32(mining.Unexplained), int32(-1)
			if v.rule >= 0 {
				status, rule = int32(mining.Explained), d.ruleCode[v.rule]
			}
			account, via := int32(-1), int32(-1)
			if v.acct >= 0 {
				account = d.acctCode[v.acct]
			}
			if v.inherited {
				via = d.via(eff, snap, v.source, v.role)
			}
			g.add(int32(i), v.role, kc, status, rule, v.system, account, via, int32(v.usage), v.inherited, v.redun, v.hidden)
			if g.rows == groupRows {
				err = send()
			}
		})
		if err != nil {
			return err
		}
	}
	for j, o := range snap.Orphans {
		system := int32(-1)
		if o.System != "" {
			system = w.systemOf[o.System]
		}
		g.add(d.orphanIdent[j], o.Role, noKind, int32(mining.Orphan), -1, system, d.account(o.AccountID), -1, -1, false, false, false)
		if g.rows == groupRows {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if g.rows > 0 {
		return send()
	}
	return nil
}
