// pw.js IN OUT PROPS: rewrites the Parquet file IN as OUT with parquet-wasm (the Rust
// arrow writer). PROPS is JSON: {codec, v2, dict, str: ENC, int: ENC, rg, page}, where
// str and int are the encodings of the string and the integer columns.
const fs = require('fs');
const pw = require('parquet-wasm');
const arrow = require('apache-arrow');
const [inp, out, propsText] = process.argv.slice(2);
const p = JSON.parse(propsText || '{}');
const bytes = new Uint8Array(fs.readFileSync(inp));
const schema = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream()).schema;
const table = pw.readParquet(bytes);
let b = new pw.WriterPropertiesBuilder();
if (p.codec) b = b.setCompression(pw.Compression[p.codec]);
if (p.v2) b = b.setWriterVersion(pw.WriterVersion.V2);
if (p.dict === false) b = b.setDictionaryEnabled(false);
for (const f of schema.fields) {
  const t = f.type;
  if (p.str && (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t) || arrow.DataType.isBinary(t))) b = b.setColumnEncoding(f.name, pw.Encoding[p.str]);
  if (p.int && arrow.DataType.isInt(t)) b = b.setColumnEncoding(f.name, pw.Encoding[p.int]);
}
if (p.rg) b = b.setMaxRowGroupSize(p.rg);
if (p.page) b = b.setDataPageSizeLimit(p.page);
fs.writeFileSync(out, pw.writeParquet(table, b.build()));
