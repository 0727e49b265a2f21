#!/usr/bin/env bash
# fixtures.sh: rewrites internal/columnar/testdata/thirdparty, the Parquet files of real
# third-party writers that TestThirdPartyParquet reads, and the expected text of their
# values (expected.csv, expected-attributes.csv).
#
# Writers: DuckDB (through duckw, a small cgo program in its own module, with the
# go-duckdb version bench/peers/duckdb uses), the Rust Arrow writer (the npm package
# parquet-wasm) and hyparquet-writer (npm). Needs Go with cgo, Node and npm; the npm
# packages are installed into a temporary directory, never into the repository. The tests
# need none of this.
#
# Environment: WORK (a temporary directory, kept when set).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/scripts/thirdparty"
out="$root/internal/columnar/testdata/thirdparty"
if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; else
	WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fi

(cd "$here/duckw" && go build -o "$WORK/duckw" .)
cp "$here/arrow.js" "$here/hyparquet.mjs" "$WORK/"
(cd "$WORK" && npm init -y >/dev/null && npm install --no-audit --no-fund \
	parquet-wasm@0.8.0 apache-arrow@21.2.0 hyparquet@1.31.5 hyparquet-writer@0.17.0 >/dev/null)
duck() { "$WORK/duckw"; }
mkdir -p "$out" && rm -f "$out"/*.parquet "$out"/*.csv "$out"/README.md

# The rows: 120 identities with every type the loader reads. identity_id is a UUID in
# the DuckDB files; login is hex (it compresses less than three times, the LZ4_RAW case);
# active has long runs for the RLE encoding of booleans.
cols="md5('id' || i)::UUID AS identity_id,
  substr(md5(CAST(i AS VARCHAR)), 1, 20) AS login,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'dept-' || (i % 5) END AS dept,
  CASE WHEN i % 11 = 0 THEN NULL WHEN i < 60 THEN (i // 20) % 2 = 0 ELSE i % 3 = 0 END AS active,
  DATE '2019-12-30' + CAST((i % 17) * 31 AS INTEGER) AS hired,
  TIMESTAMP '2026-03-31 08:15:00' + to_microseconds((i % 13) * 1000000 + (i % 4) * 250000) AS seen,
  CAST((CASE WHEN i % 5 = 0 THEN -1 ELSE 1 END) * (i * 37 % 100000) / 100 AS DECIMAL(9,2)) AS salary,
  CAST(i * 1234567890123.4567 AS DECIMAL(38,4)) AS wide,
  CAST(i % 9 - 4 AS INTEGER) AS level,
  CAST(18446744073709551615 - i AS UBIGINT) AS counter,
  CAST(CASE WHEN i % 13 = 0 THEN NULL ELSE ['north', 'south', 'east', 'west'][i % 4 + 1] END AS loc) AS region"
tags="CASE i % 6 WHEN 0 THEN NULL WHEN 1 THEN []::VARCHAR[] WHEN 2 THEN ['a', NULL]
  ELSE ['p' || (i % 4), 'p' || (i % 3)] END AS tags"
# The text rolemine reads each value as (docs/inputs.md, input-parquet).
text="CAST(identity_id AS VARCHAR) AS identity_id, login, dept, CAST(active AS VARCHAR) AS active,
  CAST(hired AS VARCHAR) AS hired,
  regexp_replace(strftime(seen, '%Y-%m-%dT%H:%M:%S.%f'), '\\.?0+\$', '') || 'Z' AS seen,
  CAST(salary AS VARCHAR) AS salary, CAST(wide AS VARCHAR) AS wide, CAST(level AS VARCHAR) AS level,
  CAST(counter AS VARCHAR) AS counter, CAST(region AS VARCHAR) AS region"
pre="CREATE TYPE loc AS ENUM ('north', 'south', 'east', 'west');
CREATE TABLE t AS SELECT $cols, $tags FROM range(120) r(i);"

sql="$pre
COPY (SELECT $text FROM t) TO '$out/expected.csv' (HEADER, DELIMITER ',');
COPY (SELECT CAST(identity_id AS VARCHAR) AS identity_id, 'tags' AS attribute, v AS value
  FROM (SELECT identity_id, unnest(tags) AS v FROM t) WHERE v IS NOT NULL AND v <> ''
  ORDER BY 1, 3) TO '$out/expected-attributes.csv' (HEADER);"
for codec in snappy zstd gzip brotli lz4 uncompressed; do
	sql="$sql
COPY (SELECT * EXCLUDE (tags) FROM t) TO '$out/duckdb-$codec.parquet' (FORMAT parquet, COMPRESSION $codec);"
done
sql="$sql
COPY (SELECT * EXCLUDE (tags) FROM t) TO '$out/duckdb-nodict-rg.parquet' (FORMAT parquet, DICTIONARY_COMPRESSION_RATIO_THRESHOLD -1, ROW_GROUP_SIZE 50);
COPY (SELECT identity_id, tags FROM t) TO '$out/duckdb-list.parquet' (FORMAT parquet, COMPRESSION lz4);
COPY (SELECT * EXCLUDE (identity_id, region), CAST(identity_id AS VARCHAR) AS identity_id, CAST(region AS VARCHAR) AS region FROM t) TO '$WORK/arrow-source.parquet' (FORMAT parquet);
COPY (SELECT CAST(identity_id AS VARCHAR) AS identity_id, login, dept, active, level FROM t) TO '$WORK/hyparquet-source.parquet' (FORMAT parquet);
COPY (SELECT identity_id, login FROM t) TO '$WORK/uuid-source.parquet' (FORMAT parquet);"
echo "$sql" | duck >/dev/null

# The Rust Arrow writer (parquet-wasm): version 1 and 2 data pages, each codec it has that
# parquet-go lacks or reads wrongly, the DELTA and BYTE_STREAM_SPLIT encodings.
arrow() { (cd "$WORK" && node arrow.js "$1" "$out/$2.parquet" "$3"); }
arrow "$WORK/arrow-source.parquet" arrow-v2-lz4raw '{"v2":true,"codec":"LZ4_RAW"}'
arrow "$WORK/arrow-source.parquet" arrow-v1-lz4 '{"codec":"LZ4","rg":50}'
arrow "$WORK/arrow-source.parquet" arrow-v2-lz4-delta '{"v2":true,"codec":"LZ4","dict":false,"str":"DELTA_BYTE_ARRAY","int":"DELTA_BINARY_PACKED"}'
arrow "$WORK/arrow-source.parquet" arrow-v2-zstd-dlba '{"v2":true,"codec":"ZSTD","dict":false,"str":"DELTA_LENGTH_BYTE_ARRAY","page":1024}'
arrow "$WORK/arrow-source.parquet" arrow-v1-bss '{"codec":"GZIP","dict":false,"int":"BYTE_STREAM_SPLIT"}'
arrow "$WORK/arrow-source.parquet" arrow-v2-snappy '{"v2":true,"codec":"SNAPPY"}'
# A UUID through Arrow without its extension type: FIXED_LEN_BYTE_ARRAY(16), no logical type.
arrow "$WORK/uuid-source.parquet" refused-arrow-flba16 '{}'
# hyparquet-writer: version 2 pages, its default (SNAPPY), and the DELTA encodings with
# RLE booleans, uncompressed.
hyp() { (cd "$WORK" && node hyparquet.mjs "$1" "$out/$2.parquet" "$3"); }
hyp "$WORK/hyparquet-source.parquet" hyparquet-snappy '{}'
hyp "$WORK/hyparquet-source.parquet" hyparquet-delta '{"rg":50,"codec":"UNCOMPRESSED","enc":{"STRING":"DELTA_BYTE_ARRAY","INT32":"DELTA_BINARY_PACKED","BOOLEAN":"RLE"}}'

version() { node -p "require('$WORK/node_modules/$1/package.json').version"; }
duckdb=$(echo | "$WORK/duckw" -version)
rs=$(grep -ao 'parquet-rs version [0-9.]*' "$out/arrow-v2-snappy.parquet" | head -1)
cat >"$out/README.md" <<EOF
# Parquet files of third-party writers

Written by scripts/thirdparty/fixtures.sh (do not edit by hand); read by
TestThirdPartyParquet and TestThirdPartyParquetRefused, and FuzzLoadParquet's seeds.
Every file holds the same 120 identities; expected.csv gives the text each value must
read as, expected-attributes.csv the values of the list column tags.

| files | writer and version | what they hold |
|---|---|---|
| duckdb-{snappy,zstd,gzip,brotli,lz4,uncompressed}.parquet | DuckDB $duckdb (go-duckdb v1.8.5), COPY ... (FORMAT parquet, COMPRESSION codec) | UUID identity_id, VARCHAR, BOOLEAN, DATE, TIMESTAMP, DECIMAL(9,2), DECIMAL(38,4), INTEGER, UBIGINT, ENUM, NULLs; lz4 is LZ4_RAW |
| duckdb-nodict-rg.parquet | DuckDB $duckdb | the same without dictionaries, in row groups of 50 |
| duckdb-list.parquet | DuckDB $duckdb | a VARCHAR[] (LIST) column with NULL and empty lists and NULL elements, LZ4_RAW |
| arrow-*.parquet | $rs (the Rust Arrow writer) through the npm package parquet-wasm $(version parquet-wasm) | identity_id as text, the types above (ENUM as text) and the list: v2-lz4raw; v1-lz4 (Hadoop LZ4, row groups of 50); v2-lz4-delta (DELTA_BYTE_ARRAY, DELTA_BINARY_PACKED, pages stored uncompressed in an LZ4 chunk); v2-zstd-dlba (DELTA_LENGTH_BYTE_ARRAY, small pages); v1-bss (BYTE_STREAM_SPLIT integers, GZIP); v2-snappy. Version 2 pages hold RLE booleans |
| hyparquet-{snappy,delta}.parquet | hyparquet-writer $(version hyparquet-writer) (npm) | strings, BOOLEAN and INTEGER in version 2 pages; delta: DELTA_BYTE_ARRAY, DELTA_BINARY_PACKED, RLE booleans, uncompressed, row groups of 50 |
| refused-arrow-flba16.parquet | $rs through parquet-wasm $(version parquet-wasm) | a DuckDB UUID column after Arrow: FIXED_LEN_BYTE_ARRAY(16) with no logical type (refused) |
EOF
echo "DuckDB $duckdb, $rs (parquet-wasm $(version parquet-wasm)), hyparquet-writer $(version hyparquet-writer): $(ls "$out" | wc -l) files in $out"
