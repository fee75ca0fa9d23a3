package refund

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestErrorCode(t *testing.T) {
	base := &Error{Code: CodeNotFound, Message: "No such request.", Err: io.EOF}
	tests := []struct {
		err  error
		want Code
	}{
		{nil, ""},
		{io.EOF, CodeInternal},
		{base, CodeNotFound},
		{fmt.Errorf("find request r1: %w", base), CodeNotFound},
		{&Error{Message: "no code"}, CodeInternal},
		{FieldErrors{"email": "Enter an email."}.Err(), CodeInvalid},
	}
	for _, tc := range tests {
		if got := ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if !errors.Is(fmt.Errorf("wrap: %w", base), io.EOF) {
		t.Error("Error does not unwrap to its cause")
	}
	if got, want := base.Error(), "not_found: No such request.: EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	fe := FieldErrors{"b": "B.", "a": "A."}
	if got, want := fe.Err().Error(), "invalid: Some fields need your attention. (a: A.; b: B.)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if FieldErrors(nil).Err() != nil || (FieldErrors{}).Err() != nil {
		t.Error("empty field errors must give a nil error")
	}
	if got := Errorf(CodeGone, "Link %s expired.", "x"); got.Code != CodeGone || !strings.Contains(got.Message, "x expired") {
		t.Errorf("Errorf = %+v", got)
	}
}
