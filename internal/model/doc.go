// Package model declares the documents of rolemine's on-disk model, each once, for the
// code that writes them and the code that reads them back: the file names of a mine
// output directory, rules.json and rules.parquet (Rule, Term), roles.json (Role), and
// drift's rules-health.json and summary.json. The mine summary, assignments, suggestions,
// churn, discovered roles and generator truth are still declared beside their writers in
// report, drift, discover and bench/truth. Binding a model's rules to a snapshot is
// report.RuleBinding, the one binding report, explain and drift share.
package model
