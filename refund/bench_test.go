package refund

import "testing"

func BenchmarkResolveProject(b *testing.B) {
	p := DefaultPolicy()
	o := projectOrder(100000, ms("Design", 30000, MilestoneDelivered, 0), ms("Build", 50001, MilestoneInProgress, 33), ms("Launch", 19999, MilestoneNotStarted, 0))
	req := testRequest(ReasonNoLongerNeeded)
	now := at(b, "2025-05-01")
	for b.Loop() {
		Resolve(p, req, o, now)
	}
}

func BenchmarkAgreementAndHash(b *testing.B) {
	o := projectOrder(100000, ms("Design", 30000, MilestoneDelivered, 0), ms("Build", 50001, MilestoneInProgress, 33))
	req := testRequest(ReasonNoLongerNeeded)
	of := Resolve(DefaultPolicy(), req, o, at(b, "2025-05-01")).Offers[0]
	for b.Loop() {
		AgreementHash(of, Agreement(o, req, of))
	}
}

func BenchmarkSubmissionValidate(b *testing.B) {
	s := validSubmission()
	for b.Loop() {
		s.Validate()
	}
}

func BenchmarkVerify(b *testing.B) {
	p := DefaultPolicy()
	s := validSubmission()
	o := hoursOrder(100000, 10, 3, 100000)
	now := at(b, "2025-03-10")
	for b.Loop() {
		Verify(p, s, &o, now)
	}
}
