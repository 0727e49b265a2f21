// hw.mjs IN OUT PROPS: rewrites the Parquet file IN as OUT with hyparquet-writer.
// PROPS is JSON: {codec, rg, page, enc: {STRING|INT32|INT64|BOOLEAN: ENCODING}, dict}.
import fs from 'fs'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
const [inp, out, propsText] = process.argv.slice(2)
const p = JSON.parse(propsText || '{}')
const buf = fs.readFileSync(inp)
const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
const md = parquetMetadata(ab)
const rows = await parquetReadObjects({ file: ab })
const leaves = md.schema.slice(1)
const columnData = []
for (const el of leaves) {
  if (el.num_children) throw new Error('nested column ' + el.name + ': not rewritten')
  const col = { name: el.name, data: rows.map(r => r[el.name] === undefined ? null : r[el.name]) }
  const kind = el.converted_type === 'UTF8' || el.logical_type?.type === 'STRING' ? 'STRING' : el.type
  if (['STRING', 'INT32', 'INT64', 'BOOLEAN'].includes(kind)) col.type = kind
  if (p.enc && p.enc[kind]) col.encoding = p.enc[kind]
  columnData.push(col)
}
const opts = { columnData }
if (p.codec) opts.codec = p.codec
if (p.rg) opts.rowGroupSize = p.rg
if (p.page) opts.pageSize = p.page
fs.writeFileSync(out, new Uint8Array(parquetWriteBuffer(opts)))
