package main

import (
	"bufio"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
)

// verifyCase is one input line of `interop verify-x509`.
type verifyCase struct {
	Name        string   `json:"name"`
	Chain       []string `json:"chain"`
	Bundle      []string `json:"bundle"`
	TrustDomain string   `json:"trustDomain"`
	Now         string   `json:"now"`
}

// verifyResult is one output line of `interop verify-x509`.
type verifyResult struct {
	Name   string `json:"name"`
	Accept bool   `json:"accept"`
	ID     string `json:"id,omitempty"`
	Error  string `json:"error,omitempty"`
}

// verifyX509 reads JSON lines {name, chain, bundle, trustDomain, now} (base64 DER, RFC 3339)
// on stdin and prints one JSON line {name, accept, id?, error?} per case: the verdict of
// x509svid.ParseAndVerify with the bundle's certificates as the trust domain's authorities.
// A bundle certificate that crypto/x509 cannot parse is a rejection.
func verifyX509(in io.Reader, out io.Writer) error {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 0, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for scanner.Scan() {
		if len(scanner.Bytes()) == 0 {
			continue
		}
		var c verifyCase
		if err := json.Unmarshal(scanner.Bytes(), &c); err != nil {
			return fmt.Errorf("bad input line: %w", err)
		}
		if err := enc.Encode(verifyOne(c)); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return scanner.Err()
}

func verifyOne(c verifyCase) (result verifyResult) {
	result.Name = c.Name
	reject := func(err error) verifyResult {
		result.Error = err.Error()
		return result
	}
	defer func() {
		if p := recover(); p != nil {
			result = verifyResult{Name: c.Name, Error: fmt.Sprintf("panic: %v", p)}
		}
	}()
	now, err := time.Parse(time.RFC3339Nano, c.Now)
	if err != nil {
		return reject(fmt.Errorf("bad now: %w", err))
	}
	chain, err := decodeAll(c.Chain)
	if err != nil {
		return reject(err)
	}
	rawBundle, err := decodeAll(c.Bundle)
	if err != nil {
		return reject(err)
	}
	td, err := spiffeid.TrustDomainFromString(c.TrustDomain)
	if err != nil {
		return reject(fmt.Errorf("bundle trust domain: %w", err))
	}
	var authorities []*x509.Certificate
	for _, der := range rawBundle {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return reject(fmt.Errorf("bundle certificate: %w", err))
		}
		authorities = append(authorities, cert)
	}
	id, _, err := x509svid.ParseAndVerify(chain, x509bundle.FromX509Authorities(td, authorities), x509svid.WithTime(now))
	if err != nil {
		return reject(err)
	}
	return verifyResult{Name: c.Name, Accept: true, ID: id.String()}
}

func decodeAll(list []string) ([][]byte, error) {
	out := make([][]byte, 0, len(list))
	for _, s := range list {
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("bad base64: %w", err)
		}
		out = append(out, der)
	}
	return out, nil
}

func runVerifyX509() {
	if err := verifyX509(os.Stdin, os.Stdout); err != nil {
		fail(err)
	}
}
