// Shared fixtures for the mTLS adapter tests: a test PKI (two trust domains, intermediates),
// SVIDs, fake sources, and a raw TLS client that can present any certificate.
import { connect } from "node:tls";
import { X509Bundle, X509Svid } from "../../mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createCa, issueLeaf, type LeafOptions, peerChain, type TestCa, type TestCert, toPem } from "../support/test-pki.ts";

export interface Pki {
  root: TestCa;
  inter: TestCa;
  otherRoot: TestCa;
  bundle: X509Bundle;
  otherBundle: X509Bundle;
}

export async function createPki(): Promise<Pki> {
  const root = await createCa({ trustDomain: "example.org" });
  const inter = await createCa({ parent: root });
  const otherRoot = await createCa({ trustDomain: "other.org" });
  return {
    root,
    inter,
    otherRoot,
    bundle: X509Bundle.fromCertificates("example.org", [root.der]),
    otherBundle: X509Bundle.fromCertificates("other.org", [otherRoot.der]),
  };
}

/** A leaf (issued under `ca`) as an X509Svid with its intermediates. */
export async function svidFor(ca: TestCa, id: string, options: LeafOptions = {}): Promise<{ svid: X509Svid; leaf: TestCert }> {
  const leaf = await issueLeaf(ca, { uriSans: [id], ...options });
  return { svid: await X509Svid.parse(peerChain(leaf, ca), leaf.privateKey), leaf };
}

export async function sourceFor(ca: TestCa, id: string, bundles: X509Bundle[]): Promise<FakeX509Source> {
  return new FakeX509Source({ svid: (await svidFor(ca, id)).svid, bundles });
}

/** PEM of a leaf plus its CA chain up to (excluding) the root. */
export function chainPem(leaf: TestCert, ca: TestCa): string {
  return peerChain(leaf, ca).map((d) => toPem("CERTIFICATE", d)).join("");
}

/**
 * Speaks HTTP/1.1 over raw TLS presenting any certificate (or none); answers the status
 * line, or "refused" when the server closed the connection without answering.
 */
export function rawHttpRequest(port: number, credentials?: { key: string; cert: string }): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"], ...credentials });
    let data = "";
    socket.on("secureConnect", () => socket.write("GET /raw HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    socket.on("data", (d: Uint8Array) => (data += new TextDecoder().decode(d)));
    socket.on("error", () => {});
    const limit = setTimeout(() => socket.destroy(), 5000);
    socket.on("close", () => {
      clearTimeout(limit); // no timer outlives the request (the load tests count handles)
      resolve(data ? data.split("\r\n")[0]! : "refused");
    });
  });
}

/** Hex of DER bytes, to compare certificates in assertions. */
export function hex(der: Uint8Array): string {
  return Array.from(der, (b) => b.toString(16).padStart(2, "0")).join("");
}
