// The Web messages of serveMtls and createMtlsClient on every path: the handler's Request
// (body untouched, read, streamed, cloned, read twice, forwarded; its signal; its identity)
// and the client's Response (handed over whole when the answer came whole, with or without a
// Content-Length; a stream otherwise).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { createServer as createTlsServer } from "node:tls";
import { authorizeId, getPeerIdentity, getSpiffeId, MtlsClientError } from "../../mod.ts";
import type { MtlsClient, MtlsServer } from "../../src/adapters/node/mod.ts";
import { createPki, type Pki, sourceFor } from "./mtls-fixtures.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
const { attachSpiffe, createMtlsClient, createServerTlsOptions, serveMtls } = runtimeEntry;

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";

let pki: Pki;
let server: MtlsServer;
/** A node:http2 server (HTTP/1.1 too) that answers without Content-Length, as most HTTP/2 servers do. */
let unsized: Http2SecureServer;
let unsizedUrl: string;
/** Releases the /drip answer of `unsized` (its end waits for the test), by request id. */
const dripReleases = new Map<string, () => void>();
let clients: { h2: MtlsClient; h1: MtlsClient };
/** What the /late-signal handler saw, by request id. */
const lateSignals = new Map<string, boolean>();
let handlerRequests: Request[] = [];

async function text(response: Response | Promise<Response>): Promise<string> {
  return (await response).text();
}

beforeAll(async () => {
  pki = await createPki();
  server = await serveMtls({
    source: await sourceFor(pki.inter, SERVER_ID, [pki.bundle]),
    authorizer: authorizeId(CLIENT_ID),
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      handlerRequests.push(request);
      const { pathname, searchParams } = new URL(request.url);
      switch (pathname) {
        case "/ignore-body":
          return new Response(`ignored ${request.method}`);
        case "/read-body":
          return Response.json({ text: await request.text(), bodyUsed: request.bodyUsed });
        case "/stream-body":
          return new Response(request.body);
        case "/body-info":
          return Response.json({ length: request.headers.get("content-length"), type: request.headers.get("content-type"), chunked: request.headers.get("transfer-encoding"), text: await request.text() });
        case "/headers":
          return Response.json({ one: request.headers.get("x-one"), many: request.headers.get("x-many"), host: request.headers.get("host"), pseudo: [...request.headers.keys()].filter((k) => k.startsWith(":")) });
        case "/identity":
          return Response.json({
            id: getSpiffeId(request)?.toString() ?? null,
            instanceOfRequest: request instanceof Request,
            forged: getSpiffeId(Object.create(Object.getPrototypeOf(request) as object) as Request) ?? null,
          });
        case "/clone": {
          const copy = request.clone();
          return Response.json({ copy: await copy.text(), original: await request.text(), copyIsRequest: copy instanceof Request });
        }
        case "/twice": {
          await request.text();
          const second = await request.text().then(
            () => "read again",
            (err: unknown) => (err instanceof TypeError ? "TypeError" : String(err)),
          );
          return new Response(second);
        }
        case "/late-signal": {
          // reads the signal only after the client went away: it is already aborted
          await new Promise((r) => setTimeout(r, 400));
          lateSignals.set(searchParams.get("id")!, request.signal.aborted);
          return new Response("too late");
        }
        case "/forward":
        case "/forward-init":
          return forward(request, pathname);
        default:
          return new Response("?", { status: 404 });
      }
    },
  });
  const tlsOptions = createServerTlsOptions(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeId(CLIENT_ID), { ALPNProtocols: ["h2", "http/1.1"] });
  unsized = createSecureServer({ ...tlsOptions, allowHTTP1: true }, (req, res) => void answerUnsized(req, res));
  attachSpiffe(unsized, tlsOptions);
  await new Promise<void>((resolve) => unsized.listen(0, "127.0.0.1", () => resolve()));
  unsizedUrl = `https://127.0.0.1:${(unsized.address() as { port: number }).port}`;
  const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
  const authorizer = authorizeId(SERVER_ID);
  clients = { h2: createMtlsClient({ source, authorizer, http2: true }), h1: createMtlsClient({ source, authorizer, http2: false }) };
});

/**
 * A proxy: /forward sends the handler's request itself on through an mTLS client (to itself,
 * one hop); /forward-init builds `new Request(url, request)` from it. Body and method go along.
 */
async function forward(request: Request, pathname: string): Promise<Response> {
  if (request.headers.get("x-hop")) return Response.json({ hop: await request.text() });
  const upstream = pathname === "/forward" ? await clients.h1.fetch(request, { headers: { "x-hop": "1" } }) : await clients.h1.fetch(new Request(new URL("/read-body", server.url), request));
  return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
}

/**
 * Answers of `unsized`, written in pieces (write, then end) so that no Content-Length goes out:
 * /small (a few bytes), /large (300 KiB), /drip (a first chunk, the rest once the test has read it).
 */
async function answerUnsized(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
  const { pathname, searchParams } = new URL(req.url, "https://x");
  res.setHeader("content-type", "text/plain");
  if (pathname === "/small") {
    res.write("small ");
    res.end("answer");
  } else if (pathname === "/large") {
    for (let i = 0; i < 300; i++) res.write(new Uint8Array(1024).fill(i % 251));
    res.end();
  } else {
    res.write("first;");
    let released = "by the server's 5 s limit";
    await new Promise<void>((resolve) => {
      const limit = setTimeout(resolve, 5000);
      dripReleases.set(searchParams.get("id")!, () => {
        released = "by the client";
        clearTimeout(limit);
        resolve();
      });
    });
    res.end(`released ${released}`);
  }
}

afterAll(async () => {
  await clients?.h1.close();
  await clients?.h2.close();
  await server?.close();
  await new Promise<void>((resolve) => (unsized ? unsized.close(() => resolve()) : resolve()));
});

const PROTOCOLS = [["HTTP/2", "h2"], ["HTTP/1.1", "h1"]] as const;

for (const [name, protocol] of PROTOCOLS) describe(`serveMtls's Request over ${name}`, () => {
  const url = (path: string): URL => new URL(path, server.url);
  const client = (): MtlsClient => clients[protocol];

  test("a handler that never touches the body answers, and the connection goes on (the body is drained)", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await client().post(url("/ignore-body"), new Uint8Array(256 * 1024));
      expect(await response.text()).toBe("ignored POST");
    }
    expect(await text(client().get(url("/ignore-body")))).toBe("ignored GET");
  });

  test("a handler that reads the body gets it, and bodyUsed turns true", async () => {
    expect(await (await client().post(url("/read-body"), "hello body")).json()).toEqual({ text: "hello body", bodyUsed: true });
  });

  test("a handler that streams the body back: 1 MiB echoed", async () => {
    const sent = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    const echoed = new Uint8Array(await (await client().post(url("/stream-body"), sent)).arrayBuffer());
    expect(echoed.byteLength).toBe(sent.byteLength);
    expect(echoed.every((b, i) => b === sent[i])).toBe(true);
  });

  test("a body complete before sending (string, bytes, form parameters) arrives whole with its Content-Type (HTTP/1.1: with its Content-Length, not chunked)", async () => {
    const sent = [
      ["string", "héllo", "6", "text/plain;charset=UTF-8"],
      ["bytes", new TextEncoder().encode("bytes!").subarray(1, 5), "4", null],
      ["form", new URLSearchParams({ a: "1", b: "x y" }), "9", "application/x-www-form-urlencoded;charset=UTF-8"],
    ] as const;
    for (const [kind, body, length, type] of sent) {
      const seen = await (await client().fetch(url("/body-info"), { method: "POST", body })).json();
      const text = typeof body === "string" ? body : body instanceof URLSearchParams ? body.toString() : new TextDecoder().decode(body);
      // HTTP/1.1: one write with its Content-Length (no chunked end written after it); HTTP/2 frames the body itself.
      expect({ kind, ...seen }).toEqual({ kind, length: protocol === "h1" ? length : null, type, chunked: null, text });
    }
  });

  test("headers, repeated ones combined; Host present over HTTP/2 too (from :authority), no pseudo-headers", async () => {
    const headers = new Headers([["x-one", "1"], ["x-many", "a"], ["x-many", "b"]]);
    const seen = await (await client().get(url("/headers"), { headers })).json();
    expect(seen).toEqual({ one: "1", many: "a, b", host: server.url.host, pseudo: [] });
  });

  test("getSpiffeId(request) is the caller, the request is a Request, and a copy of its prototype carries no identity", async () => {
    expect(await (await client().get(url("/identity"))).json()).toEqual({ id: CLIENT_ID, instanceOfRequest: true, forged: null });
  });

  test("request.clone(): both copies read the whole body", async () => {
    expect(await (await client().post(url("/clone"), "twice")).json()).toEqual({ copy: "twice", original: "twice", copyIsRequest: true });
  });

  test("reading the body twice fails with a TypeError, as a Request does", async () => {
    expect(await text(client().post(url("/twice"), "once"))).toBe("TypeError");
  });

  test("request.signal read after the client went away is already aborted", async () => {
    const id = `${protocol}-${Math.random()}`;
    const controller = new AbortController();
    const pending = client().get(url(`/late-signal?id=${id}`), { signal: controller.signal }).catch(() => "aborted");
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    expect(await pending).toBe("aborted");
    for (let i = 0; i < 100 && !lateSignals.has(id); i++) await new Promise((r) => setTimeout(r, 10));
    expect(lateSignals.get(id)).toBe(true);
  });

  test("a handler's request can be forwarded through createMtlsClient, and into new Request(url, request)", async () => {
    expect(await (await client().post(url("/forward"), "payload")).json()).toEqual({ hop: "payload" });
    expect(await (await client().post(url("/forward-init"), "payload")).json()).toEqual({ text: "payload", bodyUsed: true });
  });

  test("the handler's request is the runtime's own Request: its parts, its prototype's methods", async () => {
    handlerRequests = [];
    await text(client().get(url("/ignore-body?x=1"), { headers: { "x-one": "1" } }));
    const [request] = handlerRequests;
    expect(request!.method).toBe("GET");
    expect(request!.url).toBe(`https://127.0.0.1:${server.port}/ignore-body?x=1`);
    expect(request!.body).toBe(null);
    expect(request!.bodyUsed).toBe(false);
    expect(request!.headers.get("x-one")).toBe("1");
    expect(await Request.prototype.text.call(request)).toBe("");
  });
});

for (const [name, protocol] of PROTOCOLS) describe(`createMtlsClient's Response over ${name}`, () => {
  const url = (path: string): URL => new URL(path, server.url);
  const client = (): MtlsClient => clients[protocol];

  test("a small answer is a runtime-native Response carrying the server's identity", async () => {
    const response = await client().get(url("/identity"));
    expect(response).toBeInstanceOf(Response);
    expect(getSpiffeId(response)?.toString()).toBe(SERVER_ID);
    expect(getPeerIdentity(response)?.mechanism).toBe("x509-svid");
    expect(response.bodyUsed).toBe(false);
    // The runtime's own body methods work on it: it is not a look-alike.
    expect(await Response.prototype.json.call(response)).toMatchObject({ id: CLIENT_ID });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  test("clone() reads the same body twice; body is a stream of it", async () => {
    const response = await client().get(url("/ignore-body"));
    const copy = response.clone();
    expect(await copy.text()).toBe("ignored GET");
    const reader = response.body!.getReader();
    let body = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) body += new TextDecoder().decode(r.value);
    expect(body).toBe("ignored GET");
  });

  test("a body larger than what is handed over whole (64 KiB) streams, intact", async () => {
    const sent = new Uint8Array(300 * 1024).map((_, i) => i % 253);
    const response = await client().post(url("/stream-body"), sent);
    const received = new Uint8Array(await response.arrayBuffer());
    expect(received.byteLength).toBe(sent.byteLength);
    expect(received.every((b, i) => b === sent[i])).toBe(true);
  });
});

for (const [name, protocol] of PROTOCOLS) describe(`createMtlsClient's Response to an answer without Content-Length over ${name}`, () => {
  const client = (): MtlsClient => clients[protocol];

  test("a small answer comes whole, with the server's identity", async () => {
    const response = await client().get(`${unsizedUrl}/small`);
    expect(response.headers.get("content-length")).toBe(null);
    expect(getSpiffeId(response)?.toString()).toBe(SERVER_ID);
    expect(await response.text()).toBe("small answer");
  });

  test("a large answer streams, intact", async () => {
    const received = new Uint8Array(await (await client().get(`${unsizedUrl}/large`)).arrayBuffer());
    expect(received.byteLength).toBe(300 * 1024);
    expect(received.every((b, i) => b === Math.floor(i / 1024) % 251)).toBe(true);
  });

  test("an answer still being written is handed over before its end: its first chunk is read while the server waits", async () => {
    const id = `${protocol}-${Math.random()}`;
    const response = await client().get(`${unsizedUrl}/drip?id=${id}`);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("first;");
    dripReleases.get(id)!(); // only now may the server end the answer
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("released by the client");
  });

  test("a request aborted while its body streams: the next read fails with the abort's reason, and the client goes on", async () => {
    const id = `${protocol}-abort-${Math.random()}`;
    const controller = new AbortController();
    const response = await client().get(`${unsizedUrl}/drip?id=${id}`, { signal: controller.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first;");
    const reason = new Error("the caller gave up");
    controller.abort(reason);
    const failure = await reader.read().then(
      () => "read on",
      (err: unknown) => err,
    );
    dripReleases.get(id)!(); // let the server's handler finish
    expect(failure).toBe(reason);
    expect(await (await client().get(`${unsizedUrl}/small`)).text()).toBe("small answer");
  });
});

describe("createMtlsClient and an answer no Response can carry", () => {
  test("status 999 over HTTP/1.1: the request rejects with MtlsClientError ERR_MTLS_CLIENT_INVALID_ANSWER naming the status (the process does not crash), and the client goes on", async () => {
    const options = createServerTlsOptions(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeId(CLIENT_ID), { ALPNProtocols: ["http/1.1"] });
    const odd = createTlsServer(options);
    // Added before attachSpiffe, as it requires: it sees verified connections only.
    odd.on("secureConnection", (socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end("HTTP/1.1 999 Odd\r\ncontent-length: 2\r\n\r\nhi"));
    });
    attachSpiffe(odd, options);
    await new Promise<void>((resolve) => odd.listen(0, "127.0.0.1", () => resolve()));
    try {
      const failure = await clients.h1.get(`https://127.0.0.1:${(odd.address() as { port: number }).port}/`).then(
        () => "answered",
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(MtlsClientError);
      expect(failure).toMatchObject({ code: "ERR_MTLS_CLIENT_INVALID_ANSWER" });
      expect((failure as Error).message).toContain("status 999");
      expect(await text(clients.h1.get(new URL("/ignore-body", server.url)))).toBe("ignored GET");
    } finally {
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });
});
