import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { request as httpsRequest } from "node:https";
import { authorizeAny, authorizeId, authorizeMemberOf, ConfigError, getPeerIdentity, getSpiffeId, X509Bundle } from "../../mod.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { createCa, issueLeaf } from "../support/test-pki.ts";
import { chainPem, createPki, hex, type Pki, rawHttpRequest, sourceFor, svidFor } from "./mtls-fixtures.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
const { createMtlsClient, serveMtls } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";

let pki: Pki;
let serverSource: FakeX509Source;
let server: MtlsServer;
let verifications = 0;
let handled = 0;
const abortsSeen: { isRequest: boolean; aborted: boolean }[] = [];

beforeAll(async () => {
  pki = await createPki();
  serverSource = await sourceFor(pki.inter, SERVER_ID, [pki.bundle, pki.otherBundle]);
  server = await serveMtls({
    source: serverSource,
    authorizer: (id) => {
      verifications++;
      return authorizeOneOfTestIds(id);
    },
    port: 0,
    hostname: "127.0.0.1",
    health: { port: 0, hostname: "127.0.0.1" },
    fetch: async (request, { peer }) => {
      handled++;
      const url = new URL(request.url);
      if (url.pathname === "/echo") return Response.json({ body: await request.json(), id: peer.id.toString() });
      if (url.pathname === "/stream") return new Response(request.body, { headers: { "content-type": "application/octet-stream" } });
      if (url.pathname === "/drip") {
        // first chunk now, the rest 300 ms later: must stream, never wait for the whole body
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode("first;"));
            await new Promise((r) => setTimeout(r, 300));
            controller.enqueue(encoder.encode("second"));
            controller.close();
          },
        });
        return new Response(body);
      }
      if (url.pathname === "/wait-for-abort") {
        // the handler's request.signal aborts when the client goes away
        const seen = { isRequest: request instanceof Request, aborted: false };
        abortsSeen.push(seen);
        await new Promise<void>((resolve) => {
          request.signal.addEventListener("abort", () => ((seen.aborted = true), resolve()), { once: true });
          setTimeout(resolve, 5000);
        });
        return new Response("too late");
      }
      if (url.pathname === "/slow") {
        await new Promise((r) => setTimeout(r, 300));
        return new Response("slow done");
      }
      return Response.json({
        id: peer.id.toString(),
        fromRequest: getSpiffeId(request)?.toString(),
        leaf: hex(peer.certificates[0]!),
        chainLength: peer.certificates.length,
        method: request.method,
        url: request.url,
      });
    },
  });
});

afterAll(async () => {
  await server?.close();
});

// The server accepts any ID of example.org or other.org except .../refused
function authorizeOneOfTestIds(id: import("../../mod.ts").SpiffeId): void {
  if (id.path === "/refused") authorizeId(CLIENT_ID)(id, []);
}

async function clientFor(id: string, authorizer = authorizeId(SERVER_ID)) {
  const source = await sourceFor(pki.inter, id, [pki.bundle]);
  return { source, client: createMtlsClient({ source, authorizer }) };
}

describe("serveMtls + createMtlsClient", () => {
  test("a valid client reaches the handler, which sees its verified ID; the client sees the server's", async () => {
    const { client, source } = await clientFor(CLIENT_ID);
    const response = await client.get(new URL("/hello", server.url));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.id).toBe(CLIENT_ID);
    expect(body.fromRequest).toBe(CLIENT_ID);
    expect(body.leaf).toBe(hex(source.getX509Svid().certificates[0]!));
    expect(body.chainLength).toBe(3); // leaf, intermediate, root
    expect(getSpiffeId(response)?.toString()).toBe(SERVER_ID);
    expect(getPeerIdentity(response)?.mechanism).toBe("x509-svid");
    await client.close();
  });

  test("JSON bodies go both ways (post/put/patch) and methods are kept", async () => {
    const { client } = await clientFor(CLIENT_ID);
    const echoed = await (await client.post(new URL("/echo", server.url), { hello: "world", n: [1, 2] })).json();
    expect(echoed).toEqual({ body: { hello: "world", n: [1, 2] }, id: CLIENT_ID });
    for (const m of ["put", "patch"] as const) {
      expect((await (await client[m](new URL("/echo", server.url), [m])).json()).body).toEqual([m]);
    }
    expect((await (await client.delete(new URL("/x", server.url))).json()).method).toBe("DELETE");
    await client.close();
  });

  test("large bodies stream both ways with back-pressure (4 MiB echoed)", async () => {
    const { client } = await clientFor(CLIENT_ID);
    const size = 4 * 1024 * 1024;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        const chunk = new Uint8Array(64 * 1024).map((_, i) => (sent + i) % 251);
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await client.fetch(new URL("/stream", server.url), { method: "POST", body });
    const received = new Uint8Array(await response.arrayBuffer());
    expect(received.length).toBe(size);
    expect(received.every((b, i) => b === i % 251)).toBe(true);
    await client.close();
  });

  test("a response body can be cancelled unread, and the client keeps working", async () => {
    const { client } = await clientFor(CLIENT_ID);
    for (let i = 0; i < 3; i++) {
      const response = await client.fetch(new URL("/stream", server.url), { method: "POST", body: new Uint8Array(256 * 1024) });
      await response.body!.cancel();
    }
    await new Promise((r) => setTimeout(r, 50)); // let late 'end'/'data' events arrive
    expect((await client.get(new URL("/after-cancel", server.url))).status).toBe(200);
    await client.close();
  });

  test("a complete body goes out in one piece with its Content-Length; a body still being produced streams", async () => {
    const { client } = await clientFor(CLIENT_ID);
    const small = await client.get(new URL("/small", server.url));
    const text = await small.text();
    expect(small.headers.get("content-length")).toBe(String(new TextEncoder().encode(text).byteLength));
    const start = Date.now();
    const drip = await client.get(new URL("/drip", server.url));
    expect(drip.headers.get("content-length")).toBe(null);
    const reader = drip.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("first;");
    expect(Date.now() - start).toBeLessThan(250); // the first chunk did not wait for the rest
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("second");
    await client.close();
  });

  test("HTTP/1.1 clients (no h2 in ALPN) are served too, with the peer identity", async () => {
    const { svid } = await svidFor(pki.inter, CLIENT_ID);
    const pem = svid.toPem();
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port: server.port, path: "/h1", key: pem.privateKey, cert: pem.certificates, rejectUnauthorized: false }, (res) => {
        let data = "";
        res.on("data", (d) => (data += d));
        res.on("end", () => resolve(data));
      });
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body).id).toBe(CLIENT_ID);
  });

  test("the pool reuses one connection for many requests (HTTP/2; Deno opts in, see MtlsClientOptions.http2)", async () => {
    const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2: true });
    const before = verifications;
    for (let i = 0; i < 5; i++) expect((await client.get(new URL(`/n${i}`, server.url))).status).toBe(200);
    await Promise.all([1, 2, 3].map((i) => client.get(new URL(`/p${i}`, server.url)).then((r) => r.text())));
    expect(verifications - before).toBe(1);
    await client.close();
  });

  test("concurrent first requests share one HTTP/2 connection; one of them aborting does not fail the others", async () => {
    const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2: true });
    const before = verifications;
    const gaveUp = new AbortController();
    const first = client.get(new URL("/c0", server.url), { signal: gaveUp.signal }).then(() => "answered", (err: Error) => err.message);
    gaveUp.abort(new Error("caller gave up"));
    const rest = await Promise.all(Array.from({ length: 8 }, (_, i) => client.get(new URL(`/c${i + 1}`, server.url)).then(async (r) => (await r.text(), r.status))));
    expect(await first).toBe("caller gave up");
    expect(rest).toEqual(Array(8).fill(200));
    expect(verifications - before).toBe(1);
    await client.close();
  });

  test("close() while requests wait for a connection: they fail with ERR_MTLS_CLIENT_CLOSED and open none", async () => {
    const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2: false, pool: { maxPerOrigin: 1 } });
    const before = verifications;
    const outcome = (p: Promise<Response>) => p.then((r) => r.text().then(() => "answered"), (err: { code?: string; message: string }) => err.code ?? err.message);
    const inFlight = outcome(client.get(new URL("/slow", server.url)));
    const waiting = [1, 2, 3].map((i) => outcome(client.get(new URL(`/w${i}`, server.url))));
    await new Promise((r) => setTimeout(r, 100)); // the first holds the origin's only slot
    await client.close();
    expect(await Promise.all(waiting)).toEqual(["ERR_MTLS_CLIENT_CLOSED", "ERR_MTLS_CLIENT_CLOSED", "ERR_MTLS_CLIENT_CLOSED"]);
    await inFlight; // cut by close(), or answered if it finished first: either way it settles
    await new Promise((r) => setTimeout(r, 100));
    expect(verifications - before).toBe(1);
    await expect(client.get(new URL("/after", server.url))).rejects.toMatchObject({ code: "ERR_MTLS_CLIENT_CLOSED" });
  });

  test("HTTP/1.1 keep-alive: connections are reused, and a burst over pool.maxPerOrigin waits for them instead of opening more", async () => {
    const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2: false, pool: { maxPerOrigin: 2 } });
    const before = verifications;
    for (let i = 0; i < 6; i++) expect((await client.get(new URL(`/k${i}`, server.url))).status).toBe(200);
    // Kept alive by the server (Deno too, where its node:http once closed each one after a response);
    // Deno's agent may open a second one when a request starts before the first is back in the pool.
    expect(verifications - before).toBeLessThanOrEqual(2);
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => client.get(new URL(`/b${i}`, server.url)).then(async (r) => (await r.text(), r.status))));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(verifications - before).toBeLessThanOrEqual(2);
    await client.close();
  });

  test("the URL the handler sees keeps the origin; the path is only ever a path", async () => {
    const { svid } = await svidFor(pki.inter, CLIENT_ID);
    const pem = svid.toPem();
    const get = (path: string, host: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpsRequest({ host: "127.0.0.1", port: server.port, path, headers: { host }, key: pem.privateKey, cert: pem.certificates, rejectUnauthorized: false, agent: false }, (res) => {
          let data = "";
          res.on("data", (d) => (data += d));
          res.on("end", () => resolve(JSON.parse(data).url));
        });
        req.on("error", reject);
        req.end();
      });
    expect(await get("/a/b?x=1", "api.example:8443")).toBe("https://api.example:8443/a/b?x=1");
    expect(await get("//evil.example/x?y", "api.example")).toBe("https://api.example//evil.example/x?y");
    expect(await get("/\\evil.example/x", "api.example")).toBe("https://api.example//evil.example/x");
    expect(await get("http://evil.example/p?q", "api.example")).toBe("https://api.example/p?q");
    expect(await get("/p", "bad host/x")).toBe(`https://127.0.0.1:${server.port}/p`);
  });

  test("a request over timeoutMs fails with a TimeoutError; the caller's signal aborts with its reason", async () => {
    const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    for (const http2 of [true, false]) {
      const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2, timeoutMs: 100 });
      const timedOut = await client.get(new URL("/slow", server.url)).then(() => undefined, (err: unknown) => err);
      expect((timedOut as Error).name).toBe("TimeoutError");
      const controller = new AbortController();
      const pending = client.get(new URL("/slow", server.url), { timeoutMs: 0, signal: controller.signal }).then(() => undefined, (err: unknown) => err);
      setTimeout(() => controller.abort(new Error("caller gave up")), 20);
      expect((await pending as Error).message).toBe("caller gave up");
      expect((await client.get(new URL("/after", server.url), { timeoutMs: 5000 })).status).toBe(200);
      await client.close();
    }
  });

  test("the handler's Request is a Request whose signal aborts when the client goes away (HTTP/2 and HTTP/1.1)", async () => {
    const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
    for (const http2 of [true, false]) {
      const client = createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2 });
      await (await client.get(new URL("/warm-up", server.url))).text(); // the next request reuses the connection
      const before = abortsSeen.length;
      const controller = new AbortController();
      const pending = client.get(new URL("/wait-for-abort", server.url), { signal: controller.signal }).then(() => "answered", () => "aborted");
      for (let i = 0; i < 200 && abortsSeen.length === before; i++) await new Promise((r) => setTimeout(r, 10));
      controller.abort();
      expect(await pending).toBe("aborted");
      for (let i = 0; i < 300 && !abortsSeen[before]?.aborted; i++) await new Promise((r) => setTimeout(r, 10));
      expect({ http2, ...abortsSeen[before] }).toEqual({ http2, isRequest: true, aborted: true });
      await new Promise((r) => setTimeout(r, 300));
      expect({ http2, requests: abortsSeen.length - before }).toEqual({ http2, requests: 1 }); // an aborted request is never sent again
      await client.close();
    }
  });

  test("body-less requests skip the Web Request but keep its rules: methods normalized, invalid URLs refused", async () => {
    const { client } = await clientFor(CLIENT_ID);
    expect((await (await client.fetch(new URL("/m", server.url), { method: "delete" })).json()).method).toBe("DELETE");
    expect((await (await client.fetch(new URL("/m", server.url), { method: "PURGE" })).json()).method).toBe("PURGE");
    await expectInvalidArgument(client.get("not a url"), "input");
    await expectInvalidArgument(client.get(`http://127.0.0.1:${server.port}/m`), "input");
    await expectInvalidArgument(client.get(`https://user:secret@127.0.0.1:${server.port}/m`), "input");
    await expectInvalidArgument(client.get(new URL("/m", server.url), { headers: { "bad header": "x" } }), "init");
    await expectInvalidArgument(client.post(new URL("/m", server.url), "x", { headers: { "bad header": "x" } }), "init");
    await client.close();
  });
});

describe("serveMtls refuses before the handler", () => {
  const refusedWith = async (options: Parameters<typeof issueLeaf>[1], ca?: Awaited<ReturnType<typeof createCa>>) => {
    const issuer = ca ?? pki.inter;
    const leaf = await issueLeaf(issuer, options);
    return rawHttpRequest(server.port, { key: leaf.privateKeyPem, cert: chainPem(leaf, issuer) });
  };

  test("a valid raw client gets an answer (control for the cases below)", async () => {
    expect(await refusedWith({ uriSans: [CLIENT_ID] })).toBe("HTTP/1.1 200 OK");
  });
  test("no client certificate", async () => {
    expect(await rawHttpRequest(server.port)).toBe("refused");
  });
  test("unknown CA with the same trust domain name", async () => {
    expect(await refusedWith({ uriSans: [CLIENT_ID] }, await createCa({ trustDomain: "example.org" }))).toBe("refused");
  });
  test("expired", async () => {
    expect(await refusedWith({ uriSans: [CLIENT_ID], notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 60_000) })).toBe("refused");
  });
  test("not yet valid", async () => {
    expect(await refusedWith({ uriSans: [CLIENT_ID], notBefore: new Date(Date.now() + 3600_000), notAfter: new Date(Date.now() + 7200_000) })).toBe("refused");
  });
  test("CA certificate as leaf", async () => {
    expect(await refusedWith({ uriSans: [CLIENT_ID], isCa: true, keyUsage: { keyCertSign: true, digitalSignature: true } })).toBe("refused");
  });
  test("two URI SANs", async () => {
    expect(await refusedWith({ uriSans: [CLIENT_ID, "spiffe://example.org/other"] })).toBe("refused");
  });
  test("no URI SAN", async () => {
    expect(await refusedWith({ uriSans: [], dnsSans: ["client.example.org"] })).toBe("refused");
  });
  test("trust domain without a bundle", async () => {
    const stranger = await createCa({ trustDomain: "stranger.org" });
    expect(await refusedWith({ uriSans: ["spiffe://stranger.org/x"] }, stranger)).toBe("refused");
  });
  test("leaf of trust domain B signed by trust domain A's CA", async () => {
    expect(await refusedWith({ uriSans: ["spiffe://other.org/client"] })).toBe("refused");
  });
  test("the authorizer refuses", async () => {
    expect(await refusedWith({ uriSans: ["spiffe://example.org/refused"] })).toBe("refused");
    const { client } = await clientFor("spiffe://example.org/refused");
    await expect(client.get(new URL("/x", server.url))).rejects.toThrow();
    await client.close();
  });
});

describe("createMtlsClient refuses servers", () => {
  test("with the wrong SPIFFE ID (before sending the request)", async () => {
    const { client } = await clientFor(CLIENT_ID, authorizeId("spiffe://example.org/someone-else"));
    const before = handled;
    await expect(client.get(new URL("/x", server.url))).rejects.toMatchObject({ code: "ERR_AUTHZ_UNEXPECTED_ID" });
    await client.close();
    expect(handled).toBe(before); // our request was never sent
  });

  test("with an untrusted chain", async () => {
    const source = new FakeX509Source({ svid: (await svidFor(pki.inter, CLIENT_ID)).svid, bundles: [X509Bundle.fromCertificates("example.org", [(await createCa({ trustDomain: "example.org" })).der])] });
    const client = createMtlsClient({ source, authorizer: authorizeAny() });
    await expect(client.get(new URL("/x", server.url))).rejects.toMatchObject({ code: "ERR_X509_SVID_UNTRUSTED" });
    await client.close();
  });

  test("presenting a hostname-only certificate", async () => {
    const leaf = await issueLeaf(pki.inter, { uriSans: [], dnsSans: ["localhost"] });
    const { createServer } = await import("node:tls");
    const plain = createServer({ key: leaf.privateKeyPem, cert: chainPem(leaf, pki.inter) }, (s) => s.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    const { client } = await clientFor(CLIENT_ID, authorizeAny());
    const port = (plain.address() as { port: number }).port;
    await expect(client.get(`https://localhost:${port}/`)).rejects.toMatchObject({ code: "ERR_X509_SVID_NO_URI_SAN" });
    await client.close();
    plain.close();
  });

  test("http: URLs are refused", async () => {
    const { client } = await clientFor(CLIENT_ID);
    await expectInvalidArgument(client.get("http://127.0.0.1:1/"), "input");
    await client.close();
  });
});

describe("rotation and bundle changes without restart", () => {
  test("the server presents a rotated SVID on new connections", async () => {
    const { client } = await clientFor(CLIENT_ID);
    const first = getPeerIdentity(await client.get(new URL("/r1", server.url)))!.certificates[0]!;
    await client.close();
    const next = await svidFor(pki.inter, SERVER_ID);
    serverSource.setX509Svid(next.svid);
    const { client: again } = await clientFor(CLIENT_ID);
    const second = getPeerIdentity(await again.get(new URL("/r2", server.url)))!.certificates[0]!;
    await again.close();
    expect(hex(second)).not.toBe(hex(first));
    expect(hex(second)).toBe(hex(next.svid.certificates[0]!));
  });

  test("the client presents a rotated SVID on new connections", async () => {
    const { client, source } = await clientFor(CLIENT_ID);
    const before = (await (await client.get(new URL("/c1", server.url))).json()).leaf;
    const next = await svidFor(pki.inter, CLIENT_ID);
    source.setX509Svid(next.svid);
    const after = (await (await client.get(new URL("/c2", server.url))).json()).leaf;
    await client.close();
    expect(after).not.toBe(before);
    expect(after).toBe(hex(next.svid.certificates[0]!));
  });

  test("a bundle change stops a previously trusted peer on its next connection", async () => {
    const { client } = await clientFor(CLIENT_ID);
    expect((await client.get(new URL("/b1", server.url))).status).toBe(200);
    await client.close();
    const replacement = await createCa({ trustDomain: "example.org" });
    serverSource.setX509Bundle(X509Bundle.fromCertificates("example.org", [replacement.der]));
    try {
      const pem = (await svidFor(pki.inter, CLIENT_ID)).svid.toPem();
      expect(await rawHttpRequest(server.port, { key: pem.privateKey, cert: pem.certificates })).toBe("refused");
      const { client: again } = await clientFor(CLIENT_ID);
      await expect(again.get(new URL("/b2", server.url))).rejects.toThrow();
      await again.close();
    } finally {
      serverSource.setX509Bundle(pki.bundle);
    }
  });
});

describe("health, timeouts, config and graceful close", () => {
  test("health port: /healthz 200, /readyz 200 with ID and expiry, 503 without an SVID", async () => {
    const health = server.healthUrl!;
    expect((await fetch(new URL("/healthz", health))).status).toBe(200);
    const ready = await fetch(new URL("/readyz", health));
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.spiffeId).toBe(SERVER_ID);
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const svid = serverSource.getX509Svid();
    serverSource.setX509Svid(undefined);
    try {
      const notReady = await fetch(new URL("/readyz", health));
      expect(notReady.status).toBe(503);
      expect((await notReady.json()).status).toBe("unavailable");
    } finally {
      serverSource.setX509Svid(svid);
    }
    expect((await fetch(new URL("/nope", health))).status).toBe(404);
  });

  test("/readyz is 503 once the SVID has expired", async () => {
    const { svid } = await svidFor(pki.inter, SERVER_ID);
    const source = new FakeX509Source({ svid, bundles: [pki.bundle] });
    const late = await serveMtls({ source, authorizer: authorizeAny(), port: 0, hostname: "127.0.0.1", health: { port: 0, hostname: "127.0.0.1" }, now: () => new Date(svid.expiresAt.getTime() + 1000), fetch: () => new Response("x") });
    const r = await fetch(new URL("/readyz", late.healthUrl!));
    expect(r.status).toBe(503);
    expect((await r.json()).reason).toContain("expired");
    await late.close();
  });

  test("invalid options fail at creation with the option named", async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ authorizer: authorizeAny(), fetch: () => new Response() }, "source"],
      [{ source: serverSource, fetch: () => new Response() }, "authorizer"],
      [{ source: serverSource, authorizer: authorizeAny() }, "fetch"],
      [{ source: serverSource, authorizer: authorizeAny(), fetch: () => new Response(), port: 70000 }, "port"],
      [{ source: serverSource, authorizer: authorizeAny(), fetch: () => new Response(), hostname: "" }, "hostname"],
      [{ source: serverSource, authorizer: authorizeAny(), fetch: () => new Response(), timeouts: { idleMs: -1 } }, "timeouts.idleMs"],
      [{ source: serverSource, authorizer: authorizeAny(), fetch: () => new Response(), health: {} }, "health.port"],
    ];
    for (const [options, option] of bad) {
      await expect(serveMtls(options as never)).rejects.toMatchObject({ code: "ERR_INVALID_ARGUMENT", option });
    }
    expect(() => createMtlsClient({ source: serverSource } as never)).toThrow(ConfigError);
    expect(() => createMtlsClient({ source: serverSource, authorizer: authorizeAny(), pool: { maxPerOrigin: 0 } })).toThrow(ConfigError);
    expect(() => createMtlsClient({ source: serverSource, authorizer: authorizeAny(), http2: "yes" as never })).toThrow(ConfigError);
  });

  test("a handler error becomes a 500 without internals", async () => {
    const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    const s = await serveMtls({ source, authorizer: authorizeAny(), port: 0, hostname: "127.0.0.1", fetch: () => {
      throw new Error("secret detail");
    } });
    const { client } = await clientFor(CLIENT_ID);
    const r = await client.get(s.url);
    expect(r.status).toBe(500);
    expect(await r.text()).not.toContain("secret detail");
    await client.close();
    await s.close();
  });

  test("close() lets in-flight requests finish and refuses new connections", async () => {
    const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    let started!: () => void;
    const handlerStarted = new Promise<void>((r) => (started = r));
    const s = await serveMtls({ source, authorizer: authorizeAny(), port: 0, hostname: "127.0.0.1", fetch: async () => {
      started();
      await new Promise((r) => setTimeout(r, 300));
      return new Response("finished");
    } });
    const { client } = await clientFor(CLIENT_ID);
    const inFlight = client.get(new URL("/slow", s.url));
    await handlerStarted;
    const closing = s.close({ timeoutMs: 5000 });
    expect(await (await inFlight).text()).toBe("finished");
    await closing;
    expect(await rawHttpRequest(s.port, { key: source.getX509Svid().toPem().privateKey, cert: source.getX509Svid().toPem().certificates })).toBe("refused");
    await client.close();
  });

  test("a connection that sends no request is closed after headersMs", async () => {
    const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle]);
    const s = await serveMtls({ source, authorizer: authorizeAny(), port: 0, hostname: "127.0.0.1", timeouts: { headersMs: 200 }, fetch: () => new Response("x") });
    const { connect } = await import("node:tls");
    const pem = (await svidFor(pki.inter, CLIENT_ID)).svid.toPem();
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = connect({ host: "127.0.0.1", port: s.port, key: pem.privateKey, cert: pem.certificates, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] });
      socket.on("error", () => {});
      socket.on("close", () => resolve(Date.now() - started));
      setTimeout(() => socket.destroy(), 5000);
    });
    expect(closedAfter).toBeLessThan(4000);
    await s.close();
  });
});

describe("authorizeMemberOf on the server", () => {
  test("refuses another trust domain even with its bundle present", async () => {
    const source = await sourceFor(pki.inter, SERVER_ID, [pki.bundle, pki.otherBundle]);
    const s = await serveMtls({ source, authorizer: authorizeMemberOf("example.org"), port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
    const foreign = await issueLeaf(pki.otherRoot, { uriSans: ["spiffe://other.org/client"] });
    expect(await rawHttpRequest(s.port, { key: foreign.privateKeyPem, cert: chainPem(foreign, pki.otherRoot) })).toBe("refused");
    const local = await issueLeaf(pki.inter, { uriSans: [CLIENT_ID] });
    expect(await rawHttpRequest(s.port, { key: local.privateKeyPem, cert: chainPem(local, pki.inter) })).toBe("HTTP/1.1 200 OK");
    await s.close();
  });
});
