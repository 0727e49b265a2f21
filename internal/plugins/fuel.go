package plugins

import (
	"bytes"
	"errors"
	"fmt"
)

// Time limits without wazero's exit at every loop.
//
// wazero can stop a call whose context is done (WithCloseOnContextDone), but it does so by
// leaving the compiled code for Go at every loop header to look at the module's state.
// A Go guest enters a loop at every function call (Go's WebAssembly backend wraps each
// function body in one), so that exit cost 75% of a Go plugin's time per row and 60% of
// an AssemblyScript plugin's (BenchmarkPerRow; RATIONALE).
//
// instrument rewrites a module instead: at every loop header it decrements a counter
// (fuel, a global it adds), and once every fuelPerCheck headers it refills the counter,
// leaves for Go once (memory.grow 0, which changes nothing but lets Go's scheduler and
// collector stop the goroutine) and traps if the host raised the module's stop flag (a
// second global, exported as stopExport). The host raises the flag when a call's time
// limit passes or its context is cancelled (instance.call). The module's start section,
// which would run inside instantiation, before the flag can be reached, is removed and its
// function exported as startExport, which the host calls first. Modules compiled from
// instrumented bytes run on a runtime without WithCloseOnContextDone; a module
// instrument cannot read (an instruction it does not know) runs as it is on a runtime
// with it.
const (
	fuelPerCheck = 1 << 14
	stopExport   = "rolemine.stop"
	startExport  = "rolemine.start"
)

// wasmReader reads the LEB128 integers and bytes of a WebAssembly binary; after the first
// error every read returns zero values and err stays set.
type wasmReader struct {
	b   []byte
	i   int
	err error
}

var errTruncated = errors.New("truncated module")

func (r *wasmReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.i >= len(r.b) {
		r.err = errTruncated
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

// uleb reads an unsigned LEB128 integer of at most 64 bits.
func (r *wasmReader) uleb() uint64 {
	var v uint64
	for shift := 0; shift < 70; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7F) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("LEB128 integer too long")
	return 0
}

// skip moves past n bytes.
func (r *wasmReader) skip(n uint64) {
	if r.err == nil && n > uint64(len(r.b)-r.i) {
		r.err = errTruncated
	}
	if r.err == nil {
		r.i += int(n)
	}
}

// name skips a length-prefixed UTF-8 name and returns it.
func (r *wasmReader) name() string {
	n := r.uleb()
	start := r.i
	r.skip(n)
	if r.err != nil {
		return ""
	}
	return string(r.b[start:r.i])
}

// valType skips a value type: one byte, or a reference type (0x63, 0x64) with its heap
// type. It also reads block types, whose type indexes are signed LEB128.
func (r *wasmReader) valType() {
	switch c := r.byte(); {
	case c == 0x63 || c == 0x64:
		r.uleb() // a heap type: a negative one-byte code or a type index
	case c&0x80 != 0:
		r.uleb() // the rest of a multi-byte type index
	}
}

// memarg skips a memory access's alignment (with a memory index when bit 6 is set) and
// offset.
func (r *wasmReader) memarg() {
	if r.uleb()&0x40 != 0 {
		r.uleb()
	}
	r.uleb()
}

func appendULEB(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// section is one section of a module: its id and contents.
type section struct {
	id   byte
	data []byte
}

// sectionRank is the order WebAssembly requires of the known sections (tags between
// memories and globals, the data count before the code).
var sectionRank = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

var wasmHeader = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// splitSections splits a module into its sections.
func splitSections(wasm []byte) ([]section, error) {
	if !bytes.HasPrefix(wasm, wasmHeader) {
		return nil, errors.New("not a WebAssembly 1.0 binary module")
	}
	r := &wasmReader{b: wasm, i: len(wasmHeader)}
	var secs []section
	for r.i < len(r.b) && r.err == nil {
		id := r.byte()
		n := r.uleb()
		start := r.i
		r.skip(n)
		if r.err == nil {
			secs = append(secs, section{id: id, data: wasm[start:r.i]})
		}
	}
	return secs, r.err
}

// moduleFacts are what instrument needs to know of a module besides its code.
type moduleFacts struct {
	globals uint64 // imported and defined globals: the index of the first added one
	memory  bool
	exports map[string]bool
	start   int64 // the start function's index, -1 when none
}

// readFacts reads the imports, memories, globals, exports and start function of secs.
func readFacts(secs []section) (moduleFacts, error) {
	f := moduleFacts{exports: map[string]bool{}, start: -1}
	for _, s := range secs {
		r := &wasmReader{b: s.data}
		switch s.id {
		case 2:
			for n := r.uleb(); n > 0 && r.err == nil; n-- {
				r.name()
				r.name()
				switch kind := r.byte(); kind {
				case 0, 4: // function: type index; tag: attribute, type index
					if kind == 4 {
						r.byte()
					}
					r.uleb()
				case 1: // table: reference type, limits
					r.valType()
					r.limits()
				case 2:
					r.limits()
					f.memory = true
				case 3:
					r.valType()
					r.byte()
					f.globals++
				default:
					return f, fmt.Errorf("import of unknown kind %d", kind)
				}
			}
		case 5:
			f.memory = f.memory || r.uleb() > 0
		case 6:
			f.globals += r.uleb()
		case 7:
			for n := r.uleb(); n > 0 && r.err == nil; n-- {
				f.exports[r.name()] = true
				r.byte()
				r.uleb()
			}
		case 8:
			f.start = int64(r.uleb())
		}
		if r.err != nil {
			return f, fmt.Errorf("section %d: %w", s.id, r.err)
		}
	}
	return f, nil
}

// limits skips a table's or memory's limits: flags, minimum and, with bit 0, maximum.
func (r *wasmReader) limits() {
	flags := r.byte()
	r.uleb()
	if flags&1 != 0 {
		r.uleb()
	}
}

// instrument returns wasm with the fuel checks described above, or an error when it
// cannot rewrite it (the module then runs as it is, on wazero's own checks).
func instrument(wasm []byte) ([]byte, error) {
	secs, err := splitSections(wasm)
	if err != nil {
		return nil, err
	}
	f, err := readFacts(secs)
	if err != nil {
		return nil, err
	}
	if !f.memory || f.exports[stopExport] || f.exports[startExport] {
		return nil, errors.New("no memory, or the module already exports " + stopExport + " or " + startExport)
	}
	fuel, stop := f.globals, f.globals+1
	check := fuelCheck(fuel, stop)
	out := append([]byte(nil), wasmHeader...)
	added := map[byte]bool{}
	for _, s := range secs {
		// Add the global or export section, if the module has none, where it belongs.
		for _, id := range []byte{6, 7} {
			if !added[id] && s.id != 0 && sectionRank[s.id] > sectionRank[id] {
				out = appendSection(out, id, addedEntries(id, nil, f, fuel, stop))
				added[id] = true
			}
		}
		data := s.data
		switch s.id {
		case 6, 7:
			data = addedEntries(s.id, s.data, f, fuel, stop)
			added[s.id] = true
		case 8:
			continue // the host calls it (startExport)
		case 10:
			if data, err = instrumentCode(s.data, check); err != nil {
				return nil, err
			}
		}
		out = appendSection(out, s.id, data)
	}
	if !added[7] {
		return nil, errors.New("no code section")
	}
	return out, nil
}

func appendSection(out []byte, id byte, data []byte) []byte {
	out = append(out, id)
	out = appendULEB(out, uint64(len(data)))
	return append(out, data...)
}

// addedEntries returns the global (id 6) or export (id 7) section old (nil: none) with
// instrument's entries appended: the fuel and stop globals (mutable i32, fuel full, stop
// 0); the export of the stop global and of the start function.
func addedEntries(id byte, old []byte, f moduleFacts, fuel, stop uint64) []byte {
	r := &wasmReader{b: old}
	n := uint64(0)
	if old != nil {
		n = r.uleb()
	}
	var entries []byte
	switch id {
	case 6:
		n += 2
		entries = append(entries, 0x7F, 0x01, 0x41)
		entries = appendSLEB32(entries, fuelPerCheck)
		entries = append(entries, 0x0B, 0x7F, 0x01, 0x41, 0x00, 0x0B)
	case 7:
		n++
		entries = appendULEB(entries, uint64(len(stopExport)))
		entries = append(append(entries, stopExport...), 0x03)
		entries = appendULEB(entries, stop)
		if f.start >= 0 {
			n++
			entries = appendULEB(entries, uint64(len(startExport)))
			entries = append(append(entries, startExport...), 0x00)
			entries = appendULEB(entries, uint64(f.start))
		}
	}
	out := appendULEB(nil, n)
	if old != nil {
		out = append(out, old[r.i:]...)
	}
	return append(out, entries...)
}

// appendSLEB32 appends v as a signed LEB128 integer.
func appendSLEB32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// fuelCheck is the code inserted at every loop header:
//
//	global.get fuel; i32.const -1; i32.add; global.set fuel
//	global.get fuel; i32.eqz
//	if
//	  i32.const fuelPerCheck; global.set fuel
//	  i32.const 0; memory.grow 0; drop
//	  global.get stop; if unreachable end
//	end
func fuelCheck(fuel, stop uint64) []byte {
	g := func(op byte, idx uint64, b []byte) []byte { return appendULEB(append(b, op), idx) }
	b := g(0x23, fuel, nil)
	b = append(b, 0x41, 0x7F, 0x6A)
	b = g(0x24, fuel, b)
	b = g(0x23, fuel, b)
	b = append(b, 0x45, 0x04, 0x40, 0x41)
	b = appendSLEB32(b, fuelPerCheck)
	b = g(0x24, fuel, b)
	b = append(b, 0x41, 0x00, 0x40, 0x00, 0x1A)
	b = g(0x23, stop, b)
	return append(b, 0x04, 0x40, 0x00, 0x0B, 0x0B)
}

// instrumentCode rewrites the code section: check after every loop header.
func instrumentCode(code, check []byte) ([]byte, error) {
	r := &wasmReader{b: code}
	n := r.uleb()
	out := appendULEB(nil, n)
	for k := uint64(0); k < n && r.err == nil; k++ {
		size := r.uleb()
		start := r.i
		r.skip(size)
		if r.err != nil {
			break
		}
		body, err := instrumentBody(r.b[start:r.i], check)
		if err != nil {
			return nil, fmt.Errorf("function body %d: %w", k, err)
		}
		out = appendULEB(out, uint64(len(body)))
		out = append(out, body...)
	}
	if r.err == nil && r.i != len(code) {
		r.err = errors.New("bytes after the last function body")
	}
	if r.err != nil {
		return nil, fmt.Errorf("code section: %w", r.err)
	}
	return out, nil
}

// instrumentBody copies one function body (locals, then instructions) with check after
// every loop instruction.
func instrumentBody(body, check []byte) ([]byte, error) {
	r := &wasmReader{b: body}
	for n := r.uleb(); n > 0 && r.err == nil; n-- {
		r.uleb()
		r.valType()
	}
	out := make([]byte, 0, len(body)+len(body)/4)
	out = append(out, body[:r.i]...)
	for r.i < len(body) && r.err == nil {
		start := r.i
		op := r.byte()
		if err := r.immediates(op); err != nil {
			return nil, err
		}
		out = append(out, body[start:r.i]...)
		if op == 0x03 { // loop
			out = append(out, check...)
		}
	}
	return out, r.err
}

// immediates skips the immediates of instruction op, or fails on an instruction it does
// not know: it knows WebAssembly 2.0, exceptions, typed function references and threads,
// but not tail calls (return_call loops without a loop instruction; wazero enables them
// only on request) nor garbage collection.
func (r *wasmReader) immediates(op byte) error {
	switch {
	case op <= 0x01, op == 0x05, op == 0x0A, op == 0x0B, op == 0x0F, op == 0x19, op == 0x1A, op == 0x1B,
		op >= 0x45 && op <= 0xC4, op == 0xD1, op == 0xD3, op == 0xD4:
		// no immediates
	case op >= 0x02 && op <= 0x04, op == 0x06: // block, loop, if, try: block type
		r.valType()
	case op == 0x07, op == 0x08, op == 0x09, op == 0x0C, op == 0x0D, op == 0x10, op == 0x14,
		op == 0x18, op >= 0x20 && op <= 0x26, op == 0x3F, op == 0x40, op == 0xD2, op == 0xD5, op == 0xD6:
		r.uleb()
	case op == 0x11: // call_indirect: type, table
		r.uleb()
		r.uleb()
	case op == 0x0E: // br_table: labels, default
		for n := r.uleb(); n > 0 && r.err == nil; n-- {
			r.uleb()
		}
		r.uleb()
	case op == 0x1C: // select with types
		for n := r.uleb(); n > 0 && r.err == nil; n-- {
			r.valType()
		}
	case op == 0x1F: // try_table: block type, catch clauses
		r.valType()
		for n := r.uleb(); n > 0 && r.err == nil; n-- {
			if r.byte() <= 1 {
				r.uleb() // tag
			}
			r.uleb() // label
		}
	case op >= 0x28 && op <= 0x3E:
		r.memarg()
	case op == 0x41, op == 0x42, op == 0xD0: // signed constants, heap type
		r.uleb()
	case op == 0x43:
		r.skip(4)
	case op == 0x44:
		r.skip(8)
	default:
		return r.prefixed(op)
	}
	return nil
}

// prefixed skips the sub-opcode and immediates of a prefixed instruction: 0xFC
// (saturating truncation, bulk memory, tables), 0xFD (SIMD), 0xFE (threads).
func (r *wasmReader) prefixed(op byte) error {
	sub := r.uleb()
	switch {
	case op == 0xFC && sub <= 7:
	case op == 0xFC && (sub == 8 || sub == 10 || sub == 12 || sub == 14):
		r.uleb()
		r.uleb()
	case op == 0xFC && sub <= 17:
		r.uleb()
	case op == 0xFD && (sub <= 11 || sub == 92 || sub == 93):
		r.memarg()
	case op == 0xFD && (sub == 12 || sub == 13):
		r.skip(16)
	case op == 0xFD && sub >= 21 && sub <= 34:
		r.skip(1)
	case op == 0xFD && sub >= 84 && sub <= 91:
		r.memarg()
		r.skip(1)
	case op == 0xFD && sub <= 0x113:
	case op == 0xFE && sub == 3:
		r.skip(1)
	case op == 0xFE && sub <= 0x4E && (sub <= 2 || sub >= 0x10):
		r.memarg()
	default:
		return fmt.Errorf("instruction 0x%02X %d at offset %d: not instrumented", op, sub, r.i)
	}
	return nil
}
