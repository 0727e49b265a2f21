package main

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct{ name, app, env string }{
		{"svc-payments-prod-3", "payments", "prod"},
		{"svc-order-api-staging-12", "order-api", "staging"},
		{"key-search-dev-1", "search", "dev"},
		{"wl-crm-test-7", "crm", "test"},
		{"sa_billing_prod", "billing", "prod"},
		{"u0000001", "", ""},
		{"svc-payments-prod-x", "", ""},
	} {
		app, env := parse(tc.name)
		if app != tc.app || env != tc.env {
			t.Errorf("parse(%q) = %q, %q; want %q, %q", tc.name, app, env, tc.app, tc.env)
		}
	}
	if _, err := compile([]string{"svc-{app}{env}"}); err == nil {
		t.Error("adjacent placeholders accepted")
	}
	if _, err := compile([]string{"svc-{team}"}); err == nil {
		t.Error("unknown placeholder accepted")
	}
}
