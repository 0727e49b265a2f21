package report

import (
	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/model"
	"github.com/rolemine/rolemine/internal/uerr"
)

// DataFingerprint identifies the data a snapshot was loaded from (model.DataFingerprint).
func DataFingerprint(inputs []columnar.Input) string { return model.DataFingerprint(inputs) }

// Fingerprint returns the fingerprint of the data the model was mined from: summary.json's
// data_fingerprint, or for models written before it existed, the one its list of inputs
// gives.
func (m *Model) Fingerprint() string {
	if m.Summary == nil {
		return ""
	}
	if m.Summary.DataFingerprint != "" {
		return m.Summary.DataFingerprint
	}
	return DataFingerprint(m.Summary.Inputs)
}

// CheckMinedFrom returns a user error when the model in modelDir was not mined from the
// data of snap (loaded from dataDir): answering from a model of other data would print
// figures that belong to neither. A model without any record of its inputs is accepted.
func (m *Model) CheckMinedFrom(snap *columnar.Snapshot, modelDir, dataDir string) error {
	want := m.Fingerprint()
	if want == "" {
		return nil
	}
	if got := DataFingerprint(snap.Inputs); got != want {
		return uerr.New("model %s was not mined from the data in %s: the data's fingerprint is %.12s, the model's (summary.json data_fingerprint) %.12s; give the data directory the model was mined from",
			modelDir, dataDir, got, want)
	}
	return nil
}
