package mail

import (
	"fmt"
	"net/url"
	"strings"
)

// Links builds the absolute URLs that emails carry. They always start with the configured public base
// URL (where API Gateway or the local gateway serves the site), never with a request's Host header,
// which an attacker could set to steal link codes.
type Links struct {
	// Base is the public base URL, e.g. https://refunds.example.com or https://x.execute-api.../prod.
	Base *url.URL
}

// NewLinks parses and checks the public base URL: absolute http or https with a host, no user
// information, query or fragment. A trailing slash is ignored.
func NewLinks(base string) (Links, error) {
	u, err := url.Parse(base)
	if err != nil {
		return Links{}, fmt.Errorf("parse public base URL %q: %w", base, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return Links{}, fmt.Errorf("public base URL %q: must start with https:// (or http:// locally)", base)
	case u.Host == "":
		return Links{}, fmt.Errorf("public base URL %q: has no host", base)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return Links{}, fmt.Errorf("public base URL %q: must not have user information, a query or a fragment", base)
	}
	return Links{Base: u}, nil
}

// join returns the base URL with the escaped path segments appended and query set.
func (l Links) join(query url.Values, segments ...string) string {
	if l.Base == nil {
		return ""
	}
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	u := l.Base.JoinPath(escaped...)
	u.RawQuery = query.Encode()
	return u.String()
}

// StatusURL is the client's status page of request id, opened with the status link code:
// <base>/requests/<id>?t=<code>.
func (l Links) StatusURL(id, code string) string {
	return l.join(url.Values{"t": {code}}, "requests", id)
}

// ConsentURL is the page where the client reads the offers and agreement and decides:
// <base>/consent/<code>.
func (l Links) ConsentURL(code string) string { return l.join(nil, "consent", code) }

// FeedbackURL is the feedback form: <base>/feedback/<code>.
func (l Links) FeedbackURL(code string) string { return l.join(nil, "feedback", code) }

// FormURL is the request form, for clients who want to start again: <base>/.
func (l Links) FormURL() string {
	if l.Base == nil {
		return ""
	}
	u := l.Base.JoinPath()
	u.Path = strings.TrimRight(u.Path, "/") + "/"
	if u.RawPath != "" {
		u.RawPath = strings.TrimRight(u.RawPath, "/") + "/"
	}
	u.RawQuery = ""
	return u.String()
}

// StaffRequestURL opens request id in the staff console: <base>/staff?request=<id>.
func (l Links) StaffRequestURL(id string) string {
	return l.join(url.Values{"request": {id}}, "staff")
}

// PolicyURL is the published refund policy: <base>/policy, or <base>/policy/<version> for the version
// offers were made under.
func (l Links) PolicyURL(version string) string {
	if version == "" {
		return l.join(nil, "policy")
	}
	return l.join(nil, "policy", version)
}
