package main

import "testing"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ title, family, level string }{
		{"Sr. Software Eng", "Software Engineer", "senior"},
		{"Senior Software Engineer", "Software Engineer", "senior"},
		{"software engineer II", "Software Engineer", "II"},
		{"Software Engineer", "Software Engineer", "mid"},
		{"Jr Software Dev", "Software Developer", "junior"},
		{"SWE 3", "Software Engineer", "III"},
		{"Senior Engineer II", "Engineer", "II"},
		{"Ops Mgr", "Operations Manager", "mid"},
		{"Principal SRE", "Site Reliability Engineer", "principal"},
		{"Intern", "Intern", "mid"},
		{"  ", "", ""},
		{"Senior", "", ""},
	} {
		f, l := normalize(tc.title)
		if f != tc.family || l != tc.level {
			t.Errorf("normalize(%q) = %q, %q; want %q, %q", tc.title, f, l, tc.family, tc.level)
		}
	}
}
