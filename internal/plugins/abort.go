package plugins

import (
	"context"
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// AssemblyScript's compiler makes every module import env.abort(message, fileName, line,
// column), which its runtime calls on a failed assertion or an out-of-range access. The
// host provides it so that AssemblyScript plugins run as built; a call ends the plugin
// with a fault quoting the message and where it was raised. Its two strings are
// AssemblyScript strings: UTF-16LE, with their length in bytes in the 4 bytes before them.
const (
	abortModule = "env"
	abortName   = "abort"
)

// abortParams is env.abort's signature: four i32 and no result.
var abortParams = []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}

// instantiateAbort instantiates the env module with abort.
func instantiateAbort(ctx context.Context, rt wazero.Runtime) error {
	_, err := rt.NewHostModuleBuilder(abortModule).
		NewFunctionBuilder().WithGoModuleFunction(guardHost(abortModule+"."+abortName, func(ctx context.Context, m api.Module, stack []uint64) {
		msg := asString(m.Memory(), uint32(stack[0]))
		file := asString(m.Memory(), uint32(stack[1]))
		what := fmt.Sprintf("%s (at %s:%d:%d)", msg, file, uint32(stack[2]), uint32(stack[3]))
		if in, ok := ctx.Value(instCtxKey{}).(*instance); ok {
			in.aborted = what
		}
		panic(&abortFault{what})
	}), abortParams, nil).
		WithParameterNames("message", "file_name", "line", "column").
		Export(abortName).
		Instantiate(ctx)
	return err
}

// asString reads the AssemblyScript string at ptr (0: none), at most 300 UTF-16 units of
// it; what is not readable reads as "?".
func asString(mem api.Memory, ptr uint32) string {
	if ptr == 0 {
		return ""
	}
	if mem == nil || ptr < 4 {
		return "?"
	}
	n, ok := mem.ReadUint32Le(ptr - 4)
	if !ok {
		return "?"
	}
	b, ok := mem.Read(ptr, min(n, 600)&^1)
	if !ok {
		return "?"
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return printable([]byte(string(utf16.Decode(units))))
}
