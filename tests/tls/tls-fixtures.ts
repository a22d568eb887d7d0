// Shared fixtures of the src/tls suites: a SPIFFE PKI (example.org with an intermediate,
// other.org, and a stranger CA that also calls itself example.org), a Web PKI (two CAs, a
// certificate for "localhost", one for another host name, one from the other CA), sources,
// a clock that can be moved, and probes that tell a refused handshake from a hang.
import { connect, type Server as TlsServer, type TLSSocket } from "node:tls";
import { X509Bundle, type X509Svid } from "../../mod.ts";
import type { WebCertificate } from "../../src/http/tls-mode.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createCa, issueLeaf, type LeafOptions, type TestCa } from "../support/test-pki.ts";
import { chainPem, createPki, hex, type Pki, svidFor } from "../adapters/mtls-fixtures.ts";

export { hex };

export const SERVER_ID = "spiffe://example.org/server";
export const CLIENT_ID = "spiffe://example.org/client";
export const REFUSED_ID = "spiffe://example.org/refused";
export const HOUR = 3_600_000;

export interface TlsPki extends Pki {
  /** A CA that is not in any bundle but signs for example.org. */
  readonly stranger: TestCa;
  readonly webCa: TestCa;
  readonly otherWebCa: TestCa;
  /** Web-PKI certificate for "localhost", issued by webCa. */
  readonly web: WebCertificate;
  /** Web-PKI certificate for "other.test" only, issued by webCa. */
  readonly webOtherHost: WebCertificate;
  /** Web-PKI certificate for "localhost", issued by otherWebCa. */
  readonly webOtherCa: WebCertificate;
}

async function webCertificate(ca: TestCa, host: string): Promise<WebCertificate> {
  const leaf = await issueLeaf(ca, { uriSans: [], dnsSans: [host], commonName: host });
  return { key: leaf.privateKeyPem, cert: chainPem(leaf, ca) };
}

export async function createTlsPki(): Promise<TlsPki> {
  const pki = await createPki();
  const stranger = await createCa({ trustDomain: "example.org" });
  const webCa = await createCa({ trustDomain: "web-pki.test", commonName: "Web PKI test root" });
  const otherWebCa = await createCa({ trustDomain: "other-web-pki.test", commonName: "Other Web PKI test root" });
  return {
    ...pki,
    stranger,
    webCa,
    otherWebCa,
    web: await webCertificate(webCa, "localhost"),
    webOtherHost: await webCertificate(webCa, "other.test"),
    webOtherCa: await webCertificate(otherWebCa, "localhost"),
  };
}

/** An X.509-SVID for `id` issued by the example.org intermediate (or `ca`). */
export async function issueSvid(pki: Pki, id: string, options: LeafOptions & { ca?: TestCa } = {}): Promise<X509Svid> {
  const { ca = pki.inter, ...rest } = options;
  return (await svidFor(ca, id, rest)).svid;
}

/** A FakeX509Source holding an SVID for `id` and the example.org bundle (or `bundles`). */
export async function sourceOf(pki: Pki, id: string, options: LeafOptions & { ca?: TestCa; bundles?: X509Bundle[] } = {}): Promise<FakeX509Source> {
  const { bundles = [pki.bundle], ...rest } = options;
  return new FakeX509Source({ svid: await issueSvid(pki, id, rest), bundles });
}

/** The example.org bundle of the stranger CA: trusts nothing the real example.org CA issued. */
export function strangerBundle(pki: TlsPki): X509Bundle {
  return X509Bundle.fromCertificates("example.org", [pki.stranger.der]);
}

/**
 * A source of the workload's SVID that announces nothing (no onUpdate), like an X509Source
 * that lost its identity without an update: only the SDK's poll can notice a change.
 */
export class QuietSource {
  svid: X509Svid | undefined;
  readonly #bundles: X509Bundle[];
  constructor(svid: X509Svid | undefined, bundles: X509Bundle[]) {
    this.svid = svid;
    this.#bundles = bundles;
  }
  getX509Svid(): X509Svid {
    if (!this.svid) throw Object.assign(new Error("no identity right now"), { code: "ERR_QUIET_NO_SVID" });
    return this.svid;
  }
  getX509BundleForTrustDomain(td: { name: string } | string): X509Bundle | undefined {
    const name = typeof td === "string" ? td : td.name;
    return this.#bundles.find((b) => b.trustDomain.name === name);
  }
}

/** A clock that tests move forward: `now()` is the real time plus `offsetMs`. */
export function movableClock(): { offsetMs: number; now: () => Date } {
  const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
  return clock;
}

/** What a raw TLS handshake came to. `code` "HANG" when it neither completed nor failed in time. */
export interface HandshakeOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly ms: number;
  /** Hex DER of the certificate the server presented (when the handshake completed). */
  readonly serverLeaf?: string;
}

/**
 * A raw TLS handshake with the server (presenting `credentials` if given), judged by OpenSSL
 * only: it completes when the server presents any certificate. Used to see whether the server
 * presents one at all, and which.
 */
export function probeHandshake(port: number, options: { credentials?: { key: string; cert: string }; timeoutMs?: number; host?: string } = {}): Promise<HandshakeOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const socket = connect({ host: options.host ?? "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"], ...options.credentials });
    const finish = (outcome: Omit<HandshakeOutcome, "ms">): void => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      socket.destroy();
      resolve({ ...outcome, ms: Date.now() - started });
    };
    const limit = setTimeout(() => finish({ ok: false, code: "HANG" }), options.timeoutMs ?? 3000);
    socket.once("secureConnect", () => {
      const raw = (socket.getPeerCertificate() as { raw?: Uint8Array } | undefined)?.raw;
      finish({ ok: true, serverLeaf: raw ? hex(new Uint8Array(raw)) : undefined });
    });
    socket.once("error", (err: Error & { code?: string }) => finish({ ok: false, code: err.code ?? err.name, message: err.message }));
    socket.once("close", () => finish({ ok: false, code: "CLOSED" }));
  });
}

/** Awaits `p`, expecting a rejection; returns the error and how long it took. */
export async function failureOf(p: Promise<unknown>): Promise<{ error: Error & { code?: string }; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    return { error: err as Error & { code?: string }, ms: Date.now() - started };
  }
  throw new Error("expected a rejection");
}

/**
 * True for what a TLS client sees when the server presents no certificate: the TLS layer's
 * error for the alert the server sent (Node/OpenSSL: ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE,
 * Bun/BoringSSL: ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR, Deno/rustls:
 * ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE), never a timeout or a hang.
 */
export function isTlsFailure(err: { code?: string }): boolean {
  return typeof err.code === "string" && err.code.startsWith("ERR_SSL_");
}

/** The status of `GET /readyz` on a health listener. */
export async function readyz(healthUrl: URL | undefined): Promise<number> {
  const response = await fetch(new URL("/readyz", healthUrl));
  await response.body?.cancel();
  return response.status;
}

export function listenTls(server: TlsServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

export function closeTls(server: TlsServer, sockets: Iterable<TLSSocket> = []): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Reads a socket to its end (or its close) as text. */
export function readAll(socket: TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (d: Uint8Array) => (text += new TextDecoder().decode(d)));
    socket.on("error", () => {});
    socket.once("close", () => resolve(text));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
