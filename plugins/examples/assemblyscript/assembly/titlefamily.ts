// titlefamily-as is the titlefamily criterion plugin (plugins/examples/titlefamily)
// written in AssemblyScript: it normalises free-text job titles ("Sr. Software Eng") into
// a family ("Software Engineer") and a level ("senior"; "I".."V" for a numeric grade;
// "mid" when the title has neither). Its outputs are those of the Go example, value for
// value (internal/plugins/assemblyscript_test.go holds them to it).
//
// Configuration (optional JSON): {"input": "title", "family": "title_family", "level":
// "title_level"} names the input attribute and the two outputs. Unlike Go's
// encoding/json it takes string values only, and refuses anything else.
//
// Build: scripts/assemblyscript/build.sh (npm ci, then asc with asconfig.json).
import { Input, Output, runBatch, setError, setResult } from "./rolemine";
export { rolemine_abi_version, rolemine_alloc, rolemine_result } from "./rolemine";

let input = "title";
let family = "title_family";
let level = "title_level";

export function rolemine_init(ptr: usize, len: i32): i32 {
  if (len > 0) {
    const err = configure(String.UTF8.decodeUnsafe(ptr, <usize>len));
    if (err.length > 0) return setError("configure: config: " + err);
  }
  return setResult(
    `{"name":"titlefamily-as","version":"1.0.0","inputs":[${quote(input)}],` +
      `"outputs":[${quote(family)},${quote(level)}]}`,
  );
}

export function rolemine_batch(ptr: usize, len: i32): i32 {
  return runBatch(ptr, len, 1, 2, derive);
}

function derive(inp: Input, out: Output): void {
  const fl = normalize(inp.value(0));
  out.add(0, fl[0]);
  out.add(1, fl[1]);
}

// abbreviations expands the abbreviations of title words (lower case, no punctuation).
const abbreviations = new Map<string, string>();
// seniority maps seniority words to a level; they are removed from the family.
const seniority = new Map<string, string>();
// grades maps numeric or roman grades to levels.
const grades = new Map<string, string>();

function fill(m: Map<string, string>, pairs: string[]): void {
  for (let i = 0; i + 1 < pairs.length; i += 2) m.set(pairs[i], pairs[i + 1]);
}

fill(abbreviations, [
  "sr", "senior", "snr", "senior", "jr", "junior", "jnr", "junior",
  "eng", "engineer", "engr", "engineer", "engineering", "engineer",
  "dev", "developer", "devs", "developer", "swe", "software engineer",
  "sw", "software", "mgr", "manager", "mngr", "manager", "mgmt", "management",
  "assoc", "associate", "asst", "assistant", "admin", "administrator",
  "sysadmin", "system administrator", "ops", "operations", "spec", "specialist",
  "sre", "site reliability engineer", "qa", "quality assurance", "acct", "accountant",
  "exec", "executive", "dir", "director", "vp", "vice president", "pm", "product manager",
  "princ", "principal", "mid", "mid",
]);
fill(seniority, [
  "junior", "junior", "intern", "", "trainee", "junior", "graduate", "junior",
  "senior", "senior", "lead", "lead", "staff", "lead", "principal", "principal",
  "chief", "principal", "mid", "mid", "head", "lead",
]);
fill(grades, [
  "i", "I", "1", "I", "ii", "II", "2", "II", "iii", "III", "3", "III",
  "iv", "IV", "4", "IV", "v", "V", "5", "V",
]);

// lowerWords lower-cases title as Go's strings.ToLower does and splits it into runs of
// a-z, 0-9 and '&'. String#toLowerCase is not used: it applies Unicode's special casing
// ("İ" becomes "i" and a combining dot), where Go maps each character to one, so the two
// plugins would split "İT Manager" differently. Only two non-ASCII characters lower-case
// to ASCII in Go: U+0130 to "i" and the Kelvin sign U+212A to "k".
function lowerWords(title: string): string[] {
  const words = new Array<string>();
  let word = "";
  for (let i = 0; i < title.length; i++) {
    let c = title.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c == 0x130) c = 105;
    else if (c == 0x212a) c = 107;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 38) {
      word += String.fromCharCode(c);
    } else if (word.length > 0) {
      words.push(word);
      word = "";
    }
  }
  if (word.length > 0) words.push(word);
  return words;
}

// normalize returns [family, level] of a title; both "" when the title has no family.
function normalize(title: string): string[] {
  const expanded = new Array<string>();
  const words = lowerWords(title);
  for (let i = 0; i < words.length; i++) {
    let w = words[i];
    if (abbreviations.has(w)) w = abbreviations.get(w);
    const parts = w.split(" ");
    for (let j = 0; j < parts.length; j++) expanded.push(parts[j]);
  }
  const core = new Array<string>();
  let lvl = "";
  for (let i = 0; i < expanded.length; i++) {
    const w = expanded[i];
    if (seniority.has(w)) {
      if (w == "intern") {
        core.push(w); // "Intern" is a family of its own
        continue;
      }
      const l = seniority.get(w);
      if (lvl.length == 0 || l == "principal") lvl = l;
      continue;
    }
    if (grades.has(w) && core.length > 0) {
      lvl = grades.get(w);
      continue;
    }
    core.push(w);
  }
  if (core.length == 0) return ["", ""];
  if (lvl.length == 0) lvl = "mid";
  for (let i = 0; i < core.length; i++) {
    const w = core[i];
    if (w == "and" || w == "of" || w == "&") continue;
    core[i] = w.charAt(0).toUpperCase() + w.substring(1);
  }
  return [core.join(" "), lvl];
}

// quote writes s as a JSON string.
function quote(s: string): string {
  let q = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34 || c == 92) q += "\\" + String.fromCharCode(c);
    else if (c < 32) q += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
    else q += String.fromCharCode(c);
  }
  return q + '"';
}

// configure reads a flat JSON object of strings; returns an error message or "".
function configure(text: string): string {
  const p = new JSONReader(text);
  if (!p.skip("{")) return "expected a JSON object";
  if (p.skip("}")) return "";
  do {
    const key = p.str();
    if (p.err.length > 0) return p.err;
    if (!p.skip(":")) return `expected ':' after "${key}"`;
    const val = p.str();
    if (p.err.length > 0) return `field "${key}": ${p.err}`;
    const k = key.toLowerCase(); // encoding/json matches field names case-insensitively
    if (k == "input") input = val;
    else if (k == "family") family = val;
    else if (k == "level") level = val;
  } while (p.skip(","));
  if (!p.skip("}")) return "expected ',' or '}'";
  return "";
}

// JSONReader reads the few JSON tokens configure needs.
class JSONReader {
  constructor(public s: string) {}
  i: i32 = 0;
  err: string = "";

  space(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.i++;
    }
  }

  // skip consumes tok after white space when it is next.
  skip(tok: string): bool {
    this.space();
    if (this.s.substr(this.i, tok.length) != tok) return false;
    this.i += tok.length;
    return true;
  }

  // str reads a JSON string, escapes decoded; sets err when the next value is not one.
  str(): string {
    if (!this.skip('"')) {
      this.err = "expected a string";
      return "";
    }
    let out = "";
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i++);
      if (c == 34) return out;
      if (c != 92) {
        out += String.fromCharCode(c);
        continue;
      }
      const e = this.s.charAt(this.i++);
      if (e == "u") {
        out += String.fromCharCode(<i32>parseInt(this.s.substr(this.i, 4), 16));
        this.i += 4;
      } else if (e == "n") out += "\n";
      else if (e == "t") out += "\t";
      else if (e == "r") out += "\r";
      else if (e == "b") out += "\b";
      else if (e == "f") out += "\f";
      else out += e; // \" \\ \/
    }
    this.err = "unterminated string";
    return "";
  }
}
