package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/rolemine/rolemine/internal/uerr"
)

// cmdExplain prints, for one identity, every role it holds with the rule that explains it
// or the nearest rule and the attributes that fail it, the roles the model would grant it,
// and its orphan status. It answers from the model files and the data, without mining.
func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlags("explain", stderr)
	var data, model, id string
	var asJSON bool
	fs.StringVar(&data, "data", "", "data directory the model was mined from")
	fs.StringVar(&model, "model", "", "output directory of `rolemine mine` (rules.json, roles.json, summary.json)")
	fs.StringVar(&id, "identity", "", "identity_id to explain")
	fs.BoolVar(&asJSON, "json", false, "print JSON instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if data == "" || model == "" || id == "" {
		return uerr.New("explain: --data, --model and --identity are required")
	}
	b, err := loadBound(ctx, data, model, logger)
	if err != nil {
		return err
	}
	ex, err := b.Explain(id)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(ex)
	}
	return ex.WriteText(stdout)
}
