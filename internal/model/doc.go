// Package model declares the documents of rolemine's on-disk model, each once, for the
// code that writes them and the code that reads them back. It holds drift's documents
// (rules-health.json and drift's summary.json); the mine outputs (rules, roles, summary,
// assignments, suggestions, churn), discovered roles and generator truth are still
// declared beside their writers in report, drift, discover and bench/truth, and are to
// move here with one way to bind a model to a snapshot.
package model
