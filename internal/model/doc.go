// Package model is rolemine's on-disk model: every document it writes or reads (rules,
// roles, summary, assignments, suggestions, churn, drift documents, discovered roles and
// generator truth), each format declared once, with one way to bind a model to a snapshot
// and to match a rule to an identity.
package model
