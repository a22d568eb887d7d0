// The federation commands of the interop program: go-spiffe's federation package as a bundle
// endpoint client and server, against spiffe-ts's fetchBundle and createBundleEndpointHandler.
//
//	interop bundle-fetch -url URL -trust-domain TD -endpoint-id ID -bundle FILE   https_spiffe: "BUNDLE json" or "ERROR msg"
//	interop bundle-fetch -url URL -trust-domain TD -web-roots FILE                https_web (roots from FILE): the same
//	interop bundle-serve -trust-domain TD -socket ADDR                            https_spiffe endpoint (SVID from the Workload API)
//	interop bundle-serve -trust-domain TD -cert FILE -key FILE                    https_web endpoint
//
// bundle-serve reads the SPIFFE bundle document to serve on stdin, prints "LISTENING port",
// and serves federation.NewHandler until stdin's writer goes away or the process is killed.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/spiffebundle"
	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/federation"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

func runFederation(cmd string, args []string) {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	url := fs.String("url", "", "bundle-fetch: the bundle endpoint URL")
	td := fs.String("trust-domain", "", "the trust domain of the bundle")
	endpointID := fs.String("endpoint-id", "", "bundle-fetch: https_spiffe endpoint SPIFFE ID")
	bundleFile := fs.String("bundle", "", "bundle-fetch: PEM X.509 bundle authenticating the https_spiffe endpoint")
	webRoots := fs.String("web-roots", "", "bundle-fetch: PEM Web-PKI roots for https_web")
	socket := fs.String("socket", "", "bundle-serve: Workload API address (https_spiffe)")
	certFile := fs.String("cert", "", "bundle-serve: Web-PKI certificate chain (https_web)")
	keyFile := fs.String("key", "", "bundle-serve: Web-PKI key (https_web)")
	_ = fs.Parse(args)
	trustDomain, err := spiffeid.TrustDomainFromString(*td)
	check(err)
	switch cmd {
	case "bundle-fetch":
		bundleFetch(trustDomain, *url, *endpointID, *bundleFile, *webRoots)
	case "bundle-serve":
		bundleServe(trustDomain, *socket, *certFile, *keyFile)
	}
}

func bundleFetch(td spiffeid.TrustDomain, url, endpointID, bundleFile, webRoots string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var option federation.FetchOption
	if endpointID != "" {
		id, err := spiffeid.FromString(endpointID)
		check(err)
		bundle, err := x509bundle.Load(id.TrustDomain(), bundleFile)
		check(err)
		option = federation.WithSPIFFEAuth(bundle, id)
	} else {
		pem, err := os.ReadFile(webRoots)
		check(err)
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fail(errors.New("no certificates in -web-roots"))
		}
		option = federation.WithWebPKIRoots(pool)
	}
	bundle, err := federation.FetchBundle(ctx, td, url, option)
	check(err)
	doc, err := bundle.Marshal()
	check(err)
	fmt.Printf("BUNDLE %s\n", doc)
}

func bundleServe(td spiffeid.TrustDomain, socket, certFile, keyFile string) {
	doc, err := io.ReadAll(os.Stdin)
	check(err)
	bundle, err := spiffebundle.Parse(td, doc)
	check(err)
	handler, err := federation.NewHandler(td, bundle)
	check(err)
	var config *tls.Config
	if socket != "" {
		source, err := workloadapi.NewX509Source(context.Background(), workloadapi.WithClientOptions(workloadapi.WithAddr(socket)))
		check(err)
		defer source.Close()
		config = tlsconfig.TLSServerConfig(source)
	} else {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		check(err)
		config = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	server := &http.Server{TLSConfig: config, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("LISTENING %d\n", listener.Addr().(*net.TCPAddr).Port)
	if err := server.ServeTLS(listener, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fail(err)
	}
}
