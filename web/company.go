package web

import (
	"net/url"
	"sync/atomic"

	"refundflow/refund"
)

// company is the identity every page shows in its header and footer. It is process-wide on purpose:
// pages are rendered in many places (the handlers, and apigw's error pages for any failure, which
// know nothing of a handler's configuration), and a Lambda process runs one function of one
// deployment, whose builder sets it once at cold start (SetCompany). The local stack runs every
// function in one process, all with the same identity.
var company atomic.Pointer[refund.Company]

// SetCompany sets the identity the pages show from now on. Builders call it once, at cold start,
// with the deployment's validated configuration.
func SetCompany(c refund.Company) { company.Store(&c) }

// CurrentCompany returns the identity the pages show: the one set with SetCompany, or
// refund.DefaultCompany when none was set.
func CurrentCompany() refund.Company {
	if c := company.Load(); c != nil {
		return *c
	}
	return refund.DefaultCompany()
}

// PolicyPath returns the address of the published refund policy the pages link to: the company's own
// (Company.PolicyURL) when it has one, else /policy, or /policy/<version> for a given version.
func PolicyPath(version string) string {
	c := CurrentCompany()
	if c.PolicyURL != "" && version == "" {
		return c.PolicyURL
	}
	if version == "" {
		return "/policy"
	}
	return "/policy/" + url.PathEscape(version)
}
