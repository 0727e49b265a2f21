// Command duckdb is the DuckDB peer of `rolemine bench cooccur` (docs/development.md#performance-targets): it
// computes the same complete role x criterion co-occurrence table with DuckDB SQL over the
// same Parquet files and prints the same result line (row count, order-independent
// checksum, seconds, peak RSS). It is a separate module so that rolemine itself never
// depends on DuckDB or cgo.
//
// Usage:
//
//	duckdb --data DIR --depth 1|2 --dims a,b,c [--threads 2] [--sql]
//
// --dims lists the attributes criteria use, as `rolemine bench cooccur --print-dims`
// prints them (the dimensions rolemine did not skip, kind included).
//
// "seconds" covers reading the Parquet files and materialising the complete table in a
// temporary table (CREATE TEMP TABLE ... AS); fetching the rows to checksum them is timed
// separately ("checksum_seconds" on stderr) and not included, so the comparison never
// charges DuckDB for the transfer into Go.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	_ "github.com/marcboeker/go-duckdb"

	"github.com/rolemine/rolemine/internal/bench/cooccur"
	"github.com/rolemine/rolemine/internal/bench/harness"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "duckdb peer:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// identName is a safe attribute name to splice into SQL as a quoted identifier.
var identName = regexp.MustCompile(`^[A-Za-z0-9_ .-]+$`)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("duckdb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory holding identities.parquet and assignments.parquet")
	depth := fs.Int("depth", 1, "1 or 2")
	dimList := fs.String("dims", "", "attributes criteria use, comma separated (rolemine bench cooccur --print-dims)")
	threads := fs.Int("threads", 2, "DuckDB threads")
	printSQL := fs.Bool("sql", false, "print the query and exit")
	plan := fs.String("plan", "pairs", "depth-2 query: pairs (one GROUP BY per attribute pair over the joined wide rows) or selfjoin (self-join of the unpivoted rows)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *data == "" || *dimList == "" || (*depth != 1 && *depth != 2) {
		return fmt.Errorf("%w: --data and --dims are required, --depth is 1 or 2", errUsage)
	}
	dims := strings.Split(*dimList, ",")
	for _, d := range dims {
		if !identName.MatchString(d) {
			return fmt.Errorf("%w: --dims: attribute %q: expected letters, digits, '_', ' ', '.' or '-'", errUsage, d)
		}
	}
	if *plan != "pairs" && *plan != "selfjoin" {
		return fmt.Errorf("%w: --plan %q: expected pairs or selfjoin", errUsage, *plan)
	}
	slices.Sort(dims) // byte order, as rolemine orders attributes
	query := buildQuery(*data, dims, *depth)
	if *depth == 2 && *plan == "pairs" {
		query = buildPairsQuery(*data, dims)
	}
	if *printSQL {
		fmt.Fprintln(stdout, query)
		return nil
	}
	for _, f := range []string{"identities.parquet", "assignments.parquet"} {
		if _, err := os.Stat(filepath.Join(*data, f)); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("open duckdb: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: temp tables are per connection
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range []string{fmt.Sprintf("SET threads = %d", *threads), "SET preserve_insertion_order = false"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}

	start := time.Now()
	if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE result AS "+query); err != nil {
		return fmt.Errorf("depth %d query: %w", *depth, err)
	}
	compute := time.Since(start)

	start = time.Now()
	dg, err := checksum(ctx, conn, *depth)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "duckdb peer: depth %d: query %.3fs, checksum_seconds %.3f\n", *depth, compute.Seconds(), time.Since(start).Seconds())
	r := harness.CooccurResult{Program: "duckdb", Depth: *depth, Rows: dg.Rows, Checksum: fmt.Sprintf("%016x", dg.Sum),
		Seconds: compute.Seconds(), PeakRSS: harness.PeakRSSSelf()}
	fmt.Fprintln(stdout, r.Line())
	return nil
}

// checksum streams the result table into the shared row hash.
func checksum(ctx context.Context, conn *sql.Conn, depth int) (cooccur.Digest, error) {
	var dg cooccur.Digest
	cols := "role_id, a1, v1, tp, support"
	if depth == 2 {
		cols = "role_id, a1, v1, a2, v2, tp, support"
	}
	rows, err := conn.QueryContext(ctx, "SELECT "+cols+" FROM result")
	if err != nil {
		return dg, fmt.Errorf("read result: %w", err)
	}
	defer rows.Close()
	var r cooccur.Row
	r.N = depth
	for rows.Next() {
		var err error
		if depth == 1 {
			err = rows.Scan(&r.Role, &r.Attrs[0], &r.Values[0], &r.TP, &r.Support)
		} else {
			err = rows.Scan(&r.Role, &r.Attrs[0], &r.Values[0], &r.Attrs[1], &r.Values[1], &r.TP, &r.Support)
		}
		if err != nil {
			return dg, fmt.Errorf("read result row %d: %w", dg.Rows+1, err)
		}
		dg.Add(r.Hash())
	}
	return dg, rows.Err()
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// buildQuery returns the query computing the table of the given depth, with the
// semantics of rolemine's loader: every listed attribute is cast to text, an empty or
// null value is no value, an empty or missing kind is "human", duplicate assignments
// count once, and assignments of identities absent from identities are ignored.
func buildQuery(dir string, dims []string, depth int) string {
	var sel []string
	for _, d := range dims {
		col := fmt.Sprintf("CAST(%q AS VARCHAR)", d)
		if d == "kind" {
			col = fmt.Sprintf("coalesce(nullif(%s, ''), 'human')", col)
		}
		sel = append(sel, fmt.Sprintf("%s AS %q", col, d))
	}
	ident := filepath.Join(dir, "identities.parquet")
	asg := filepath.Join(dir, "assignments.parquet")
	common := fmt.Sprintf(`WITH ident AS (
  SELECT CAST(identity_id AS VARCHAR) AS identity_id, %s
  FROM read_parquet(%s)),
av AS (
  SELECT identity_id, attribute, value
  FROM (UNPIVOT ident ON COLUMNS(* EXCLUDE (identity_id)) INTO NAME attribute VALUE value)
  WHERE value <> ''),
asg AS (
  SELECT DISTINCT CAST(identity_id AS VARCHAR) AS identity_id, CAST(role_id AS VARCHAR) AS role_id
  FROM read_parquet(%s)),
ra AS (
  SELECT asg.role_id, av.identity_id, av.attribute, av.value
  FROM asg JOIN av USING (identity_id))`, strings.Join(sel, ", "), sqlString(ident), sqlString(asg))
	if depth == 1 {
		return common + `,
sup AS (SELECT attribute, value, count(*) AS support FROM av GROUP BY attribute, value),
tp AS (SELECT role_id, attribute, value, count(*) AS tp FROM ra GROUP BY role_id, attribute, value)
SELECT tp.role_id, tp.attribute AS a1, tp.value AS v1, tp.tp, sup.support
FROM tp JOIN sup USING (attribute, value)`
	}
	// Depth 2: single terms with tp < 3 cannot be part of a pair with tp >= 3, so they
	// are pruned before the self-join (as rolemine's kernel prunes its prefixes).
	return common + fmt.Sprintf(`,
t1 AS (SELECT role_id, attribute, value FROM ra GROUP BY role_id, attribute, value HAVING count(*) >= %[1]d),
rp AS (SELECT ra.* FROM ra JOIN t1 USING (role_id, attribute, value)),
pairs AS (
  SELECT x.role_id, x.attribute AS a1, x.value AS v1, y.attribute AS a2, y.value AS v2, count(*) AS tp
  FROM rp x JOIN rp y ON x.role_id = y.role_id AND x.identity_id = y.identity_id AND x.attribute < y.attribute
  GROUP BY x.role_id, x.attribute, x.value, y.attribute, y.value
  HAVING count(*) >= %[1]d),
psup AS (
  SELECT x.attribute AS a1, x.value AS v1, y.attribute AS a2, y.value AS v2, count(*) AS support
  FROM av x JOIN av y ON x.identity_id = y.identity_id AND x.attribute < y.attribute
  GROUP BY x.attribute, x.value, y.attribute, y.value)
SELECT p.role_id, p.a1, p.v1, p.a2, p.v2, p.tp, s.support
FROM pairs p JOIN psup s USING (a1, v1, a2, v2)`, cooccur.Depth2MinTP)
}

// buildPairsQuery is the depth-2 query without a self-join: assignments joined once to the
// wide identity rows (materialised), then one GROUP BY per pair of attributes (a1 < a2 by
// name), for tp and for supports alike. It was faster than the self-join at tier M.
func buildPairsQuery(dir string, dims []string) string {
	var sel []string
	for _, d := range dims {
		col := fmt.Sprintf("nullif(CAST(%q AS VARCHAR), '')", d)
		if d == "kind" {
			col = fmt.Sprintf("coalesce(%s, 'human')", col)
		}
		sel = append(sel, fmt.Sprintf("%s AS %q", col, d))
	}
	var tp, sup []string
	for i, a := range dims {
		for _, b := range dims[i+1:] {
			cond := fmt.Sprintf("%q IS NOT NULL AND %q IS NOT NULL", a, b)
			tp = append(tp, fmt.Sprintf("SELECT role_id, %s AS a1, %q AS v1, %s AS a2, %q AS v2, count(*) AS tp FROM w WHERE %s GROUP BY role_id, %q, %q HAVING count(*) >= %d",
				sqlString(a), a, sqlString(b), b, cond, a, b, cooccur.Depth2MinTP))
			sup = append(sup, fmt.Sprintf("SELECT %s AS a1, %q AS v1, %s AS a2, %q AS v2, count(*) AS support FROM ident WHERE %s GROUP BY %q, %q",
				sqlString(a), a, sqlString(b), b, cond, a, b))
		}
	}
	return fmt.Sprintf(`WITH ident AS MATERIALIZED (
  SELECT CAST(identity_id AS VARCHAR) AS identity_id, %s
  FROM read_parquet(%s)),
asg AS (
  SELECT DISTINCT CAST(identity_id AS VARCHAR) AS identity_id, CAST(role_id AS VARCHAR) AS role_id
  FROM read_parquet(%s)),
w AS MATERIALIZED (SELECT asg.role_id, ident.* EXCLUDE (identity_id) FROM asg JOIN ident USING (identity_id)),
pairs AS (
%s),
psup AS (
%s)
SELECT p.role_id, p.a1, p.v1, p.a2, p.v2, p.tp, s.support
FROM pairs p JOIN psup s USING (a1, v1, a2, v2)`, strings.Join(sel, ", "), sqlString(filepath.Join(dir, "identities.parquet")),
		sqlString(filepath.Join(dir, "assignments.parquet")), strings.Join(tp, "\nUNION ALL\n"), strings.Join(sup, "\nUNION ALL\n"))
}
