package lambdaenv

import (
	"crypto/x509"
	_ "embed"
	"fmt"
	"os"
)

// VarCABundle is the AWS SDKs' standard variable naming a PEM file of root certificates that
// replaces the trusted roots of the AWS clients (as config.LoadDefaultConfig treats it): for a TLS
// inspecting proxy, a private endpoint with its own CA, or the cold-start benchmark's proxy.
const VarCABundle = "AWS_CA_BUNDLE"

// amazonTrustServices holds the Amazon Trust Services roots (Amazon Root CA 1 to 4 and Starfield
// Services Root CA G2), copied from the Mozilla CA bundle; the file says where from.
//
// Why embed them: Go loads the system's roots on the first TLS handshake that needs them, and that
// read and parse of the whole CA bundle (about 140 certificates in Lambda's provided.al2023, 290 files
// on the benchmark machine) took 20–28 ms of each function's cold start. Every AWS service endpoint
// has served a certificate chaining to these roots since 2021, so the AWS clients need nothing else.
// Calls to other hosts (the Stripe client) keep the system roots.
//
//go:embed amazon-trust-services.pem
var amazonTrustServices []byte

// RootCAs returns the roots the AWS clients trust: the certificates of the PEM file AWS_CA_BUNDLE
// names when it is set, otherwise the embedded Amazon Trust Services roots. A bundle that cannot be
// read or holds no certificate is an error (the function then fails to start, saying why), never a
// silent fall-back to other roots.
func RootCAs(getenv func(string) string) (*x509.CertPool, error) {
	pemCerts, source := amazonTrustServices, "the embedded Amazon Trust Services roots"
	if path := getenv(VarCABundle); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", VarCABundle, err)
		}
		pemCerts, source = b, fmt.Sprintf("%s %s", VarCABundle, path)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCerts) {
		return nil, fmt.Errorf("%s: no PEM certificate found", source)
	}
	return pool, nil
}
