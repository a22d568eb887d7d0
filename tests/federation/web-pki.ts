// A Web PKI for https_web tests: a test root and a server certificate for "localhost", and a
// `fetch` that trusts that root through the runtime's own per-request option (Bun `tls.ca`,
// Deno `Deno.createHttpClient({ caCerts })`, an undici `Agent` as Node's `dispatcher`): no
// global state, no system CA involved in what the test checks.
import { Agent } from "undici";
import type { WebFetch } from "../../mod.ts";
import type { WebCertificate } from "../../src/http/tls-mode.ts";
import { chainPem } from "../adapters/mtls-fixtures.ts";
import { runtime } from "../support/runtime-entry.ts";
import { createCa, issueLeaf } from "../support/test-pki.ts";

export interface WebPki {
  /** The test root (PEM) that `fetch` trusts. */
  readonly caPem: string;
  /** A certificate for "localhost" issued by the root. */
  readonly localhost: WebCertificate;
  /** A certificate for "localhost" from another root, which `fetch` does not trust. */
  readonly untrusted: WebCertificate;
}

export async function createWebPki(): Promise<WebPki> {
  const ca = await createCa({ trustDomain: "web-pki.test", commonName: "federation test Web PKI root" });
  const other = await createCa({ trustDomain: "other-web-pki.test", commonName: "untrusted Web PKI root" });
  const leaf = await issueLeaf(ca, { uriSans: [], dnsSans: ["localhost"], commonName: "localhost" });
  const otherLeaf = await issueLeaf(other, { uriSans: [], dnsSans: ["localhost"], commonName: "localhost" });
  return {
    caPem: ca.pem,
    localhost: { key: leaf.privateKeyPem, cert: chainPem(leaf, ca) },
    untrusted: { key: otherLeaf.privateKeyPem, cert: chainPem(otherLeaf, other) },
  };
}

interface DenoHttp {
  createHttpClient(options: { caCerts: string[] }): { close(): void };
}

/** A `fetch` (for `fetchBundle`'s `fetch` option) that trusts `caPem` in addition to nothing else the test relies on. */
export function fetchTrusting(caPem: string): WebFetch & { close(): void } {
  if (runtime === "bun") {
    return Object.assign((input: URL, init: RequestInit) => fetch(input, { ...init, tls: { ca: caPem } } as RequestInit), { close: () => {} });
  }
  if (runtime === "deno") {
    const client = (globalThis as unknown as { Deno: DenoHttp }).Deno.createHttpClient({ caCerts: [caPem] });
    return Object.assign((input: URL, init: RequestInit) => fetch(input, { ...init, client } as RequestInit), { close: () => client.close() });
  }
  const dispatcher = new Agent({ connect: { ca: caPem } });
  return Object.assign((input: URL, init: RequestInit) => fetch(input, { ...init, dispatcher } as RequestInit), { close: () => void dispatcher.close() });
}
