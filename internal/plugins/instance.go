package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/rolemine/rolemine/internal/uerr"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// instance is one sandboxed instantiation of a plugin. It is used by one goroutine at a
// time and discarded after any fault.
type instance struct {
	p                      *Plugin
	mod                    api.Module
	mem                    api.Memory
	version, alloc, initFn api.Function
	batchFn, result        api.Function
	stderr                 tailBuffer
	violation              string
	aborted                string // the message and place of an env.abort call
	lo, hi, count          int    // rows of the current call and its distinct inputs, for fault messages
	ids                    []string
	// stop is an instrumented module's stop flag (fuel.go), nil for the others; armed
	// says a call is running, whose time limit may raise it.
	stop   api.MutableGlobal
	stopMu sync.Mutex
	armed  bool
}

// instantiate creates an instance, runs its start-up (start function, _initialize) under
// the time limit and checks its ABI version.
func (p *Plugin) instantiate(ctx context.Context) (*instance, error) {
	in := &instance{p: p}
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStdout(&in.stderr).
		WithStderr(&in.stderr).
		// The monotonic clock is the host's: Go's collector paces itself by it, and under
		// wazero's fake one (1 ms more at every reading, most of them the collector's) its
		// CPU limiter soon takes it to be using all the time and stops its assists, so a
		// Go guest stopped collecting and grew to the memory cap (TestGoGuestCollects).
		WithSysNanotime()
	var mod api.Module
	var err error
	if p.fueled {
		mod, err = in.startFueled(ctx, cfg)
	} else {
		cctx, cancel := context.WithTimeout(context.WithValue(ctx, instCtxKey{}, in), p.h.opts.Timeout)
		mod, err = p.h.rtChecked.InstantiateModule(cctx, p.compiled, cfg.WithStartFunctions("_initialize"))
		if err != nil && ctx.Err() == nil {
			err = in.faultOf(cctx, err, p.startup)
		}
		cancel()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	in.mod = mod
	in.mem = mod.Memory()
	in.version = mod.ExportedFunction("rolemine_abi_version")
	in.alloc = mod.ExportedFunction("rolemine_alloc")
	in.initFn = mod.ExportedFunction("rolemine_init")
	in.batchFn = mod.ExportedFunction("rolemine_batch")
	in.result = mod.ExportedFunction("rolemine_result")
	if in.mem == nil {
		in.close(ctx)
		return nil, p.fault(0, 0, 0, nil, "the module exports no memory")
	}
	res, err := in.call(ctx, in.version)
	if err != nil {
		in.close(ctx)
		return nil, err
	}
	if v := int32(res); v != ABIVersion {
		in.close(ctx)
		// A plugin built for another ABI is the wrong file for this rolemine: the user's to
		// fix, like a module without the ABI's exports (exit 2).
		return nil, uerr.Wrap(p.fault(0, 0, 0, nil, fmt.Sprintf("plugin implements ABI version %d; this rolemine implements version %d (see plugins/ABI.md)", v, ABIVersion)))
	}
	return in, nil
}

func (in *instance) close(ctx context.Context) {
	if in.mod != nil {
		in.mod.Close(ctx)
	}
}

// startFueled instantiates an instrumented module, which runs no code then (instrument
// removed its start section), and calls its start function and _initialize under one time
// limit.
func (in *instance) startFueled(ctx context.Context, cfg wazero.ModuleConfig) (api.Module, error) {
	mod, err := in.p.h.rt.InstantiateModule(ctx, in.p.compiled, cfg.WithStartFunctions())
	if err != nil {
		return nil, in.faultOf(ctx, err, in.p.startup)
	}
	in.mod = mod
	in.stop, _ = mod.ExportedGlobal(stopExport).(api.MutableGlobal)
	in.mem = mod.Memory()
	cctx, cancel := context.WithTimeout(context.WithValue(ctx, instCtxKey{}, in), in.p.h.opts.Timeout)
	defer cancel()
	for _, name := range []string{startExport, "_initialize"} {
		if fn := mod.ExportedFunction(name); fn != nil {
			if _, err := in.run(cctx, fn); err != nil {
				in.close(ctx)
				return nil, in.faultOf(cctx, err, in.p.startup)
			}
		}
	}
	return mod, nil
}

// call calls fn under the time limit and turns any failure into an *Error.
func (in *instance) call(ctx context.Context, fn api.Function, params ...uint64) (uint64, error) {
	cctx, cancel := context.WithTimeout(context.WithValue(ctx, instCtxKey{}, in), in.p.h.opts.Timeout)
	defer cancel()
	res, err := in.run(cctx, fn, params...)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, in.faultOf(cctx, err, callName(fn))
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// run calls fn until cctx is done: an instrumented module's stop flag is raised then
// (fuel.go), and wazero stops the others itself.
func (in *instance) run(cctx context.Context, fn api.Function, params ...uint64) ([]uint64, error) {
	if in.stop == nil {
		return fn.Call(cctx, params...)
	}
	in.stopMu.Lock()
	in.armed = true
	in.stopMu.Unlock()
	// goroutine: the function only raises the stop flag under a mutex
	unregister := context.AfterFunc(cctx, func() {
		in.stopMu.Lock()
		if in.armed {
			in.stop.Set(1)
		}
		in.stopMu.Unlock()
	})
	res, err := fn.Call(cctx, params...)
	unregister()
	in.stopMu.Lock()
	in.armed = false
	in.stop.Set(0)
	in.stopMu.Unlock()
	return res, err
}

// callName names fn in fault messages by its export (a module without a name section,
// as hand-written or non-Go modules often are, gives its functions no internal name).
func callName(fn api.Function) string {
	d := fn.Definition()
	if names := d.ExportNames(); len(names) > 0 {
		return names[0]
	}
	if d.Name() != "" {
		return d.Name()
	}
	return fmt.Sprintf("function %d", d.Index())
}

// panicLine finds the most telling line a Go (or other) guest printed before dying.
var panicLine = regexp.MustCompile(`(?m)^(panic: .*|fatal error: .*|runtime: out of memory.*)$`)

// wazeroPrefix is what wazero puts before the error of a function it ran itself.
var wazeroPrefix = regexp.MustCompile(`^module\[[^\]]*\] function\[[^\]]*\] failed: `)

// faultOf explains why a call failed: sandbox violation, time limit, memory cap, exit or
// trap, with what the plugin printed on stderr; or it is a panic in one of rolemine's host
// functions (an *InternalError, returned as it is: not the plugin's fault).
func (in *instance) faultOf(cctx context.Context, err error, call string) error {
	if ie := internalError(err); ie != nil {
		return ie
	}
	var cause string
	memMiB := 0.0
	if in.mem != nil {
		memMiB = float64(in.mem.Size()) / (1 << 20)
	}
	capMiB := in.p.h.opts.MemoryMiB
	printed := ""
	panicked := false // the guest's runtime said why it died
	if m := panicLine.FindString(in.stderr.String()); m != "" {
		printed = printable([]byte(m)) // a panic's value is the plugin's bytes, as they come
		panicked = true
	} else if last := in.stderr.lastLine(); last != "" {
		printed = last
	}
	var exit *sys.ExitError
	switch {
	case in.violation != "":
		cause = "sandbox violation: " + in.violation
	case in.aborted != "":
		cause = fmt.Sprintf("plugin aborted in %s: %s", call, in.aborted)
		if printed != "" {
			cause += "; plugin printed: " + printed
		}
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		cause = fmt.Sprintf("time limit of %s per call exceeded in %s", in.p.h.opts.Timeout, call)
	// Out of memory as the guest says, or, when it said nothing, a trap (not an exit) with
	// most of the cap in use: a guest whose memory.grow failed. A panic for another cause
	// (an index out of range) is a trap however much memory the plugin holds.
	case strings.Contains(printed, "out of memory") || !panicked && memMiB > float64(capMiB)*0.75 && !errors.As(err, &exit):
		cause = fmt.Sprintf("memory cap of %d MiB reached in %s (instance memory %.0f MiB)", capMiB, call, memMiB)
		if printed != "" {
			cause += ": " + printed
		}
	case errors.As(err, &exit):
		cause = fmt.Sprintf("plugin exited with code %d in %s", exit.ExitCode(), call)
		if printed != "" {
			cause += ": " + printed
		}
	default:
		first, _, _ := strings.Cut(err.Error(), "\n")
		// Instantiation's errors begin "module[] function[_initialize] failed: ", which
		// call already names.
		first = wazeroPrefix.ReplaceAllString(first, "")
		cause = fmt.Sprintf("trap in %s: %s", call, first)
		if printed != "" {
			cause += "; plugin printed: " + printed
		}
	}
	return in.p.fault(in.lo, in.hi, in.count, in.ids, cause)
}

// put copies b into a guest buffer obtained from rolemine_alloc.
func (in *instance) put(ctx context.Context, b []byte) (ptr uint32, err error) {
	if len(b) == 0 {
		return 0, nil
	}
	res, err := in.call(ctx, in.alloc, uint64(len(b)))
	if err != nil {
		return 0, err
	}
	ptr = uint32(res)
	if ptr == 0 || !in.mem.Write(ptr, b) {
		return 0, in.p.fault(in.lo, in.hi, in.count, in.ids, fmt.Sprintf("rolemine_alloc(%d) returned %d, outside the module's %d bytes of memory", len(b), ptr, in.mem.Size()))
	}
	return ptr, nil
}

// resultBytes returns a view of the guest's last result, valid until the next call.
func (in *instance) resultBytes(ctx context.Context) ([]byte, error) {
	res, err := in.call(ctx, in.result)
	if err != nil {
		return nil, err
	}
	ptr, n := uint32(res>>32), uint32(res)
	if n == 0 {
		return nil, nil
	}
	b, ok := in.mem.Read(ptr, n)
	if !ok {
		return nil, in.p.fault(in.lo, in.hi, in.count, in.ids, fmt.Sprintf("malformed output: rolemine_result points at %d bytes at offset %d, outside the module's %d bytes of memory", n, ptr, in.mem.Size()))
	}
	return b, nil
}

// init passes the configuration and returns the validated manifest.
func (in *instance) init(ctx context.Context, config []byte) (*Manifest, error) {
	ptr, err := in.put(ctx, config)
	if err != nil {
		return nil, err
	}
	st, err := in.call(ctx, in.initFn, uint64(ptr), uint64(len(config)))
	if err != nil {
		return nil, err
	}
	res, err := in.resultBytes(ctx)
	if err != nil {
		return nil, err
	}
	if f := statusFault("rolemine_init", st); f != "" {
		return nil, in.p.fault(0, 0, 0, nil, f)
	}
	if int32(st) != 0 {
		// The plugin refused its configuration: the user's to fix, like a configuration
		// that is not JSON (exit 2).
		return nil, uerr.Wrap(in.p.fault(0, 0, 0, nil, "init failed: "+guestMessage(res)))
	}
	m, err := parseManifest(res)
	if err != nil {
		return nil, in.p.fault(0, 0, 0, nil, err.Error())
	}
	return m, nil
}

// parseManifest reads and validates the manifest rolemine_init answers (plugins/ABI.md);
// the error is the fault's cause.
func parseManifest(res []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(res))
	dec.DisallowUnknownFields()
	err := dec.Decode(&m)
	if err == nil && len(bytes.TrimSpace(res[dec.InputOffset():])) > 0 {
		err = fmt.Errorf("bytes after the JSON object at offset %d", dec.InputOffset())
	}
	if err == nil && !utf8.Valid(res) {
		err = errors.New("not valid UTF-8")
	}
	if err != nil {
		return nil, fmt.Errorf("malformed manifest \"%s\": %v", printable(res), err)
	}
	if err := m.validate(); err != nil {
		return nil, errors.New("invalid manifest: " + err.Error())
	}
	return &m, nil
}

// printable shortens a guest message for an error (about 300 bytes) and escapes what a
// terminal would not show (NUL bytes, escape sequences, other control characters) as Go
// does in a quoted string; a newline stays a newline.
func printable(b []byte) string {
	var out strings.Builder
	for _, r := range strings.ToValidUTF8(string(b), "?") {
		if out.Len() >= 300 {
			out.WriteString("...")
			break
		}
		if r == '\n' || unicode.IsPrint(r) {
			out.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		out.WriteString(q[1 : len(q)-1])
	}
	return out.String()
}

// guestMessage is the error message a plugin returned with status 1, made printable, or
// says it gave none.
func guestMessage(res []byte) string {
	if len(bytes.TrimSpace(res)) == 0 {
		return "(the plugin gave no message)"
	}
	return printable(res)
}

// statusFault explains a status other than 0 (success) and 1 (error, the result is the
// message) returned by call; nil for those two.
func statusFault(call string, st uint64) string {
	if v := int32(st); v != 0 && v != 1 {
		return fmt.Sprintf("%s returned status %d; expected 0 (success) or 1 (error, see plugins/ABI.md)", call, v)
	}
	return ""
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
var attrRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,127}$`)

func (m *Manifest) validate() error {
	if !nameRE.MatchString(m.Name) {
		return fmt.Errorf("name %q: expected 1-64 letters, digits, '_', '.' or '-'", m.Name)
	}
	if len(m.Outputs) == 0 {
		return errors.New("no outputs declared")
	}
	seen := map[string]bool{}
	for _, o := range m.Outputs {
		if !attrRE.MatchString(o) {
			return fmt.Errorf("output attribute %q: expected a letter or '_' then up to 127 letters, digits, '_', '.' or '-'", o)
		}
		if seen[o] {
			return fmt.Errorf("output attribute %q declared twice", o)
		}
		seen[o] = true
	}
	for _, i := range m.Inputs {
		if i == "" {
			return errors.New("empty input attribute name")
		}
	}
	return nil
}

// tailBuffer keeps the first and the last few KiB a guest writes to stdout/stderr.
type tailBuffer struct {
	head, tail []byte
}

const tailMax = 4096

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := tailMax - len(t.head); room > 0 {
		k := min(room, len(p))
		t.head = append(t.head, p[:k]...)
		p = p[k:]
	}
	t.tail = append(t.tail, p...)
	if len(t.tail) > tailMax {
		t.tail = append(t.tail[:0], t.tail[len(t.tail)-tailMax:]...)
	}
	return n, nil
}

func (t *tailBuffer) String() string { return string(t.head) + string(t.tail) }

func (t *tailBuffer) lastLine() string {
	s := strings.TrimSpace(t.String())
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return printable([]byte(s))
}
