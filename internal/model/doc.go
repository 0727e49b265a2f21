// Package model declares the documents of rolemine's on-disk model, each once, for the
// code that writes them and the code that reads them back: the file names of a mine
// output directory, rules.json and rules.parquet (Rule, Term), roles.json (Role), the
// mine summary.json (Summary), churn.json (Churn), discovered.json (Discovered), the rows
// of assignments.parquet (Assignment) and suggestions.parquet (Suggestion), and drift's
// rules-health.json and summary.json, and the truth of a generated data set (Truth,
// UniverseTruth, UsageTruth, the truth/ file names and CSV headers), which bench/gen writes
// and bench/truth reads. report and bench/truth keep their own names for these types as
// aliases.
// RuleBinding binds a model's rules to a snapshot: the one way report, explain and drift
// match a written model's rules.
package model
