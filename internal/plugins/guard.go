package plugins

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
)

// A plugin file is user input, and wazero v1.12 trusts some of it: its decoder allocates
// a slice (or map) of the length a vector claims before reading the vector (a function
// type claiming 2^28 parameters asked for 2.13 GB: "fatal error: out of memory", which no
// recover catches), and its validator panics on some malformed modules (index out of
// range in func_validation.go). checkBounds refuses the first kind before wazero sees the
// bytes; compileGuarded turns the second into an error. Both end as the user error "not
// a valid WebAssembly module: ..." naming the file (host.go, Compile).

// maxLocalsSlack is what the locals of all function bodies together may claim beyond the
// code section's size: 50,000 is the most locals one function may declare in browsers'
// engines, so a module a browser takes with one such function passes.
const maxLocalsSlack = 50000

// checkBounds reads the module's structure and refuses it when a vector count (section
// entries, function type parameters and results, imports, exports, function bodies and
// their sizes, locals declarations, element and data segments and their contents, names
// in the name section) claims more entries than the bytes left in its section could
// hold, or when the locals of all bodies together exceed the code section's size by more
// than maxLocalsSlack. A module it passes is not necessarily valid: wazero decides that.
// A section it cannot read further (a form wazero does not take) is left to wazero.
func checkBounds(wasm []byte) error {
	secs, err := splitSections(wasm)
	if err != nil {
		return err
	}
	for _, s := range secs {
		r := &wasmReader{b: s.data}
		switch s.id {
		case 0:
			r.nameSection()
		case 1:
			r.typeSection()
		case 2:
			r.importSection()
		case 3, 4, 5, 6, 13:
			r.count("entries")
		case 7:
			for n := r.count("exports"); n > 0 && r.err == nil; n-- {
				r.name()
				r.byte()
				r.uleb()
			}
		case 9:
			r.elementSection()
		case 10:
			r.codeSection()
		case 11:
			r.dataSection()
		}
		if r.err != nil && r.err != errLeftToWazero {
			return fmt.Errorf("section %d: %w", s.id, r.err)
		}
	}
	return nil
}

// count reads a vector's length and fails when it exceeds the bytes left: every entry
// takes at least one byte.
func (r *wasmReader) count(what string) uint64 {
	n := r.uleb()
	if left := uint64(len(r.b) - r.i); r.err == nil && n > left {
		r.err = fmt.Errorf("%s: %d claimed, %d bytes left", what, n, left)
		return 0
	}
	return n
}

// errLeftToWazero ends the walk of a section at something checkBounds does not read (a
// form or instruction wazero refuses before it allocates anything further): not an error.
var errLeftToWazero = errors.New("left to wazero")

// stopped ends the walk of r's section (errLeftToWazero).
func (r *wasmReader) stopped() {
	if r.err == nil {
		r.err = errLeftToWazero
	}
}

// typeSection walks function types, alone or in recursion groups (0x4E).
func (r *wasmReader) typeSection() {
	for n := r.count("types"); n > 0 && r.err == nil; n-- {
		group := uint64(1)
		if r.i < len(r.b) && r.b[r.i] == 0x4E {
			r.byte()
			group = r.count("types in a recursion group")
		}
		for ; group > 0 && r.err == nil; group-- {
			if r.byte() != 0x60 {
				r.stopped()
			}
			for _, what := range []string{"function type parameters", "function type results"} {
				for k := r.count(what); k > 0 && r.err == nil; k-- {
					r.valType()
				}
			}
		}
	}
}

// importSection walks the imports as readFacts does.
func (r *wasmReader) importSection() {
	for n := r.count("imports"); n > 0 && r.err == nil; n-- {
		r.name()
		r.name()
		switch kind := r.byte(); kind {
		case 0:
			r.uleb()
		case 1:
			r.valType()
			r.limits()
		case 2:
			r.limits()
		case 3:
			r.valType()
			r.byte()
		case 4:
			r.byte()
			r.uleb()
		default:
			r.stopped()
		}
	}
}

// codeSection walks the function bodies: each body's size, its locals declarations and
// the locals they declare, all bodies together.
func (r *wasmReader) codeSection() {
	var locals uint64
	for n := r.count("function bodies"); n > 0 && r.err == nil; n-- {
		size := r.count("function body size")
		if r.err != nil {
			return
		}
		body := &wasmReader{b: r.b[r.i : r.i+int(size)]}
		r.skip(size)
		for k := body.count("locals declarations"); k > 0 && body.err == nil; k-- {
			locals += body.uleb()
			body.valType()
		}
		if body.err == nil && locals > uint64(len(r.b))+maxLocalsSlack {
			body.err = fmt.Errorf("locals: %d declared, more than the section's %d bytes and %d more", locals, len(r.b), maxLocalsSlack)
		}
		if body.err != nil {
			r.err = body.err
		}
	}
}

// constExpr skips a constant expression up to its end (0x0B).
func (r *wasmReader) constExpr() {
	for r.err == nil {
		op := r.byte()
		if op == 0x0B {
			return
		}
		if r.immediates(op) != nil {
			r.stopped()
		}
	}
}

// elementSection walks the element segments (their eight forms, flags 0-7).
func (r *wasmReader) elementSection() {
	for n := r.count("element segments"); n > 0 && r.err == nil; n-- {
		flags := r.uleb()
		if flags > 7 {
			r.stopped()
			return
		}
		if flags == 2 || flags == 6 {
			r.uleb() // table index
		}
		if flags&1 == 0 {
			r.constExpr() // offset
		}
		if flags&3 != 0 {
			if flags&4 == 0 {
				r.byte() // element kind
			} else {
				r.valType()
			}
		}
		for k := r.count("segment elements"); k > 0 && r.err == nil; k-- {
			if flags&4 == 0 {
				r.uleb()
			} else {
				r.constExpr()
			}
		}
	}
}

// dataSection walks the data segments (active, passive, active with a memory index).
func (r *wasmReader) dataSection() {
	for n := r.count("data segments"); n > 0 && r.err == nil; n-- {
		switch flags := r.uleb(); flags {
		case 0, 2:
			if flags == 2 {
				r.uleb()
			}
			r.constExpr()
		case 1:
		default:
			r.stopped()
			return
		}
		r.skip(r.count("data segment bytes"))
	}
}

// nameSection walks the custom section called "name": its function and local names
// (wazero sizes its slices by their counts).
func (r *wasmReader) nameSection() {
	if r.name() != "name" {
		r.stopped() // copied by its size, which splitSections checked
		return
	}
	for r.i < len(r.b) && r.err == nil {
		id := r.byte()
		size := r.count("name subsection size")
		if r.err != nil {
			return
		}
		sub := &wasmReader{b: r.b[r.i : r.i+int(size)]}
		r.skip(size)
		switch id {
		case 0:
			sub.name()
		case 1, 2:
			for k := sub.count("names"); k > 0 && sub.err == nil; k-- {
				sub.uleb()
				if id == 1 {
					sub.name()
					continue
				}
				for j := sub.count("local names"); j > 0 && sub.err == nil; j-- {
					sub.uleb()
					sub.name()
				}
			}
		}
		if sub.err != nil {
			r.err = sub.err
		}
	}
}

// compileGuarded compiles wasm on rt, a panic in wazero being an error: its validator
// panics on some malformed modules (the module is refused, not rolemine ended).
func compileGuarded(ctx context.Context, rt wazero.Runtime, wasm []byte) (cm wazero.CompiledModule, err error) {
	defer func() {
		// recover: wazero's validator panics on some malformed modules: the plugin is refused
		if p := recover(); p != nil {
			cm, err = nil, fmt.Errorf("the WebAssembly runtime failed on it (%v)", p)
		}
	}()
	return rt.CompileModule(ctx, wasm)
}

// initialMemoryPages returns the initial size, in 64 KiB pages, of the memory the module
// defines, and false when it defines none or the memory section cannot be read.
func initialMemoryPages(wasm []byte) (uint64, bool) {
	secs, err := splitSections(wasm)
	if err != nil {
		return 0, false
	}
	for _, s := range secs {
		if s.id != 5 {
			continue
		}
		r := &wasmReader{b: s.data}
		if r.uleb() == 0 {
			return 0, false
		}
		r.byte() // limits flags
		min := r.uleb()
		return min, r.err == nil
	}
	return 0, false
}
