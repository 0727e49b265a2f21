package report

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/rolemine/rolemine/internal/mining"
)

// TestExpectWriteSharesTheWalk: after Effective.ExpectWrite, review.csv started before
// the model files waits for the walk that writes assignments.parquet and reads it (one
// walk in all, the same bytes as one after the other); and a WriteModelTo that fails
// before it walks still releases the waiting writers.
func TestExpectWriteSharesTheWalk(t *testing.T) {
	x := usageUniverseRun(t)
	ctx := context.Background()
	info := func(eff *Effective) RunInfo {
		return RunInfo{Version: "test", Backend: "cpu", Workers: 2, Config: "test", Effective: eff}
	}
	seq := &Effective{Eff: x.eff.Eff, Class: x.eff.Class, Usage: x.eff.Usage}
	if err := WriteModel(ctx, t.TempDir(), x.snap, x.m, x.cls, info(seq)); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteEffectiveReviewCSV(ctx, &want, x.snap, x.cls, seq); err != nil {
		t.Fatal(err)
	}

	eff := &Effective{Eff: x.eff.Eff, Class: x.eff.Class, Usage: x.eff.Usage}
	eff.ExpectWrite()
	var got bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- WriteEffectiveReviewCSV(ctx, &got, x.snap, x.cls, eff) }()
	time.Sleep(20 * time.Millisecond) // review.csv asks for the walk first
	if err := WriteModel(ctx, t.TempDir(), x.snap, x.m, x.cls, info(eff)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := eff.walks.Load(); n != 1 {
		t.Errorf("%d walks over the pairs, want 1 (the one writing assignments.parquet)", n)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("review.csv read from the writing walk differs from the one written after it")
	}

	failed := &Effective{Eff: x.eff.Eff, Class: x.eff.Class}
	failed.ExpectWrite()
	go func() { done <- WriteEffectiveReviewCSV(ctx, io.Discard, x.snap, x.cls, failed) }()
	bad := &mining.Classification{RuleOf: x.cls.RuleOf[:1]} // fails checkInputs
	if err := WriteModel(ctx, t.TempDir(), x.snap, x.m, bad, info(failed)); err == nil {
		t.Fatal("WriteModel with a classification of the wrong length: no error")
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("review.csv still waits for a walk that never came")
	}
}
