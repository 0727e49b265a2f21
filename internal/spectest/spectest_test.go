package spectest

import "testing"

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, line string
		want          bool
	}{
		{"R none: best set...precision 87.5...95...", "R none: best set reaches precision 87.5% < 95%", true},
		{"R none: best set...precision 87.5...95...", "R none: best set reaches precision 85.5% < 95%", false},
		{"R none: no holders in scope...", "R none: no holders in scope", true},
		{"R none: no holders in scope...", "S none: no holders in scope", false},
		{"a...b", "ab", true},
		{"a...a", "a", false},
		{"x...y...z", "xzy", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.line); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.pattern, tt.line, got, tt.want)
		}
	}
}

func TestPatterns(t *testing.T) {
	expected := "a...c\nexact\nx...\n"
	actual := "abc\nexact\ny\n"
	// Lines 1 and 2 are taken as expected; line 3 does not match and stays as found.
	if got, want := Patterns(expected, actual), "a...c\nexact\ny\n"; got != want {
		t.Errorf("Patterns = %q, want %q", got, want)
	}
}
