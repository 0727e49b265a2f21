package drift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/rolemine/rolemine/internal/columnar"
	"github.com/rolemine/rolemine/internal/report"
	"github.com/rolemine/rolemine/internal/uerr"
)

// prevAssignmentRow is the part of the model's assignments.parquet drift reads.
type prevAssignmentRow struct {
	IdentityID string  `parquet:"identity_id"`
	RoleID     string  `parquet:"role_id"`
	Status     string  `parquet:"status"`
	RuleID     *string `parquet:"rule_id,optional"`
}

// classifyFromAssignments uses the statuses the model recorded at mining time: an
// assignment unexplained now that was "explained" then is a revoke candidate (its change
// cannot be named); one absent then is new.
func classifyFromAssignments(ctx context.Context, model *report.Model, next *columnar.Snapshot, path string, unexpl []pair, out *unexplainedClasses) (err error) {
	type key struct{ id, role string }
	want := make(map[key]int, len(unexpl))
	for n, p := range unexpl {
		want[key{next.IdentityIDs[p.i], next.Roles.IDs[p.r]}] = n
	}
	ruleIdx := make(map[string]int32, len(model.Rules))
	for k := range model.Rules {
		ruleIdx[model.Rules[k].RuleID] = int32(k)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	// The footer and pages are checked before parquet-go decodes them (it sizes buffers
	// from what a corrupt file claims); a panic of its decoder is a corrupt file too, but
	// a panic in rolemine's own code here is a bug (exit 1), not the file's fault.
	pf, err := columnar.OpenParquet(f, st.Size())
	if err != nil {
		return uerr.New("%s: not a readable Parquet file: %v", path, err)
	}
	defer func() {
		// recover: parquet-go's panic is a corrupt file; one in rolemine's code a bug (columnar.OwnBug)
		if p := recover(); p != nil {
			err = uerr.New("%s: corrupt Parquet file: %v", path, p)
			if bug := columnar.OwnBug(p); bug != nil {
				err = fmt.Errorf("%s: %w", path, bug)
			}
		}
	}()
	r := parquet.NewGenericReader[prevAssignmentRow](pf)
	defer r.Close()
	held := make([]bool, len(unexpl))
	rule := make([]int32, len(unexpl))
	for k := range rule {
		rule[k] = -1
	}
	buf := make([]prevAssignmentRow, 4096)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		for _, row := range buf[:n] {
			j, ok := want[key{row.IdentityID, row.RoleID}]
			if !ok {
				continue
			}
			held[j] = true
			if row.Status == "explained" && row.RuleID != nil {
				if k, ok := ruleIdx[*row.RuleID]; ok {
					rule[j] = k
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return uerr.New("%s: %v", path, err)
		}
	}
	for j, p := range unexpl {
		switch {
		case !held[j]:
			out.newAccess++
			out.newByKind[next.Kind(int(p.i))]++
		case rule[j] >= 0:
			out.revokes = append(out.revokes, rawAction{i: p.i, r: p.r, rule: rule[j], typ: tRevoke, change: ChangeUnknown})
		default:
			out.still++
		}
	}
	return nil
}
