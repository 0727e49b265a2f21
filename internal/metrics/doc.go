// Package metrics is the one place for counts, percentages and bounds: the confusion counts
// of a rule or role against its scope, the precision and false-positive percentages derived
// from them, a rule's hit rate (true positives over support), and the bounds of a mining rule
// that say whether a rule or role passes and why not.
package metrics
