package stepfunctions

import (
	"crypto/rand"
	"encoding/base64"
)

// tokenBytes is the amount of randomness in a task token. AWS's tokens are
// opaque strings of several hundred characters; 192 random bytes give 256
// base64url characters, far beyond guessing, while keeping 10,000 parked
// tasks cheap.
const tokenBytes = 192

// tokenLen is the length of every token this engine issues.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// newTaskToken returns a fresh random task token.
func newTaskToken() string {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+
	// crashes the program instead of returning short reads).
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormedToken reports whether s could be a token this engine issued:
// the right length and only base64url characters. Anything else is answered
// with InvalidToken, as AWS answers a token it cannot decrypt.
func wellFormedToken(s string) bool {
	if len(s) != tokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
