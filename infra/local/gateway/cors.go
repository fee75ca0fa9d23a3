package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// CORS is an HTTP API CorsConfiguration.
type CORS struct {
	// AllowOrigins lists allowed origins: exact ("https://a.example"),
	// "*" for any, or a wildcard subdomain ("https://*.example.com").
	AllowOrigins []string
	// AllowMethods lists the methods a preflight allows ("*" for any).
	AllowMethods []string
	// AllowHeaders lists the request headers a preflight allows.
	AllowHeaders []string
	// ExposeHeaders lists response headers scripts may read.
	ExposeHeaders []string
	// MaxAge is how long (seconds) browsers may cache a preflight.
	MaxAge int
	// AllowCredentials allows cookies and Authorization on cross-origin
	// requests.
	AllowCredentials bool
}

func (c *CORS) check() error {
	if c.AllowCredentials {
		for _, o := range c.AllowOrigins {
			if o == "*" {
				// API Gateway refuses this combination, as browsers do.
				return fmt.Errorf("AllowCredentials cannot be combined with AllowOrigins \"*\"")
			}
		}
	}
	return nil
}

// allowed returns the Access-Control-Allow-Origin value for origin, or "".
func (c *CORS) allowed(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		switch {
		case o == "*":
			return "*"
		case strings.EqualFold(o, origin):
			return origin
		case strings.Contains(o, "://*."):
			scheme, rest, _ := strings.Cut(o, "://*.")
			oscheme, ohost, ok := strings.Cut(origin, "://")
			if ok && strings.EqualFold(scheme, oscheme) && strings.HasSuffix(strings.ToLower(ohost), "."+strings.ToLower(rest)) {
				return origin
			}
		}
	}
	return ""
}

// preflight answers an OPTIONS preflight: 204, with the CORS headers only
// when the origin is allowed.
func (c *CORS) preflight(w http.ResponseWriter, origin string) {
	h := w.Header()
	if allow := c.allowed(origin); allow != "" {
		h.Set("Access-Control-Allow-Origin", allow)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	h.Add("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
}

// decorate adds the CORS headers of an actual (non-preflight) response.
func (c *CORS) decorate(h http.Header, origin string) {
	allow := c.allowed(origin)
	if allow == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	h.Add("Vary", "Origin")
}
