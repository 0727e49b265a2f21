package main

import (
	"slices"
	"testing"
)

func TestAncestors(t *testing.T) {
	parents = map[string]string{"FIN-AP": "FIN", "FIN": "CORP", "IT": "CORP"}
	for _, tc := range []struct {
		u    string
		want []string
	}{
		{"FIN-AP", []string{"FIN-AP", "FIN", "CORP"}},
		{"IT", []string{"IT", "CORP"}},
		{"CORP", []string{"CORP"}},
		{"", nil},
	} {
		if got := ancestors(tc.u); !slices.Equal(got, tc.want) {
			t.Errorf("ancestors(%q) = %v, want %v", tc.u, got, tc.want)
		}
	}
	if err := checkAcyclic(map[string]string{"A": "B", "B": "A"}); err == nil {
		t.Error("cycle accepted")
	}
}
