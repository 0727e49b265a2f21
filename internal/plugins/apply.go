package plugins

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/parallel"
	"github.com/rolemine/rolemine/internal/uerr"
)

// Output limits (ABI.md): values per identity and attribute, and bytes per value.
const (
	maxValuesPerAttr = 1024
	maxValueBytes    = 1024
)

// Apply runs the plugins in order over every identity of snap and adds their outputs as
// dimensions. A later plugin may read the outputs of an earlier one. On error snap may
// already hold the outputs of earlier plugins; the caller must not write a model.
func Apply(ctx context.Context, snap *columnar.Snapshot, ps []*Plugin) error {
	for _, p := range ps {
		t := time.Now()
		dims, err := p.Derive(ctx, snap)
		if err != nil {
			return err
		}
		for _, d := range dims {
			if err := snap.AddDimension(d); err != nil {
				return uerr.New("plugin %s (%s): output %w", p.name, p.spec.Origin, err)
			}
		}
		p.h.log.Info("plugin applied", "plugin", p.name, "version", p.manifest.Version,
			"identities", snap.NumIdentities(), "outputs", strings.Join(p.manifest.Outputs, ","), "instances", p.instances,
			"seconds", time.Since(t).Seconds())
	}
	return nil
}

// inputCol reads one input attribute of an identity.
type inputCol struct {
	ids bool // identity_id
	dim *columnar.Dimension
}

// batchOut is the decoded output of one batch: per output attribute, CSR offsets over the
// batch's rows and the values.
type batchOut struct {
	off  [][]int32
	vals [][]string
}

// Derive runs the plugin over every identity of snap, in batches spread over the host's
// workers, and returns one dimension per declared output. It does not change snap.
func (p *Plugin) Derive(ctx context.Context, snap *columnar.Snapshot) ([]columnar.Dimension, error) {
	cols, err := p.inputColumns(snap)
	if err != nil {
		return nil, err
	}
	// A plugin is a function of its inputs (ABI.md), so it sees each distinct input tuple
	// once, in order of first occurrence; tupleRow[t] is that first identity row.
	rowTuple, tupleRow := distinctInputs(snap, cols)
	results, err := p.runBatches(ctx, snap, cols, tupleRow)
	if err != nil {
		return nil, err
	}
	dims := make([]columnar.Dimension, len(p.manifest.Outputs))
	for k, name := range p.manifest.Outputs {
		dims[k] = buildDimension(name, rowTuple, results, k)
	}
	return dims, nil
}

// CheckOutputs refuses, before any data is read, what the started plugins' manifests
// already show to clash: an output named identity_id, owner_id or kind (attributes every
// data set has or reserves), or one that an earlier plugin produces. A clash with a data
// column is found once the data is loaded (inputColumns).
func CheckOutputs(ps []*Plugin) error {
	by := map[string]*Plugin{}
	for _, p := range ps {
		for _, o := range p.manifest.Outputs {
			switch {
			case o == "identity_id" || o == columnar.KindDimension:
				return uerr.New("%s: plugin %s produces attribute %q, which already exists", p.spec.Origin, p.name, o)
			case o == columnar.OwnerColumn:
				return uerr.New("%s: plugin %s produces attribute %q, a reserved column of identities that is never an attribute", p.spec.Origin, p.name, o)
			case by[o] != nil:
				return uerr.New("%s: plugin %s produces attribute %q, which plugin %s (%s) produces already", p.spec.Origin, p.name, o, by[o].name, by[o].spec.Origin)
			}
			by[o] = p
		}
	}
	return nil
}

// inputColumns finds the columns of snap the plugin reads, and refuses a plugin that reads
// an attribute the identities lack or produces one they have.
func (p *Plugin) inputColumns(snap *columnar.Snapshot) ([]inputCol, error) {
	cols := make([]inputCol, len(p.manifest.Inputs))
	for k, name := range p.manifest.Inputs {
		switch d := snap.DimIndex(name); {
		case name == "identity_id":
			cols[k].ids = true
		case d >= 0:
			cols[k].dim = &snap.Dims[d]
		default:
			names := []string{"identity_id"}
			for _, d := range snap.Dims {
				names = append(names, d.Name)
			}
			return nil, uerr.New("%s: plugin %s reads attribute %q, which the identities do not have (attributes: %s)",
				p.spec.Origin, p.name, name, strings.Join(names, ", "))
		}
	}
	for _, o := range p.manifest.Outputs {
		if o == "identity_id" || snap.DimIndex(o) >= 0 {
			return nil, uerr.New("%s: plugin %s produces attribute %q, which already exists", p.spec.Origin, p.name, o)
		}
		if o == columnar.OwnerColumn {
			// Reserved like identity_id: an identity's owner, never an attribute in
			// criteria, whether or not the data has the column (the attributes file
			// refuses it too).
			return nil, uerr.New("%s: plugin %s produces attribute %q, a reserved column of identities that is never an attribute", p.spec.Origin, p.name, o)
		}
	}
	return cols, nil
}

// runBatches runs the plugin over the identity rows tupleRow, BatchRows at a time, on the
// host's workers, each with an instance of its own (the first worker the one Load made).
// Batches are taken in order; after a fault in batch f no batch above f starts and the
// ones below run to completion, so the fault reported is the first failing batch's
// whatever the scheduling (parallel.Each). An instance is discarded after a fault.
func (p *Plugin) runBatches(ctx context.Context, snap *columnar.Snapshot, cols []inputCol, tupleRow []int32) ([]batchOut, error) {
	nt := len(tupleRow)
	rows := p.h.opts.BatchRows
	nb := (nt + rows - 1) / rows
	results := make([]batchOut, nb)
	workers := p.h.instances(nb)
	p.instances = workers
	ins := make([]*instance, max(workers, 1))
	ins[0], p.first = p.first, nil
	bufs := make([][]byte, len(ins))
	defer func() {
		for _, in := range ins {
			if in != nil {
				in.close(context.Background())
			}
		}
	}()
	err := parallel.Each(ctx, nb, workers, func(w, b int) error {
		if ins[w] == nil {
			in, err := p.instantiate(ctx)
			if err != nil {
				return err
			}
			ins[w] = in
			if m, err := in.init(ctx, p.spec.Config); err != nil {
				return err
			} else if !sameManifest(m, &p.manifest) {
				return p.fault(0, 0, 0, nil, "non-deterministic plugin: a second instance declared a different manifest")
			}
		}
		lo, hi := b*rows, min(nt, (b+1)*rows)
		bufs[w] = encodeBatch(bufs[w][:0], snap, cols, tupleRow[lo:hi])
		out, err := ins[w].runBatch(ctx, bufs[w], tupleRow[lo:hi], snap.IdentityIDs)
		if err != nil {
			ins[w].close(context.Background())
			ins[w] = nil
			return err
		}
		results[b] = out
		return nil
	})
	return results, err
}

// encodeBatch appends the input batch of the given identity rows in the wire format of
// ABI.md.
func encodeBatch(b []byte, snap *columnar.Snapshot, cols []inputCol, rows []int32) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rows)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cols)))
	str := func(s string) {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	for _, i := range rows {
		for _, c := range cols {
			switch {
			case c.ids:
				b = binary.LittleEndian.AppendUint32(b, 1)
				str(snap.IdentityIDs[i])
			case c.dim.Codes[i] < 0:
				b = binary.LittleEndian.AppendUint32(b, 0)
			default:
				d := c.dim
				var extra []int32
				if d.MultiOff != nil {
					extra = d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]]
				}
				b = binary.LittleEndian.AppendUint32(b, uint32(1+len(extra)))
				str(d.Values[d.Codes[i]])
				for _, x := range extra {
					str(d.Values[x])
				}
			}
		}
	}
	return b
}

// runBatch sends one batch, the inputs of the identity rows rows (ascending), and decodes
// and validates the plugin's answer. A malformed row is named by the identity it was sent
// for, as well as by its place in the batch.
func (in *instance) runBatch(ctx context.Context, batch []byte, rows []int32, ids []string) (batchOut, error) {
	lo, hi, count := int(rows[0]), int(rows[len(rows)-1])+1, len(rows)
	in.lo, in.hi, in.count, in.ids = lo, hi, count, ids
	defer func() { in.lo, in.hi, in.count, in.ids = 0, 0, 0, nil }()
	ptr, err := in.put(ctx, batch)
	if err != nil {
		return batchOut{}, err
	}
	st, err := in.call(ctx, in.batchFn, uint64(ptr), uint64(len(batch)))
	if err != nil {
		return batchOut{}, err
	}
	res, err := in.resultBytes(ctx)
	if err != nil {
		return batchOut{}, err
	}
	if f := statusFault("rolemine_batch", st); f != "" {
		return batchOut{}, in.p.fault(lo, hi, count, ids, f)
	}
	if int32(st) != 0 {
		return batchOut{}, in.p.fault(lo, hi, count, ids, "plugin reported an error: "+guestMessage(res))
	}
	out, err := decodeOutput(res, count, in.p.manifest.Outputs)
	if err != nil {
		cause := "malformed output: " + err.Error()
		var re *rowError
		if errors.As(err, &re) && re.row >= 1 && re.row <= len(rows) {
			i := rows[re.row-1]
			cause += fmt.Sprintf(" (the inputs of identity %s, row %d of the identities)", ids[i], i+1)
		}
		return batchOut{}, in.p.fault(lo, hi, count, ids, cause)
	}
	return out, nil
}

// decodeOutput parses and validates an output batch of rows rows. Values are copied out of
// guest memory; repeated values share one string.
func decodeOutput(b []byte, rows int, outputs []string) (batchOut, error) {
	d := outDecoder{b: b, intern: map[string]string{}}
	r, ok := d.u32()
	if !ok {
		return batchOut{}, errors.New("batch ends early, expected the row count")
	}
	a, ok := d.u32()
	if !ok {
		return batchOut{}, errors.New("batch ends early, expected the attribute count")
	}
	if int(r) != rows || int(a) != len(outputs) {
		return batchOut{}, fmt.Errorf("header says %d rows x %d attributes, expected %d x %d", r, a, rows, len(outputs))
	}
	out := batchOut{off: make([][]int32, len(outputs)), vals: make([][]string, len(outputs))}
	for k := range outputs {
		out.off[k] = make([]int32, 1, rows+1)
	}
	for i := 0; i < rows; i++ {
		for k, name := range outputs {
			vals, err := d.values(out.vals[k])
			if err != nil {
				if err.early != "" {
					return batchOut{}, fmt.Errorf("batch ends early, expected %s row %d, attribute %s", err.early, i+1, name)
				}
				return batchOut{}, &rowError{row: i + 1, msg: fmt.Sprintf("row %d of the batch, attribute %s: %s", i+1, name, err.msg)}
			}
			out.vals[k] = vals
			out.off[k] = append(out.off[k], int32(len(out.vals[k])))
		}
	}
	if len(d.b) != 0 {
		return batchOut{}, fmt.Errorf("%d bytes after the last row", len(d.b))
	}
	return out, nil
}

// rowError is a malformed value of an output batch: row is the batch's 1-based row.
type rowError struct {
	row int
	msg string
}

func (e *rowError) Error() string { return e.msg }

// outDecoder reads an output batch.
type outDecoder struct {
	b      []byte
	intern map[string]string
}

func (d *outDecoder) u32() (uint32, bool) {
	if len(d.b) < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v, true
}

// valueErr is what is wrong with the values of a row and attribute, which the caller
// names: the batch ended before what early says, or msg. Nothing is formatted for the
// rows that are well formed.
type valueErr struct{ early, msg string }

// values appends the values of one row and attribute to vals.
func (d *outDecoder) values(vals []string) ([]string, *valueErr) {
	cnt, ok := d.u32()
	if !ok {
		return nil, &valueErr{early: "the value count of"}
	}
	if cnt > maxValuesPerAttr {
		return nil, &valueErr{msg: fmt.Sprintf("%d values, at most %d allowed", cnt, maxValuesPerAttr)}
	}
	for j := uint32(0); j < cnt; j++ {
		n, ok := d.u32()
		switch {
		case !ok:
			return nil, &valueErr{early: "a value length in"}
		case n == 0:
			return nil, &valueErr{msg: "empty value (send no value instead)"}
		case n > maxValueBytes:
			return nil, &valueErr{msg: fmt.Sprintf("value of %d bytes, at most %d allowed", n, maxValueBytes)}
		case int(n) > len(d.b):
			return nil, &valueErr{msg: fmt.Sprintf("value of %d bytes runs past the end of the batch", n)}
		}
		v := d.b[:n]
		d.b = d.b[n:]
		s, ok := d.intern[string(v)]
		if !ok {
			if !utf8.Valid(v) {
				return nil, &valueErr{msg: fmt.Sprintf("value %q is not valid UTF-8", v)}
			}
			s = string(v)
			if r, bad := controlChar(s); bad {
				return nil, &valueErr{msg: fmt.Sprintf("value %q holds the control character U+%04X, which rules.xml cannot represent (data values may not hold it either)", s, r)}
			}
			d.intern[s] = s
		}
		vals = append(vals, s)
	}
	return vals, nil
}

// controlChar finds a character XML 1.0 cannot hold (below U+0020 but tab, line feed and
// carriage return; U+FFFE, U+FFFF), which the loader refuses in data values too
// (columnar's textOK): a derived value ends up in rules.xml like any other.
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return r, true
		}
	}
	return 0, false
}

// distinctInputs numbers the distinct input tuples of the identities in order of first
// occurrence: rowTuple[i] is identity i's tuple, tupleRow[t] the first identity with tuple
// t. With identity_id among the inputs every identity is its own tuple.
func distinctInputs(snap *columnar.Snapshot, cols []inputCol) (rowTuple, tupleRow []int32) {
	n := snap.NumIdentities()
	rowTuple = make([]int32, n)
	for _, c := range cols {
		if c.ids {
			tupleRow = make([]int32, n)
			for i := range rowTuple {
				rowTuple[i], tupleRow[i] = int32(i), int32(i)
			}
			return rowTuple, tupleRow
		}
	}
	seen := map[string]int32{}
	var key []byte
	for i := 0; i < n; i++ {
		key = key[:0]
		for _, c := range cols {
			d := c.dim
			key = binary.LittleEndian.AppendUint32(key, uint32(d.Codes[i]))
			if d.MultiOff != nil {
				for _, x := range d.MultiCodes[d.MultiOff[i]:d.MultiOff[i+1]] {
					key = binary.LittleEndian.AppendUint32(key, uint32(x))
				}
			}
			key = binary.LittleEndian.AppendUint32(key, 0xFFFFFFFE) // end of attribute
		}
		t, ok := seen[string(key)]
		if !ok {
			t = int32(len(tupleRow))
			seen[string(key)] = t
			tupleRow = append(tupleRow, int32(i))
		}
		rowTuple[i] = t
	}
	return rowTuple, tupleRow
}

// buildDimension assembles output attribute k of every batch (one entry per distinct input
// tuple) into a dimension over the identities, with a sorted dictionary; an identity's
// values are deduplicated and sorted, the smallest in Codes and the others in the Multi
// CSR.
func buildDimension(name string, rowTuple []int32, results []batchOut, k int) columnar.Dimension {
	set := map[string]int32{}
	for _, r := range results {
		for _, v := range r.vals[k] {
			set[v] = 0
		}
	}
	values := make([]string, 0, len(set))
	for v := range set {
		values = append(values, v)
	}
	sort.Strings(values)
	for c, v := range values {
		set[v] = int32(c)
	}
	// Per tuple: sorted distinct codes, as CSR.
	tOff := []int32{0}
	var tCodes []int32
	for _, r := range results {
		off, vals := r.off[k], r.vals[k]
		for row := 0; row+1 < len(off); row++ {
			start := len(tCodes)
			for _, v := range vals[off[row]:off[row+1]] {
				tCodes = append(tCodes, set[v])
			}
			slices.Sort(tCodes[start:])
			tCodes = append(tCodes[:start], slices.Compact(tCodes[start:])...)
			tOff = append(tOff, int32(len(tCodes)))
		}
	}
	n := len(rowTuple)
	d := columnar.Dimension{Name: name, Values: values, Codes: make([]int32, n)}
	multiOff := make([]int32, 1, n+1)
	var multi []int32
	for i, t := range rowTuple {
		codes := tCodes[tOff[t]:tOff[t+1]]
		d.Codes[i] = -1
		if len(codes) > 0 {
			d.Codes[i] = codes[0]
			multi = append(multi, codes[1:]...)
		}
		multiOff = append(multiOff, int32(len(multi)))
	}
	if len(multi) > 0 {
		d.MultiOff, d.MultiCodes = multiOff, multi
	}
	return d
}

func sameManifest(a, b *Manifest) bool {
	return a.Name == b.Name && a.Version == b.Version && slices.Equal(a.Inputs, b.Inputs) && slices.Equal(a.Outputs, b.Outputs)
}
