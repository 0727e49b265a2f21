// Command duckw runs SQL statements, read from standard input and separated by a
// semicolon at the end of a line, in an in-memory DuckDB database, printing the rows of
// each as tab-separated text. scripts/thirdparty/fixtures.sh uses it to write the
// DuckDB Parquet fixtures; it is its own module so that the repository's build needs no
// cgo and no DuckDB.
package main

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"

	_ "github.com/marcboeker/go-duckdb"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "duckw:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	src, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	if len(os.Args) > 1 && os.Args[1] == "-version" {
		var v string
		if err := db.QueryRow("SELECT version()").Scan(&v); err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, v)
		return err
	}
	for _, stmt := range strings.Split(string(src), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if err := query(db, stmt, out); err != nil {
			return fmt.Errorf("%v\nin: %s", err, stmt)
		}
	}
	return nil
}

// query runs stmt and prints its rows.
func query(db *sql.DB, stmt string, out io.Writer) error {
	rows, err := db.Query(stmt)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if i > 0 {
				fmt.Fprint(out, "\t")
			}
			fmt.Fprint(out, v)
		}
		fmt.Fprintln(out)
	}
	return rows.Err()
}
