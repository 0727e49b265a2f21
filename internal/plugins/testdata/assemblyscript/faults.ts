// fault-as is a test plugin built with the AssemblyScript compiler
// (scripts/assemblyscript/build.sh): it copies its input "title" to "title_copy", and on
// the title "Boom" fails the way its configuration (a JSON string) names:
//
//   "assert": prints a line to stderr, then fails an assertion, which calls env.abort
//             with a message and place;
//   "index":  an array index out of range, which AssemblyScript's runtime aborts on;
//   "loop":   an endless loop, for the time limit;
//   "grow":   allocates until memory.grow fails, for the memory cap;
//   "error":  returns status 1 with a message.
//
// Any other configuration is refused by rolemine_init (status 1).
import { Input, Output, runBatch, setError, setResult } from "../../../../plugins/examples/assemblyscript/assembly/rolemine";
export { rolemine_abi_version, rolemine_alloc, rolemine_result } from "../../../../plugins/examples/assemblyscript/assembly/rolemine";

let mode = "";

// eprint writes s and a line feed to stderr through WASI's fd_write, which the host
// captures and quotes in fault messages.
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: u32, written: usize): u32;

function eprint(s: string): void {
  const b = String.UTF8.encode(s + "\n");
  const iov = new ArrayBuffer(12); // one iovec (pointer, length), then the count written
  store<u32>(changetype<usize>(iov), <u32>changetype<usize>(b));
  store<u32>(changetype<usize>(iov) + 4, <u32>b.byteLength);
  fd_write(2, changetype<usize>(iov), 1, changetype<usize>(iov) + 8);
}
let kept = new Array<ArrayBuffer>();

export function rolemine_init(ptr: usize, len: i32): i32 {
  mode = String.UTF8.decodeUnsafe(ptr, <usize>len).trim();
  if (mode != '"assert"' && mode != '"index"' && mode != '"loop"' && mode != '"grow"' && mode != '"error"') {
    return setError(`unknown fault mode ${mode}`);
  }
  return setResult('{"name":"fault-as","version":"1.0.0","inputs":["title"],"outputs":["title_copy"]}');
}

export function rolemine_batch(ptr: usize, len: i32): i32 {
  return runBatch(ptr, len, 1, 1, derive);
}

function derive(inp: Input, out: Output): void {
  const title = inp.value(0);
  if (title == "Boom") fail(title, out);
  out.add(0, title);
}

function fail(title: string, out: Output): void {
  if (mode == '"assert"') {
    eprint("checking " + title);
    assert(false, "the title " + title + " is refused"); // a string on the heap
  } else if (mode == '"index"') {
    const a = [1, 2, 3];
    out.add(0, a[a.length + 4].toString());
  } else if (mode == '"loop"') {
    let n = 0;
    while (n >= 0) n = (n + 1) & 0xffff;
  } else if (mode == '"grow"') {
    for (;;) kept.push(new ArrayBuffer(1 << 20));
  } else {
    out.fail("the title Boom is refused");
  }
}
