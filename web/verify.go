package web

import (
	"time"

	"refundflow/refund"
)

// MaxVerifyBytes bounds what POST /verify accepts, the whole multipart body with the PDF: far above
// any agreement (about 5 KB), and small enough that its base64 form stays well inside Lambda's 6 MB
// request payload, so the function, not the platform, answers an upload that is too large.
const MaxVerifyBytes = 1 << 20

// VerifyPage is the public check of a signed agreement (GET and POST /verify): a form that takes the
// agreement's PDF or its fingerprint, and, after a check, the answer. A genuine agreement names only
// its order and when it was signed, which whoever holds the document can read in it already.
type VerifyPage struct {
	// Fingerprint is what was entered, shown again after an error.
	Fingerprint string
	// Errors has one message per invalid field: pdf, fingerprint.
	Errors refund.FieldErrors
	// NotOurs says the document or fingerprint matches no agreement we issued.
	NotOurs bool
	// Found is the agreement that matched; nil before a check and when nothing matched.
	Found *refund.SignedAgreement
}

func (p VerifyPage) info() pageInfo {
	switch {
	case p.Found != nil:
		return pageInfo{template: "verify", title: "This is a genuine agreement"}
	case p.NotOurs:
		return pageInfo{template: "verify", title: "We did not issue this agreement"}
	case len(p.Errors) > 0:
		return pageInfo{template: "verify", title: "Error: Check a signed agreement"}
	}
	return pageInfo{template: "verify", title: "Check a signed agreement"}
}

// Summary lists the errors in page order for the error summary.
func (p VerifyPage) Summary() []SummaryItem {
	return summarize(p.Errors, []field{{"pdf", "pdf"}, {"fingerprint", "fingerprint"}})
}

// SignedAt is when the found agreement was signed, in the pages' words.
func (p VerifyPage) SignedAt() string {
	if p.Found == nil {
		return ""
	}
	return formatTime(p.Found.SignedAt.UTC().Truncate(time.Second))
}
