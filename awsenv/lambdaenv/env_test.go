package lambdaenv

import (
	"errors"
	"testing"
)

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRequireCollectsEveryMissingVariable(t *testing.T) {
	env := Env{Getenv: mapEnv(map[string]string{VarTableName: " refunds ", VarMailFrom: "  "})}
	if got, want := env.Require(VarTableName), "refunds"; got != want {
		t.Errorf("Require(TABLE_NAME) = %q, want %q", got, want)
	}
	env.Require(VarMailFrom)
	env.Require(VarStaffEmail)
	env.Require(VarMailFrom) // asked twice, reported once
	err := env.Missing("NotifyFunction")
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("Missing = %v, want *MissingError", err)
	}
	if got, want := err.Error(), "NotifyFunction: missing environment variables MAIL_FROM, STAFF_EMAIL (set in template.yaml)"; got != want {
		t.Errorf("error = %q\nwant    %q", got, want)
	}
}

func TestMissingNilWhenComplete(t *testing.T) {
	env := Env{Getenv: mapEnv(map[string]string{VarTableName: "t"})}
	env.Require(VarTableName)
	if err := env.Missing("X"); err != nil {
		t.Fatalf("Missing = %v, want nil", err)
	}
}

func TestStaffEmailsSplitsAtCommas(t *testing.T) {
	env := Env{Getenv: mapEnv(map[string]string{VarStaffEmail: "a@example.com, b@example.com,,"})}
	got := env.StaffEmails()
	if len(got) != 2 || got[0] != "a@example.com" || got[1] != "b@example.com" {
		t.Errorf("StaffEmails = %q", got)
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true}, {"https://refunds.example.com", true}, {"http://127.0.0.1:8080/base", true},
		{"refunds.example.com", false}, {"https://x.example.com/?a=b", false}, {"ftp://x", false},
	} {
		if got := CheckBaseURL(tc.in) == nil; got != tc.ok {
			t.Errorf("CheckBaseURL(%q) ok = %v, want %v", tc.in, got, tc.ok)
		}
	}
}
