package plugins

import (
	"os"
	"testing"

	"github.com/rolemine/rolemine/internal/testroot"
)

// TestMain keeps the files the tests share (built binaries, generated tiers) in one
// temporary directory that is removed when the tests end.
func TestMain(m *testing.M) { os.Exit(testroot.Main(m)) }
