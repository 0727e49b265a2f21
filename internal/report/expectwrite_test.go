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

// TestWalkPublishedBeforeFileWritten: once every pair is walked, review.csv reads the
// walk while assignments.parquet still waits for the disk (the same bytes as after it,
// one walk in all); the file is then written whole.
func TestWalkPublishedBeforeFileWritten(t *testing.T) {
	x := usageUniverseRun(t)
	ctx := context.Background()
	seq := &Effective{Eff: x.eff.Eff, Class: x.eff.Class, Usage: x.eff.Usage}
	var want, wantFile bytes.Buffer
	if err := WriteEffectiveReviewCSV(ctx, &want, x.snap, x.cls, seq); err != nil {
		t.Fatal(err)
	}
	if err := writeEffectiveGroups(ctx, &wantFile, x.snap, x.m, x.cls, seq, "test", 1<<20); err != nil {
		t.Fatal(err)
	}

	eff := &Effective{Eff: x.eff.Eff, Class: x.eff.Class, Usage: x.eff.Usage}
	eff.ExpectWrite()
	out := &gatedWriter{gate: make(chan struct{})} // takes the magic bytes, then waits
	written := make(chan error, 1)
	go func() { written <- writeEffectiveGroups(ctx, out, x.snap, x.m, x.cls, eff, "test", 1<<20) }()
	var got bytes.Buffer
	review := make(chan error, 1)
	go func() { review <- WriteEffectiveReviewCSV(ctx, &got, x.snap, x.cls, eff) }()
	select {
	case err := <-review:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("review.csv still waits while assignments.parquet waits for the disk")
	}
	close(out.gate)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("review.csv read from the published walk differs from the one written after the file")
	}
	if !bytes.Equal(out.buf.Bytes(), wantFile.Bytes()) {
		t.Error("assignments.parquet differs when the walk is read while it is written")
	}
	if n := eff.walks.Load(); n != 1 {
		t.Errorf("%d walks over the pairs, want 1", n)
	}
}

// TestShareSummary: after RunInfo.ShareSummary, the bound model's summary and
// summary.json's are made once (the same figures object for NewModel, copies of the
// info included) and summary.json's bytes are those written without sharing.
func TestShareSummary(t *testing.T) {
	x := usageUniverseRun(t)
	info := RunInfo{Version: "test", Backend: "cpu", Workers: 2, Config: "test", Effective: x.eff}
	var want bytes.Buffer
	if err := writeSummaryJSON(&want, x.snap, x.m, x.cls, info); err != nil {
		t.Fatal(err)
	}
	shared := info
	shared.ShareSummary()
	a, err := NewModel(x.snap, x.m, x.cls, shared)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := writeSummaryJSON(&got, x.snap, x.m, x.cls, shared); err != nil {
		t.Fatal(err)
	}
	b, err := NewModel(x.snap, x.m, x.cls, shared)
	if err != nil {
		t.Fatal(err)
	}
	if a.Summary != b.Summary {
		t.Error("two models of one shared run info made their summaries twice")
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("summary.json from the shared figures differs from the one made afresh")
	}
	if c, err := NewModel(x.snap, x.m, x.cls, info); err != nil || c.Summary == a.Summary {
		t.Errorf("a run info without ShareSummary shares its figures (err %v)", err)
	}
}
