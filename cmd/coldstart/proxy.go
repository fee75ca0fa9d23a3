package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// awsProxy lets a function process that knows only AWS's real endpoints (lambdaenv.FromProcess builds
// the configuration from the Lambda runtime's variables, without endpoint overrides) reach the local
// stand-ins: the process gets HTTPS_PROXY pointing here and AWS_CA_BUNDLE holding this proxy's CA, the
// proxy accepts the CONNECT to dynamodb.us-east-1.amazonaws.com:443 (and states., email.,
// secretsmanager.), completes the TLS handshake with a certificate for that name, and forwards the
// requests to the stand-in. The function does its TLS handshakes as it would in Lambda.
type awsProxy struct {
	ln      net.Listener
	caFile  string
	ca      *x509.Certificate
	caKey   *ecdsa.PrivateKey
	routes  map[string]*httputil.ReverseProxy // first DNS label → stand-in
	inner   *http.Server
	conns   chan net.Conn
	mu      sync.Mutex
	leaves  map[string]*tls.Certificate
	closed  chan struct{}
	closeMu sync.Once
}

// newAWSProxy starts the proxy on 127.0.0.1 with routes from a service's endpoint prefix ("dynamodb",
// "states", "email", "secretsmanager") to a local URL, and writes its CA to dir.
func newAWSProxy(dir string, routes map[string]string) (*awsProxy, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "coldstart local CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	p := &awsProxy{caFile: dir + "/ca.pem", ca: ca, caKey: key, routes: map[string]*httputil.ReverseProxy{},
		conns: make(chan net.Conn), leaves: map[string]*tls.Certificate{}, closed: make(chan struct{})}
	if err := os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	for prefix, target := range routes {
		u, err := url.Parse(target)
		if err != nil {
			return nil, err
		}
		p.routes[prefix] = httputil.NewSingleHostReverseProxy(u)
	}
	if p.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	p.inner = &http.Server{Handler: http.HandlerFunc(p.forward), ReadHeaderTimeout: 10 * time.Second}
	go p.inner.Serve(chanListener{p})
	go p.acceptLoop()
	return p, nil
}

// URL is the proxy's address for HTTPS_PROXY.
func (p *awsProxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops the proxy.
func (p *awsProxy) Close() {
	p.closeMu.Do(func() {
		close(p.closed)
		p.ln.Close()
		p.inner.Close()
	})
}

func (p *awsProxy) acceptLoop() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.tunnel(c)
	}
}

// tunnel answers one CONNECT and hands the decrypted connection to the inner server.
func (p *awsProxy) tunnel(c net.Conn) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		c.Write([]byte("HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n"))
		c.Close()
		return
	}
	if _, err := c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		c.Close()
		return
	}
	tc := tls.Server(bufferedConn{c, br}, &tls.Config{GetCertificate: p.leaf, NextProtos: []string{"http/1.1"}})
	select {
	case p.conns <- tc:
	case <-p.closed:
		c.Close()
	}
}

// leaf returns (and caches) a certificate for the requested name, signed by the proxy's CA.
func (p *awsProxy) leaf(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.leaves[name]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	p.leaves[name] = c
	return c, nil
}

// forward sends a decrypted request to the stand-in of its host.
func (p *awsProxy) forward(w http.ResponseWriter, r *http.Request) {
	prefix, _, _ := strings.Cut(r.Host, ".")
	rp, ok := p.routes[prefix]
	if !ok {
		http.Error(w, fmt.Sprintf("coldstart proxy: no stand-in for %s", r.Host), http.StatusBadGateway)
		return
	}
	rp.ServeHTTP(w, r)
}

// chanListener is a net.Listener fed with the tunnels' TLS connections.
type chanListener struct{ p *awsProxy }

func (l chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.p.conns:
		return c, nil
	case <-l.p.closed:
		return nil, errors.New("proxy closed")
	}
}
func (l chanListener) Close() error   { return nil }
func (l chanListener) Addr() net.Addr { return l.p.ln.Addr() }

// bufferedConn reads what the CONNECT's reader buffered before the connection itself.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
