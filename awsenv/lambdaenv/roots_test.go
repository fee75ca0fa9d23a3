package lambdaenv

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// amazonRootFingerprints are the SHA-256 fingerprints Amazon Trust Services publishes
// (https://www.amazontrust.com/repository/) for the roots the AWS clients trust.
var amazonRootFingerprints = map[string]string{
	"Amazon Root CA 1": "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
	"Amazon Root CA 2": "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
	"Amazon Root CA 3": "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
	"Amazon Root CA 4": "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
	"Starfield Services Root Certificate Authority - G2": "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
}

// pemCerts parses every certificate block of b.
func pemCerts(t *testing.T, b []byte) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return certs
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parse a certificate: %v", err)
		}
		certs = append(certs, c)
	}
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func TestEmbeddedRootsAreExactlyTheAmazonTrustServicesRoots(t *testing.T) {
	certs := pemCerts(t, amazonTrustServices)
	if got, want := len(certs), len(amazonRootFingerprints); got != want {
		t.Fatalf("embedded certificates = %d, want %d", got, want)
	}
	for _, c := range certs {
		sum := sha256.Sum256(c.Raw)
		want, ok := amazonRootFingerprints[c.Subject.CommonName]
		if !ok {
			t.Errorf("unexpected embedded certificate %q", c.Subject.CommonName)
			continue
		}
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: fingerprint %s, want %s", c.Subject.CommonName, got, want)
		}
		if !c.IsCA {
			t.Errorf("%s is not a CA certificate", c.Subject.CommonName)
		}
	}
	pool, err := RootCAs(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if !pool.Equal(poolOf(certs...)) {
		t.Error("RootCAs without AWS_CA_BUNDLE is not exactly the embedded roots")
	}
}

// tlsServer starts an HTTPS server on 127.0.0.1 and writes its certificate (self-signed, so its own
// root) to a PEM file.
func tlsServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	file := filepath.Join(t.TempDir(), "bundle.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, file
}

func TestCABundleReplacesTheRoots(t *testing.T) {
	srv, bundle := tlsServer(t)
	getenv := mapEnv(map[string]string{VarCABundle: bundle, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"})
	pool, err := RootCAs(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if !pool.Equal(poolOf(srv.Certificate())) {
		t.Error("with AWS_CA_BUNDLE the pool is not exactly the bundle's certificates")
	}

	get := func(client *http.Client) error {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	// The configuration's client trusts the bundle...
	cfg, err := LambdaConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := get(cfg.HTTPClient.(*http.Client)); err != nil {
		t.Errorf("with the server's certificate as AWS_CA_BUNDLE: %v", err)
	}
	// ...and without it, only the Amazon roots, which did not sign the test server's certificate.
	getenv = mapEnv(map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"})
	if cfg, err = LambdaConfig(getenv); err != nil {
		t.Fatal(err)
	}
	var unknown x509.UnknownAuthorityError
	if err := get(cfg.HTTPClient.(*http.Client)); !errors.As(err, &unknown) {
		t.Errorf("with the Amazon roots only: %v, want an unknown authority error", err)
	}
}

func TestBadCABundleIsAClearError(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("this is no certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.pem"), "read AWS_CA_BUNDLE"},
		{notPEM, "AWS_CA_BUNDLE " + notPEM + ": no PEM certificate found"},
	} {
		getenv := mapEnv(map[string]string{VarCABundle: tc.path, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"})
		if _, err := RootCAs(getenv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RootCAs(%s) = %v, want an error with %q", tc.path, err, tc.want)
		}
		if _, err := LambdaConfig(getenv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LambdaConfig with AWS_CA_BUNDLE=%s = %v, want an error with %q", tc.path, err, tc.want)
		}
	}
}
