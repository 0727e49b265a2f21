// The guest side of the rolemine plugin ABI, version 1 (plugins/ABI.md), for
// AssemblyScript. A plugin's entry file re-exports rolemine_abi_version, rolemine_alloc
// and rolemine_result from here, and implements rolemine_init and rolemine_batch with
// setResult, setError and runBatch.
//
// Strings cross the ABI as UTF-8; AssemblyScript strings are UTF-16, so values are
// decoded on the way in (String.UTF8.decodeUnsafe) and encoded on the way out.

// The input buffer handed to the host by rolemine_alloc, kept reachable from a global so
// that the garbage collector does not free it while the host writes into it.
let inBuf = new ArrayBuffer(0);

// The last result (manifest, output batch or error message) and its length in bytes.
let resBuf = new ArrayBuffer(4096);
let resLen: i32 = 0;

export function rolemine_abi_version(): i32 {
  return 1;
}

// rolemine_alloc returns a buffer of at least size bytes, valid until the next call.
export function rolemine_alloc(size: i32): usize {
  if (inBuf.byteLength < size) {
    inBuf = new ArrayBuffer(size);
  }
  return changetype<usize>(inBuf);
}

// rolemine_result returns the last result as ptr << 32 | len.
export function rolemine_result(): u64 {
  return (<u64>changetype<usize>(resBuf) << 32) | <u64>resLen;
}

// reserve makes room for n more bytes in the result buffer.
function reserve(n: i32): void {
  if (resLen + n <= resBuf.byteLength) return;
  let size = resBuf.byteLength * 2;
  while (size < resLen + n) size *= 2;
  const grown = new ArrayBuffer(size);
  memory.copy(changetype<usize>(grown), changetype<usize>(resBuf), resLen);
  resBuf = grown;
}

function putU32(v: u32): void {
  reserve(4);
  store<u32>(changetype<usize>(resBuf) + resLen, v); // wasm is little-endian, as the ABI
  resLen += 4;
}

// putString appends len then the UTF-8 bytes of s.
function putString(s: string, withLen: bool): void {
  const utf8 = String.UTF8.encode(s);
  const n = utf8.byteLength;
  if (withLen) putU32(<u32>n);
  reserve(n);
  memory.copy(changetype<usize>(resBuf) + resLen, changetype<usize>(utf8), n);
  resLen += n;
}

// setResult makes s (a manifest) the result of a successful call; returns status 0.
export function setResult(s: string): i32 {
  resLen = 0;
  putString(s, false);
  return 0;
}

// setError makes msg the result of a failed call; returns status 1.
export function setError(msg: string): i32 {
  resLen = 0;
  putString(msg, false);
  return 1;
}

// Input holds one row's input attributes, in manifest order.
export class Input {
  values: Array<Array<string>> = [];

  // value returns the first value of input k, or "" when the row has none.
  value(k: i32): string {
    if (k < this.values.length && this.values[k].length > 0) return this.values[k][0];
    return "";
  }
}

// Output collects one row's derived values, in manifest order.
export class Output {
  values: Array<Array<string>> = [];
  error: string = "";

  // add appends v to output k; "" means no value.
  add(k: i32, v: string): void {
    if (v.length > 0) this.values[k].push(v);
  }

  // fail makes the batch fail with msg (status 1).
  fail(msg: string): void {
    this.error = msg;
  }
}

// Reader decodes the little-endian u32s and strings of an input batch.
class Reader {
  constructor(public ptr: usize, public end: usize) {}
  short: bool = false;

  u32(): u32 {
    if (this.ptr + 4 > this.end) {
      this.short = true;
      return 0;
    }
    const v = load<u32>(this.ptr);
    this.ptr += 4;
    return v;
  }

  str(): string {
    const n = <usize>this.u32();
    if (this.short || this.ptr + n > this.end) {
      this.short = true;
      return "";
    }
    const s = String.UTF8.decodeUnsafe(this.ptr, n);
    this.ptr += n;
    return s;
  }
}

// runBatch decodes the input batch at ptr, calls derive on every row and encodes the
// output batch with outputs attributes per row. Returns the status of rolemine_batch.
//
// Under asc's minimal runtime (--runtime minimal) nothing is freed unless __collect is
// called, so the rows of every batch would pile up until the memory cap; it is called
// here, first, while only globals hold objects (the minimal collector does not see
// locals). The default, incremental runtime collects by itself.
export function runBatch(ptr: usize, len: i32, inputs: i32, outputs: i32, derive: (input: Input, output: Output) => void): i32 {
  if (ASC_RUNTIME == 1) __collect(); // 1: Runtime.Minimal
  const r = new Reader(ptr, ptr + <usize>len);
  const rows = r.u32();
  const attrs = r.u32();
  if (r.short) return setError("malformed input batch: unexpected end of batch");
  if (<i32>attrs != inputs) return setError(`batch has ${attrs} input attributes, manifest declares ${inputs}`);
  const input = new Input();
  const output = new Output();
  for (let k = 0; k < inputs; k++) input.values.push([]);
  for (let k = 0; k < outputs; k++) output.values.push([]);
  resLen = 0;
  putU32(rows);
  putU32(<u32>outputs);
  for (let row: u32 = 0; row < rows; row++) {
    for (let k = 0; k < inputs; k++) {
      const n = r.u32();
      const vs = new Array<string>();
      for (let j: u32 = 0; j < n && !r.short; j++) vs.push(r.str());
      input.values[k] = vs;
    }
    if (r.short) return setError("malformed input batch: unexpected end of batch");
    for (let k = 0; k < outputs; k++) output.values[k] = [];
    derive(input, output);
    if (output.error.length > 0) return setError(`row ${row + 1} of the batch: ${output.error}`);
    for (let k = 0; k < outputs; k++) {
      const vs = output.values[k];
      putU32(<u32>vs.length);
      for (let j = 0; j < vs.length; j++) putString(vs[j], true);
    }
  }
  return 0;
}
