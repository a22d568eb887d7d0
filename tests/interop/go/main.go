// Command interop is the go-spiffe side of the spiffe-ts interoperability tests
// (tests/interop/*.interop.ts). It gets its SVIDs from a Workload API (our development server,
// or a SPIRE agent) with go-spiffe's workloadapi package, and prints one result line per event
// on stdout, for the tests to read:
//
//	interop serve -socket ADDR [-authorize ID|any]          mTLS server: "LISTENING port", "CLIENT id"
//	interop get -socket ADDR -url URL -server-id ID|any     mTLS client: "SERVER id", "BODY text" or "ERROR msg"
//	interop id -socket ADDR                                 "ID id" of its own X.509-SVID
//	interop jwt-fetch -socket ADDR -audience AUD            "TOKEN jwt"
//	interop jwt-validate -socket ADDR -audience AUD         token on stdin: "VALID sub" (jwtsvid.ParseAndValidate)
//	interop jwt-validate-api -socket ADDR -audience AUD     token on stdin: "VALID sub" (Workload API ValidateJWTSVID)
//	interop verify-x509                                     JSON lines on stdin: one verdict line each (verify_x509.go)
//	interop bundle-fetch | bundle-serve                     SPIFFE federation (federation.go)
//
// Failures print "ERROR msg" and exit 1.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: interop serve|get|id|jwt-fetch|jwt-validate|jwt-validate-api|verify-x509|bundle-fetch|bundle-serve [flags]"))
	}
	cmd := os.Args[1]
	if cmd == "verify-x509" { // no Workload API: chains and bundles come on stdin
		runVerifyX509()
		return
	}
	if cmd == "bundle-fetch" || cmd == "bundle-serve" { // federation.go
		runFederation(cmd, os.Args[2:])
		return
	}
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	socket := fs.String("socket", os.Getenv("SPIFFE_ENDPOINT_SOCKET"), "Workload API address (unix:///path or tcp://IP:port)")
	authorize := fs.String("authorize", "any", "serve: the client SPIFFE ID to allow, or any")
	url := fs.String("url", "", "get: the URL to request")
	serverID := fs.String("server-id", "any", "get: the server SPIFFE ID to expect, or any")
	audience := fs.String("audience", "", "jwt-*: the audience")
	timeout := fs.Duration("timeout", 20*time.Second, "overall timeout of one-shot commands")
	_ = fs.Parse(os.Args[2:])
	if *socket == "" {
		fail(errors.New("no Workload API address: pass -socket or set SPIFFE_ENDPOINT_SOCKET"))
	}
	clientOpts := workloadapi.WithClientOptions(workloadapi.WithAddr(*socket))

	switch cmd {
	case "serve":
		serve(clientOpts, *authorize)
	case "get":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		get(ctx, clientOpts, *url, *serverID)
	case "id":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		source, err := workloadapi.NewX509Source(ctx, clientOpts)
		check(err)
		defer source.Close()
		svid, err := source.GetX509SVID()
		check(err)
		fmt.Printf("ID %s\n", svid.ID)
	case "jwt-fetch":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		svid, err := workloadapi.FetchJWTSVID(ctx, jwtsvid.Params{Audience: *audience}, workloadapi.WithAddr(*socket))
		check(err)
		fmt.Printf("TOKEN %s\n", svid.Marshal())
	case "jwt-validate":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		source, err := workloadapi.NewJWTSource(ctx, clientOpts)
		check(err)
		defer source.Close()
		svid, err := jwtsvid.ParseAndValidate(readToken(), source, []string{*audience})
		check(err)
		fmt.Printf("VALID %s\n", svid.ID)
	case "jwt-validate-api":
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		svid, err := workloadapi.ValidateJWTSVID(ctx, readToken(), *audience, workloadapi.WithAddr(*socket))
		check(err)
		fmt.Printf("VALID %s\n", svid.ID)
	default:
		fail(fmt.Errorf("unknown command %q", cmd))
	}
}

func authorizer(want string) (tlsconfig.Authorizer, error) {
	if want == "any" {
		return tlsconfig.AuthorizeAny(), nil
	}
	id, err := spiffeid.FromString(want)
	if err != nil {
		return nil, err
	}
	return tlsconfig.AuthorizeID(id), nil
}

func serve(clientOpts workloadapi.X509SourceOption, authorize string) {
	ctx := context.Background()
	source, err := workloadapi.NewX509Source(ctx, clientOpts)
	check(err)
	defer source.Close()
	authz, err := authorizer(authorize)
	check(err)
	config := tlsconfig.MTLSServerConfig(source, source, authz)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	server := &http.Server{
		TLSConfig: config,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := x509svid.IDFromCert(r.TLS.PeerCertificates[0])
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			svid, _ := source.GetX509SVID()
			fmt.Printf("CLIENT %s\n", id)
			_, _ = fmt.Fprintf(w, "go-spiffe server %s saw %s", svid.ID, id)
		}),
	}
	fmt.Printf("LISTENING %d\n", listener.Addr().(*net.TCPAddr).Port)
	// serve until stdin closes or the process is killed
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = server.Close()
	}()
	if err := server.ServeTLS(listener, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fail(err)
	}
}

func get(ctx context.Context, clientOpts workloadapi.X509SourceOption, url, serverID string) {
	source, err := workloadapi.NewX509Source(ctx, clientOpts)
	check(err)
	defer source.Close()
	authz, err := authorizer(serverID)
	check(err)
	var seen spiffeid.ID
	record := func(id spiffeid.ID, chains [][]*x509.Certificate) error {
		seen = id
		return authz(id, chains)
	}
	config := tlsconfig.MTLSClientConfig(source, source, record)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: config, ForceAttemptHTTP2: true}, Timeout: 15 * time.Second}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	check(err)
	res, err := client.Do(req)
	if !seen.IsZero() {
		fmt.Printf("SERVER %s\n", seen)
	}
	check(err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	check(err)
	fmt.Printf("STATUS %d\n", res.StatusCode)
	fmt.Printf("BODY %s\n", strings.ReplaceAll(string(body), "\n", " "))
}

func readToken() string {
	b, err := io.ReadAll(os.Stdin)
	check(err)
	return strings.TrimSpace(string(b))
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Printf("ERROR %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(1)
}
