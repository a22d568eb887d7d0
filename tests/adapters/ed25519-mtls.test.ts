// SPIFFE mTLS with Ed25519 X.509-SVIDs on the runtime's own entry (@spiffe-ts/sdk/node, /bun
// or /deno): Ed25519 on both sides, mixed with EC P-256 both ways, TLS 1.3 and TLS 1.2,
// refusals, and the development Workload API serving Ed25519 SVIDs to X509Sources.
//
// Measured (Node 24 / OpenSSL 3.5, Bun 1.4 / BoringSSL, Deno 2.9 / rustls): every runtime's
// node:tls negotiates Ed25519 certificates as server and as client, in TLS 1.3 and TLS 1.2,
// so the SDK refuses none; these tests keep that true.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import * as pkijs from "pkijs";
import { authorizeId, getPeerIdentity, getSpiffeId, X509Bundle, X509Svid } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createTestCa, type TestCa } from "../../src/testing/test-ca.ts";
import { startWorkloadApiServer } from "../../src/testing/workload-api-server.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { createCa, issueLeaf, type TestCa as PkiCa } from "../support/test-pki.ts";
import { waitUntil } from "../support/wait-until.ts";
import { X509Source } from "../../src/adapters/node/mod.ts";

const { connectMtls, createMtlsClient, getPeerId, serveMtls } = runtimeEntry;

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";
const OID_ED25519 = "1.3.101.112";
const OID_EC = "1.2.840.10045.2.1";

type Alg = "Ed25519" | "P-256";

let edCa: TestCa;
let ecCa: TestCa;
/** An Ed25519 CA of example.org outside the bundle, with a subject name no bundle root has. */
let stranger: PkiCa;
/** One trust domain whose bundle holds an Ed25519 and a P-256 root (a CA changing algorithms). */
let bundle: X509Bundle;
const servers: MtlsServer[] = [];

beforeAll(async () => {
  edCa = await createTestCa({ trustDomain: "example.org", keyAlg: "Ed25519", intermediate: true });
  ecCa = await createTestCa({ trustDomain: "example.org", keyAlg: "P-256", intermediate: true });
  stranger = await createCa({ trustDomain: "example.org", keyAlg: "Ed25519" });
  bundle = X509Bundle.fromCertificates("example.org", [...edCa.x509Authorities, ...ecCa.x509Authorities]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function svidOf(ca: TestCa, id: string): Promise<X509Svid> {
  const issued = await ca.issueX509Svid({ id });
  return X509Svid.parse(issued.certificates, issued.privateKey);
}

function caOf(alg: Alg): TestCa {
  return alg === "Ed25519" ? edCa : ecCa;
}

/** An Ed25519 X.509-SVID issued by the CA outside the bundle. */
async function strangerSvid(id: string): Promise<X509Svid> {
  const leaf = await issueLeaf(stranger, { keyAlg: "Ed25519", uriSans: [id] });
  return X509Svid.parse(leaf.der, leaf.privateKey);
}

async function sourceOf(ca: TestCa, id: string): Promise<FakeX509Source> {
  return new FakeX509Source({ svid: await svidOf(ca, id), bundles: [bundle] });
}

/** The OID of a DER certificate's public key algorithm. */
function keyOid(der: Uint8Array): string {
  return pkijs.Certificate.fromBER(der.slice()).subjectPublicKeyInfo.algorithm.algorithmId;
}

/** Starts a server on the runtime's entry that authorizes CLIENT_ID and answers with what it saw. */
async function startServer(source: FakeX509Source): Promise<MtlsServer> {
  const server = await serveMtls({
    source,
    authorizer: authorizeId(CLIENT_ID),
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request, { peer }) =>
      Response.json({ id: peer.id.toString(), fromRequest: getSpiffeId(request)?.toString(), clientKey: keyOid(peer.certificates[0]!), chain: peer.certificates.length }),
  });
  servers.push(server);
  return server;
}

/**
 * HTTP/1.1 over a raw `node:tls` connection with a chosen maximum TLS version, presenting
 * `credentials`: the negotiated protocol and the status line, or "refused" when the server
 * closed without answering. The server is verified by the SDK only in the other tests.
 */
function rawRequest(port: number, maxVersion: "TLSv1.2" | "TLSv1.3", credentials: { key: string; cert: string }): Promise<{ protocol: string | null; status: string }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"], maxVersion, ...credentials });
    let protocol: string | null = null;
    let data = "";
    socket.on("secureConnect", () => {
      protocol = socket.getProtocol();
      socket.write("GET /raw HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    });
    socket.on("data", (d: Uint8Array) => (data += new TextDecoder().decode(d)));
    socket.on("error", () => {});
    const limit = setTimeout(() => socket.destroy(), 5000);
    socket.on("close", () => {
      clearTimeout(limit);
      resolve({ protocol, status: data ? data.split("\r\n")[0]! : "refused" });
    });
  });
}

function pemOf(svid: X509Svid): { key: string; cert: string } {
  const pem = svid.toPem();
  return { key: pem.privateKey, cert: pem.certificates };
}

describe(`Ed25519 X.509-SVIDs over SPIFFE mTLS on ${runtime}`, () => {
  const pairs: Array<[server: Alg, client: Alg]> = [
    ["Ed25519", "Ed25519"],
    ["Ed25519", "P-256"],
    ["P-256", "Ed25519"],
  ];
  for (const [serverAlg, clientAlg] of pairs) {
    test(`${serverAlg} server, ${clientAlg} client: serveMtls + createMtlsClient, both sides verified`, async () => {
      const server = await startServer(await sourceOf(caOf(serverAlg), SERVER_ID));
      const source = await sourceOf(caOf(clientAlg), CLIENT_ID);
      const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), timeoutMs: 10_000 });
      try {
        const response = await client.get(new URL("/hello", server.url));
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ id: CLIENT_ID, fromRequest: CLIENT_ID, clientKey: clientAlg === "Ed25519" ? OID_ED25519 : OID_EC, chain: 3 });
        expect(getSpiffeId(response)?.toString()).toBe(SERVER_ID);
        const peer = getPeerIdentity(response)!;
        expect(keyOid(peer.certificates[0]!)).toBe(serverAlg === "Ed25519" ? OID_ED25519 : OID_EC);
      } finally {
        await client.close();
      }
    });
  }

  test("HTTP/2 and HTTP/1.1 clients both work with Ed25519 on both sides", async () => {
    const server = await startServer(await sourceOf(edCa, SERVER_ID));
    const source = await sourceOf(edCa, CLIENT_ID);
    for (const http2 of [true, false]) {
      const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2, timeoutMs: 10_000 });
      try {
        const response = await client.get(new URL("/h", server.url));
        expect(response.status).toBe(200);
        expect((await response.json()).id).toBe(CLIENT_ID);
      } finally {
        await client.close();
      }
    }
  });

  test("connectMtls negotiates TLS 1.3 with Ed25519 on both sides", async () => {
    const server = await startServer(await sourceOf(edCa, SERVER_ID));
    const source = await sourceOf(edCa, CLIENT_ID);
    const socket = await connectMtls("127.0.0.1", server.port, { source, authorizer: authorizeId(SERVER_ID), signal: AbortSignal.timeout(10_000) });
    try {
      expect(socket.getProtocol()).toBe("TLSv1.3");
      expect(getPeerId(socket)?.toString()).toBe(SERVER_ID);
    } finally {
      socket.destroy();
    }
  });

  for (const maxVersion of ["TLSv1.3", "TLSv1.2"] as const) {
    test(`an Ed25519 server accepts an Ed25519 client over ${maxVersion} (raw node:tls client)`, async () => {
      const server = await startServer(await sourceOf(edCa, SERVER_ID));
      const result = await rawRequest(server.port, maxVersion, pemOf(await svidOf(edCa, CLIENT_ID)));
      expect(result).toEqual({ protocol: maxVersion, status: "HTTP/1.1 200 OK" });
    });
  }

  test("Ed25519 clients are still refused when untrusted or not authorized; no client certificate is refused", async () => {
    const server = await startServer(await sourceOf(edCa, SERVER_ID));
    expect((await rawRequest(server.port, "TLSv1.3", pemOf(await svidOf(edCa, "spiffe://example.org/intruder")))).status).toBe("refused");
    expect((await rawRequest(server.port, "TLSv1.3", pemOf(await strangerSvid(CLIENT_ID)))).status).toBe("refused");
    const anonymous = await rawRequest(server.port, "TLSv1.3", { key: "", cert: "" }).catch(() => ({ status: "refused" }));
    expect(anonymous.status).toBe("refused");
  });

  test("a client refuses an Ed25519 server whose chain is untrusted, or whose ID is not authorized", async () => {
    const untrusted = await startServer(new FakeX509Source({ svid: await strangerSvid(SERVER_ID), bundles: [bundle] }));
    const source = await sourceOf(edCa, CLIENT_ID);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), timeoutMs: 10_000 });
    const wrongId = await startServer(await sourceOf(edCa, "spiffe://example.org/impostor"));
    try {
      await expect(client.get(new URL("/x", untrusted.url))).rejects.toMatchObject({ code: "ERR_X509_SVID_UNTRUSTED" });
      await expect(client.get(new URL("/x", wrongId.url))).rejects.toMatchObject({ code: "ERR_AUTHZ_UNEXPECTED_ID" });
    } finally {
      await client.close();
    }
  });
});

describe(`Ed25519 X.509-SVIDs from the development Workload API on ${runtime}`, () => {
  const dir = mkdtempSync(join(tmpdir(), "spiffe-ts-ed25519-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("X509Sources of an Ed25519 CA serve and call over mTLS; the server rotates its Ed25519 SVID without a restart", async () => {
    const ca = await createTestCa({ trustDomain: "example.org", keyAlg: "Ed25519", intermediate: true });
    await using serverApi = await startWorkloadApiServer({ socketPath: join(dir, "server.sock"), ca, workloads: [{ id: SERVER_ID }] });
    await using clientApi = await startWorkloadApiServer({ socketPath: join(dir, "client.sock"), ca, workloads: [{ id: CLIENT_ID }] });
    await using serverSource = await X509Source.create({ address: serverApi.address, timeoutMs: 10_000 });
    await using clientSource = await X509Source.create({ address: clientApi.address, timeoutMs: 10_000 });
    expect(keyOid(serverSource.getX509Svid().certificates[0]!)).toBe(OID_ED25519);
    const server = await serveMtls({
      source: serverSource,
      authorizer: authorizeId(CLIENT_ID),
      port: 0,
      hostname: "127.0.0.1",
      fetch: (_request, { peer }) => new Response(peer.id.toString()),
    });
    servers.push(server);
    const leafSeen = async (): Promise<string> => {
      const client = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID), timeoutMs: 10_000 });
      try {
        const response = await client.get(new URL("/", server.url));
        expect(await response.text()).toBe(CLIENT_ID);
        return hex(getPeerIdentity(response)!.certificates[0]!);
      } finally {
        await client.close();
      }
    };
    const first = await leafSeen();
    expect(first).toBe(hex(serverSource.getX509Svid().certificates[0]!));
    const before = serverSource.getX509Svid();
    await serverApi.rotate();
    await waitUntil(() => serverSource.getX509Svid() !== before, "the server's X509Source to receive the rotated SVID");
    const second = await leafSeen();
    expect(second).not.toBe(first);
    expect(second).toBe(hex(serverSource.getX509Svid().certificates[0]!));
  });
});

function hex(der: Uint8Array): string {
  return Array.from(der, (b) => b.toString(16).padStart(2, "0")).join("");
}
