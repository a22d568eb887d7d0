// Rotation in every mode: new handshakes see the new SVID (or, in mode "mtls-web", the
// renewed Web-PKI certificate), connections opened before go on, and nobody restarts.
import { describe, expect, test } from "bun:test";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { authorizeAny, authorizeId } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import type { WebCertificate } from "../../src/http/tls-mode.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { CLIENT_ID, closeTls, createTlsPki, hex, issueSvid, listenTls, probeHandshake, SERVER_ID, sourceOf, type TlsPki } from "./tls-fixtures.ts";
import { issueLeaf } from "../support/test-pki.ts";
import { chainPem } from "../adapters/mtls-fixtures.ts";
const { connectMtls, createMtlsClient, createServerTlsConfig, getPeerIdentity, serveMtls } = runtimeEntry;

let pkiPromise: Promise<TlsPki> | undefined;
const pkiOnce = (): Promise<TlsPki> => (pkiPromise ??= createTlsPki());

/** A Web-PKI certificate that gets renewed (what an ACME client would be). */
class RenewedCertificate {
  current: WebCertificate;
  readonly #listeners = new Set<() => void>();
  constructor(first: WebCertificate) {
    this.current = first;
  }
  getCertificate(): WebCertificate {
    return this.current;
  }
  onUpdate(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  renew(next: WebCertificate): void {
    this.current = next;
    for (const l of this.#listeners) l();
  }
}

async function webCertificate(pki: TlsPki): Promise<{ cert: WebCertificate; leafHex: string }> {
  const leaf = await issueLeaf(pki.webCa, { uriSans: [], dnsSans: ["localhost"] });
  return { cert: { key: leaf.privateKeyPem, cert: chainPem(leaf, pki.webCa) }, leafHex: hex(leaf.der) };
}

/** Echo of who called and with which leaf; /slow answers after 300 ms. */
function echo(request: Request, context: { peer: { id: { toString(): string }; certificates: readonly Uint8Array[] } | undefined }): Promise<Response> | Response {
  const body = () => Response.json({ id: context.peer?.id.toString() ?? null, leaf: context.peer ? hex(context.peer.certificates[0]!) : null });
  if (new URL(request.url).pathname === "/slow") return new Promise((r) => setTimeout(() => r(body()), 300));
  return body();
}

const common = { port: 0, hostname: "127.0.0.1" } as const;

describe("serveMtls + createMtlsClient", () => {
  test('mode "mtls", server side: new handshakes see the new SVID; a kept-alive connection goes on', async () => {
    const pki = await pkiOnce();
    const source = await sourceOf(pki, SERVER_ID);
    const first = source.getX509Svid();
    const server: MtlsServer = await serveMtls({ ...common, source, authorizer: authorizeAny(), fetch: echo as never });
    const clientSource = await sourceOf(pki, CLIENT_ID);
    const kept = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
    try {
      const before = await kept.get(new URL("/", server.url));
      expect(hex(getPeerIdentity(before)!.certificates[0]!)).toBe(hex(first.certificates[0]!));
      const next = await issueSvid(pki, SERVER_ID);
      expect(next.serialNumber).not.toBe(first.serialNumber);
      source.setX509Svid(next);
      expect((await probeHandshake(server.port)).serverLeaf).toBe(hex(next.certificates[0]!));
      // the connection opened before still works, and still carries the identity it was verified with
      const old = await kept.get(new URL("/", server.url));
      expect(old.status).toBe(200);
      expect(hex(getPeerIdentity(old)!.certificates[0]!)).toBe(hex(first.certificates[0]!));
      const fresh = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
      const response = await fresh.get(new URL("/", server.url));
      expect(hex(getPeerIdentity(response)!.certificates[0]!)).toBe(hex(next.certificates[0]!));
      await fresh.close();
    } finally {
      await kept.close();
      await server.close();
    }
  });

  test('mode "mtls", client side: the next connection presents the new SVID; a request in flight finishes', async () => {
    const pki = await pkiOnce();
    const server = await serveMtls({ ...common, source: await sourceOf(pki, SERVER_ID), authorizer: authorizeAny(), fetch: echo as never });
    const source = await sourceOf(pki, CLIENT_ID);
    const first = source.getX509Svid();
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      expect((await (await client.get(new URL("/", server.url))).json()).leaf).toBe(hex(first.certificates[0]!));
      const inFlight = client.get(new URL("/slow", server.url));
      await new Promise((r) => setTimeout(r, 50));
      const next = await issueSvid(pki, CLIENT_ID);
      source.setX509Svid(next);
      const slow = await inFlight;
      expect(slow.status).toBe(200);
      expect((await slow.json()).leaf).toBe(hex(first.certificates[0]!)); // it went out on the old connection
      // The next request to the same origin goes out on a new connection with the new SVID: the
      // connection that was busy at the rotation left the pool (and closed after its request).
      expect((await (await client.get(new URL("/", server.url))).json()).leaf).toBe(hex(next.certificates[0]!));
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('mode "tls": the client sees the server\'s new SVID on new connections; the open one goes on', async () => {
    const pki = await pkiOnce();
    const source = await sourceOf(pki, SERVER_ID);
    const first = source.getX509Svid();
    const server = await serveMtls({ ...common, mode: "tls", source, fetch: echo as never });
    const bundles = new FakeX509Source({ bundles: [pki.bundle] });
    const kept = createMtlsClient({ mode: "tls", source: bundles, authorizer: authorizeId(SERVER_ID) });
    try {
      expect(hex(getPeerIdentity(await kept.get(new URL("/", server.url)))!.certificates[0]!)).toBe(hex(first.certificates[0]!));
      const next = await issueSvid(pki, SERVER_ID);
      source.setX509Svid(next);
      expect((await probeHandshake(server.port)).serverLeaf).toBe(hex(next.certificates[0]!));
      const old = await kept.get(new URL("/", server.url));
      expect(old.status).toBe(200);
      expect(hex(getPeerIdentity(old)!.certificates[0]!)).toBe(hex(first.certificates[0]!));
      const fresh = createMtlsClient({ mode: "tls", source: bundles, authorizer: authorizeId(SERVER_ID) });
      expect(hex(getPeerIdentity(await fresh.get(new URL("/", server.url)))!.certificates[0]!)).toBe(hex(next.certificates[0]!));
      await fresh.close();
    } finally {
      await kept.close();
      await server.close();
    }
  });

  test('mode "mtls-web": a renewed Web-PKI certificate reaches new handshakes; the client\'s rotated SVID reaches the server', async () => {
    const pki = await pkiOnce();
    const firstCert = await webCertificate(pki);
    const renewed = new RenewedCertificate(firstCert.cert);
    const server = await serveMtls({ ...common, mode: "mtls-web", certificate: renewed, source: new FakeX509Source({ bundles: [pki.bundle] }), authorizer: authorizeAny(), fetch: echo as never });
    const source = await sourceOf(pki, CLIENT_ID);
    const first = source.getX509Svid();
    const url = new URL(`https://localhost:${server.port}/`);
    const kept = createMtlsClient({ mode: "mtls-web", source, ca: pki.webCa.pem });
    const watcher = createMtlsClient({ mode: "mtls-web", source: await sourceOf(pki, CLIENT_ID), ca: pki.webCa.pem });
    try {
      expect((await probeHandshake(server.port)).serverLeaf).toBe(firstCert.leafHex);
      expect((await (await watcher.get(url)).json()).id).toBe(CLIENT_ID);
      const secondCert = await webCertificate(pki);
      renewed.renew(secondCert.cert);
      expect((await probeHandshake(server.port)).serverLeaf).toBe(secondCert.leafHex);
      expect((await watcher.get(url)).status).toBe(200); // its connection from before goes on

      expect((await (await kept.get(url)).json()).leaf).toBe(hex(first.certificates[0]!));
      const next = await issueSvid(pki, CLIENT_ID);
      source.setX509Svid(next);
      expect((await (await kept.get(url)).json()).leaf).toBe(hex(next.certificates[0]!));
    } finally {
      await kept.close();
      await watcher.close();
      await server.close();
    }
  });
});

describe("createServerTlsConfig on a tls.Server + connectMtls", () => {
  for (const mode of ["mtls", "tls", "mtls-web"] as const) {
    test(`mode "${mode}": present() follows rotations; an open socket keeps working`, async () => {
      const pki = await pkiOnce();
      const source = await sourceOf(pki, SERVER_ID);
      const renewed = new RenewedCertificate((await webCertificate(pki)).cert);
      const config = createServerTlsConfig(
        mode === "mtls-web" ? { mode, certificate: renewed, source, authorizer: authorizeAny() } : mode === "tls" ? { mode, source } : { mode, source, authorizer: authorizeAny() },
      );
      const open: TLSSocket[] = [];
      const seenClientLeaves: string[] = [];
      const server = createTlsServer(config.options, (socket) => {
        open.push(socket);
        socket.on("error", () => {});
        config.verifyClient(socket).then((identity) => {
          if (identity) seenClientLeaves.push(hex(identity.certificates[0]!));
          socket.on("data", (d: Uint8Array) => socket.write(d));
        }, () => socket.destroy());
      });
      const stop = config.present(server);
      const port = await listenTls(server);
      const clientSource = await sourceOf(pki, CLIENT_ID);
      const dial = (): Promise<TLSSocket> =>
        mode === "mtls-web" ? connectMtls("localhost", port, { mode, source: clientSource, ca: pki.webCa.pem }) : connectMtls("127.0.0.1", port, { mode, source: clientSource, authorizer: authorizeId(SERVER_ID) });
      try {
        const before = await dial();
        const presentedBefore = (await probeHandshake(port)).serverLeaf;
        // rotate what the server presents
        if (mode === "mtls-web") renewed.renew((await webCertificate(pki)).cert);
        else source.setX509Svid(await issueSvid(pki, SERVER_ID));
        const presentedAfter = (await probeHandshake(port)).serverLeaf;
        expect(presentedAfter).not.toBe(presentedBefore);
        if (mode !== "mtls-web") expect(presentedAfter).toBe(hex(source.getX509Svid().certificates[0]!));
        const after = await dial();
        if (mode !== "mtls-web") expect(hex(getPeerIdentity(after)!.certificates[0]!)).toBe(presentedAfter);
        // rotate the client's SVID: the server sees it on the next connection (modes that authenticate clients)
        const nextClient = await issueSvid(pki, CLIENT_ID);
        clientSource.setX509Svid(nextClient);
        const third = await dial();
        if (mode !== "tls") {
          await waitUntil(() => seenClientLeaves.length === 3, "three verified clients", 2000);
          expect(seenClientLeaves[2]).toBe(hex(nextClient.certificates[0]!));
          expect(seenClientLeaves[0]).not.toBe(seenClientLeaves[2]);
        } else {
          expect(seenClientLeaves).toEqual([]);
        }
        // the first socket (from before both rotations) still echoes
        const echoed = await new Promise<string>((resolve) => {
          before.once("data", (d: Uint8Array) => resolve(new TextDecoder().decode(d)));
          before.write("ping");
        });
        expect(echoed).toBe("ping");
        for (const s of [before, after, third]) s.destroy();
      } finally {
        stop();
        config.close();
        await closeTls(server, open);
      }
    });
  }
});
