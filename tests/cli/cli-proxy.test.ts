// spiffe-ts proxy server / proxy client, end to end on the test's runtime: a plain-HTTP app
// behind `proxy server`, callers over SPIFFE mTLS, and a plain-HTTP caller through `proxy client`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type IncomingMessage, request as httpRequest, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { authorizeAny, authorizeId, getPeerIdentity } from "../../mod.ts";
import { createTestCa, startWorkloadApiServer, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { readCertificate } from "../../src/core/lib/certificate.ts";
import { isDeno } from "../examples/example-process.ts";
import { type RunningCli, runCli, startCli } from "./cli-process.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { X509Source } from "../../src/adapters/node/mod.ts";
const { createMtlsClient, serveMtls } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

const PROXY_SERVER_ID = "spiffe://example.org/proxy-server";
const PROXY_CLIENT_ID = "spiffe://example.org/proxy-client";
const CALLER_ID = "spiffe://example.org/caller";
const STRANGER_ID = "spiffe://example.org/stranger";
const stoppedCleanly = (code: number | null): boolean => code === 0 || (isDeno && code === null);

/** What the app behind the proxy saw. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  rawHeaders: string[];
  body: string;
}

let dir = "";
let app: Server;
let appUrl = "";
const seen: Seen[] = [];
/** Resolved when the app has received the first chunk of a /slow-upload body. */
let firstChunkArrived: () => void = () => {};
/** The app finishes /slow-download when this resolves. */
let releaseDownload: Promise<void> = Promise.resolve();

const agents: WorkloadApiServer[] = [];
let serverAgent: WorkloadApiServer;
let clientAgent: WorkloadApiServer;
let callerSource: X509Source;
let strangerSource: X509Source;
let proxyServer: RunningCli;
let proxyServerUrl = "";

/** Requests to /hang: each resolves `closed` when the proxy drops its leg of the request. */
const hanging: { closed: Promise<void> }[] = [];

function startApp(): Promise<void> {
  app = createServer((req, res) => {
    if (req.url === "/hang") {
      hanging.push({ closed: new Promise<void>((resolve) => res.once("close", () => resolve())) });
      return; // never answers
    }
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk: Uint8Array) => {
      chunks.push(chunk);
      if (req.url === "/slow-upload" && chunks.length === 1) firstChunkArrived();
    });
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (req.url === "/gzip") {
        res.writeHead(200, { "content-encoding": "gzip", "content-type": "text/plain", "set-cookie": ["a=1", "b=2"] });
        res.end(gzipSync("compressed hello"));
      } else if (req.url === "/redirect") {
        res.writeHead(302, { location: "/elsewhere" });
        res.end();
      } else if (req.url === "/slow-download") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first;");
        await releaseDownload;
        res.end("second");
      } else if (req.url === "/status/204") {
        res.writeHead(204, { "x-app": "yes" });
        res.end();
      } else {
        res.writeHead(200, { "content-type": "application/json", connection: "keep-alive", "keep-alive": "timeout=5", "x-app": "yes" });
        res.end(JSON.stringify({ method: req.method, url: req.url, bytes: Buffer.concat(chunks).length }));
      }
    });
  });
  return new Promise((resolve) => app.listen(0, "127.0.0.1", () => {
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    resolve();
  }));
}

/** The last event of `type` printed by a proxy started with --json. */
async function event(cli: RunningCli, type: string, after = 0): Promise<Record<string, unknown>> {
  for (let tries = 0; ; tries++) {
    const events = cli.stdout().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const matching = events.filter((e) => e.event === type);
    if (matching.length > after) return matching[matching.length - 1]!;
    if (tries > 400) throw new Error(`no ${type} event; stdout: ${cli.stdout()}; stderr: ${cli.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A plain HTTP request with raw bytes back (no decoding of Content-Encoding, no redirects). */
function plainRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | ((req: import("node:http").ClientRequest) => Promise<void>) } = {}): Promise<{ status: number; headers: IncomingMessage["headers"]; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers ?? {} }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Uint8Array) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (typeof init.body === "function") void init.body(req);
    else req.end(init.body);
  });
}

/** Serial number (hex, as the proxies print it) of a DER certificate. */
function serialOfDer(der: Uint8Array): string {
  const info = readCertificate(new Uint8Array(der));
  if (typeof info === "string") throw new Error(info);
  return info.serialNumberHex;
}

function serialOf(response: Response): string {
  const leaf = getPeerIdentity(response)?.certificates[0];
  if (!leaf) throw new Error("no peer identity on the response");
  return serialOfDer(leaf);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-cli-proxy-"));
  await startApp();
  const ca = await createTestCa({ trustDomain: "example.org" });
  const other = await createTestCa({ trustDomain: "other.org" });
  const agent = async (name: string, id: string, ofCa = ca): Promise<WorkloadApiServer> => {
    const server = await startWorkloadApiServer({ socketPath: join(dir, `${name}.sock`), ca: ofCa, workloads: [{ id }] });
    agents.push(server);
    return server;
  };
  serverAgent = await agent("server", PROXY_SERVER_ID);
  clientAgent = await agent("client", PROXY_CLIENT_ID);
  callerSource = await X509Source.create({ address: (await agent("caller", CALLER_ID)).address });
  strangerSource = await X509Source.create({ address: (await agent("stranger", STRANGER_ID, other)).address });
  proxyServer = startCli(["proxy", "server", "--listen", "127.0.0.1:0", "--target", appUrl, "--allow", CALLER_ID, "--allow", PROXY_CLIENT_ID, "--json", "--address", serverAgent.address]);
  proxyServerUrl = String((await event(proxyServer, "ready")).listen);
});

afterAll(async () => {
  expect(stoppedCleanly(await proxyServer.stop())).toBe(true);
  await callerSource.close();
  await strangerSource.close();
  for (const a of agents) await a.stop();
  await new Promise((r) => app.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("spiffe-ts proxy server", () => {
  test("the ready event says where it listens, what it forwards to and whom it accepts", async () => {
    const ready = await event(proxyServer, "ready");
    expect(ready.target).toBe(appUrl);
    expect(ready.idHeader).toBe("x-spiffe-caller-id");
    expect(ready.spiffeId).toBe(PROXY_SERVER_ID);
    expect(ready.accept).toBe(`${CALLER_ID}, ${PROXY_CLIENT_ID}`);
    expect(String(ready.listen)).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test("forwards an allowed caller's request with its verified ID in the header, replacing a forged one", async () => {
    await using client = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID) });
    seen.length = 0;
    const response = await client.post(new URL("/api/echo?x=1&y=2", proxyServerUrl), "hello", {
      headers: { "x-spiffe-caller-id": "spiffe://example.org/admin", "X-Custom": "kept", "content-type": "text/plain" },
    });
    expect(response.status).toBe(200);
    expect(getPeerIdentity(response)?.id.toString()).toBe(PROXY_SERVER_ID);
    expect(response.headers.get("x-app")).toBe("yes");
    // Hop-by-hop: the app's Keep-Alive is not passed on (an HTTP/1.1 leg may carry the proxy's own).
    expect(response.headers.get("keep-alive")).not.toBe("timeout=5");
    expect(await response.json()).toEqual({ method: "POST", url: "/api/echo?x=1&y=2", bytes: 5 });
    const got = seen[0]!;
    expect(got.body).toBe("hello");
    expect(got.headers["x-spiffe-caller-id"]).toBe(CALLER_ID);
    // Exactly one caller-ID field reached the app: the forged value is gone, not appended to.
    expect(got.rawHeaders.filter((h) => h.toLowerCase() === "x-spiffe-caller-id")).toHaveLength(1);
    expect(got.headers["x-custom"]).toBe("kept");
    expect(got.headers.host).toBe(new URL(proxyServerUrl).host);
  });

  test("--id-header renames the header (the caller cannot set it); --health serves SVID-aware probes", async () => {
    const proxy = startCli(["proxy", "server", "--listen", "127.0.0.1:0", "--target", appUrl, "--allow-td", "example.org", "--id-header", "X-Peer", "--health", "127.0.0.1:0", "--json", "--address", serverAgent.address]);
    try {
      const ready = await event(proxy, "ready");
      const url = String(ready.listen);
      const ready1 = await plainRequest(new URL("/readyz", String(ready.health)).href);
      expect(ready1.status).toBe(200);
      expect(new TextDecoder().decode(ready1.body)).toContain(PROXY_SERVER_ID);
      await using client = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID) });
      seen.length = 0;
      expect((await client.get(new URL("/x", url), { headers: { "x-peer": "spiffe://example.org/admin" } })).status).toBe(200);
      expect(seen[0]!.headers["x-peer"]).toBe(CALLER_ID);
      expect(seen[0]!.headers["x-spiffe-caller-id"]).toBeUndefined();
    } finally {
      expect(stoppedCleanly(await proxy.stop())).toBe(true);
    }
  });

  test("streams request and response bodies (the app reads the first chunk before the caller sends the second)", async () => {
    await using client = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID) });
    const arrived = new Promise<void>((resolve) => (firstChunkArrived = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode("a".repeat(1000)));
        await arrived; // a proxy that buffered the whole body would never get here
        controller.enqueue(new TextEncoder().encode("b".repeat(1000)));
        controller.close();
      },
    });
    const upload = await client.fetch(new URL("/slow-upload", proxyServerUrl), { method: "POST", body });
    expect((await upload.json()).bytes).toBe(2000);

    let release: () => void = () => {};
    releaseDownload = new Promise((resolve) => (release = resolve));
    const download = await client.get(new URL("/slow-download", proxyServerUrl));
    const reader = download.body!.getReader();
    const first = await reader.read(); // arrives while the app still holds the rest back
    expect(new TextDecoder().decode(first.value)).toBe("first;");
    release();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("second");
  });

  test("passes the app's answer through unchanged: encoded bodies, redirects, cookies, 204", async () => {
    await using client = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID) });
    const gz = await client.get(new URL("/gzip", proxyServerUrl));
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(new Uint8Array(await gz.arrayBuffer())).toEqual(new Uint8Array(gzipSync("compressed hello")));
    expect(gz.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    const redirect = await client.get(new URL("/redirect", proxyServerUrl));
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/elsewhere");
    const empty = await client.get(new URL("/status/204", proxyServerUrl));
    expect(empty.status).toBe(204);
    expect(empty.headers.get("x-app")).toBe("yes");
  });

  test("refuses callers outside the policy and of unknown trust domains before the app sees anything", async () => {
    seen.length = 0;
    const stranger = createMtlsClient({ source: strangerSource, authorizer: authorizeAny() });
    const sameTdNotAllowed = await X509Source.create({ address: (await startWorkloadApiServer({ socketPath: join(dir, "not-allowed.sock"), ca: serverAgent.ca, workloads: [{ id: "spiffe://example.org/not-allowed" }] }).then((s) => (agents.push(s), s))).address });
    const notAllowed = createMtlsClient({ source: sameTdNotAllowed, authorizer: authorizeId(PROXY_SERVER_ID) });
    try {
      // The stranger's client cannot even verify the proxy (no bundle for example.org): it refuses first.
      await expect(stranger.get(new URL("/x", proxyServerUrl))).rejects.toThrow();
      await expect(notAllowed.get(new URL("/x", proxyServerUrl))).rejects.toThrow();
      expect(seen).toHaveLength(0);
    } finally {
      await stranger.close();
      await notAllowed.close();
      await sameTdNotAllowed.close();
    }
  });

  test("rotates its SVID without restart: new connections see the new serial, open ones keep working", async () => {
    await using before = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID) });
    const first = await before.get(new URL("/x", proxyServerUrl));
    await first.arrayBuffer();
    const oldSerial = serialOf(first);
    const rotations = proxyServer.stdout().split("\n").filter((l) => l.includes('"rotated"')).length;
    await serverAgent.rotate();
    const rotated = await event(proxyServer, "rotated", rotations);
    expect(rotated.serialNumber).not.toBe(oldSerial);
    await using after = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID) });
    const second = await after.get(new URL("/x", proxyServerUrl));
    expect(second.status).toBe(200);
    expect(serialOf(second)).toBe(String(rotated.serialNumber));
    expect((await before.get(new URL("/x", proxyServerUrl))).status).toBe(200);
  });

  test("a caller that goes away cancels the request to the app (HTTP/2 and HTTP/1.1)", async () => {
    for (const http2 of [true, false]) {
      await using client = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID), http2 });
      const before = hanging.length;
      const controller = new AbortController();
      const pending = client.get(new URL("/hang", proxyServerUrl), { signal: controller.signal }).then(() => "answered", () => "aborted");
      for (let i = 0; i < 300 && hanging.length === before; i++) await new Promise((r) => setTimeout(r, 10));
      expect(hanging.length).toBe(before + 1);
      controller.abort();
      expect(await pending).toBe("aborted");
      const closed = await Promise.race([hanging[before]!.closed.then(() => "closed"), new Promise((r) => setTimeout(() => r("still open"), 5000))]);
      expect({ http2, closed }).toEqual({ http2, closed: "closed" });
      await new Promise((r) => setTimeout(r, 300));
      expect({ http2, sent: hanging.length - before }).toEqual({ http2, sent: 1 }); // the cancelled request is never sent again
    }
  });

  test("an unreachable app gives 502 with the reason (and a report on stderr)", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const proxy = startCli(["proxy", "server", "--listen", "127.0.0.1:0", "--target", deadUrl, "--allow", CALLER_ID, "--json", "--address", serverAgent.address]);
    try {
      const url = String((await event(proxy, "ready")).listen);
      await using client = createMtlsClient({ source: callerSource, authorizer: authorizeId(PROXY_SERVER_ID) });
      const response = await client.get(new URL("/x", url));
      expect(response.status).toBe(502);
      expect(await response.text()).toContain(`${deadUrl} is unreachable`);
      await proxy.waitFor(/./); // stdout has the ready line; stderr the report
      expect(JSON.parse(proxy.stderr().trim().split("\n").at(-1)!)).toMatchObject({ event: "upstream", status: 502, caller: CALLER_ID });
    } finally {
      expect(stoppedCleanly(await proxy.stop())).toBe(true);
    }
  });
});

describe("spiffe-ts proxy client", () => {
  let proxyClient: RunningCli;
  let proxyClientUrl = "";
  beforeAll(async () => {
    proxyClient = startCli(["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", proxyServerUrl.replace(/\/$/, ""), "--expect-id", PROXY_SERVER_ID, "--json", "--address", clientAgent.address]);
    proxyClientUrl = String((await event(proxyClient, "ready")).listen);
  });
  afterAll(async () => {
    expect(stoppedCleanly(await proxyClient.stop())).toBe(true);
  });

  test("a plain-HTTP caller reaches the app through both proxies; the app sees the proxy client's ID", async () => {
    seen.length = 0;
    const response = await plainRequest(`${proxyClientUrl}api/echo?q=1`, { method: "PUT", headers: { "x-spiffe-caller-id": "forged", "content-type": "text/plain" }, body: "payload" });
    expect(response.status).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(response.body))).toEqual({ method: "PUT", url: "/api/echo?q=1", bytes: 7 });
    expect(seen[0]!.headers["x-spiffe-caller-id"]).toBe(PROXY_CLIENT_ID);
    expect(seen[0]!.body).toBe("payload");
  });

  test("a request target cannot redirect the proxy to another host", async () => {
    seen.length = 0;
    const response = await plainRequest(`${proxyClientUrl}`.replace(/\/$/, "") + "//evil.example/steal");
    expect(response.status).toBe(200);
    expect(seen[0]!.url).toBe("//evil.example/steal");
  });

  test("streams bodies both ways and passes encoded bodies through unchanged", async () => {
    const arrived = new Promise<void>((resolve) => (firstChunkArrived = resolve));
    const upload = await plainRequest(`${proxyClientUrl}slow-upload`, {
      method: "POST",
      headers: { "transfer-encoding": "chunked" },
      body: async (req) => {
        req.write("a".repeat(1000));
        await arrived;
        req.end("b".repeat(1000));
      },
    });
    expect(JSON.parse(new TextDecoder().decode(upload.body)).bytes).toBe(2000);

    let release: () => void = () => {};
    releaseDownload = new Promise((resolve) => (release = resolve));
    const firstChunk = await new Promise<string>((resolve, reject) => {
      httpRequest(`${proxyClientUrl}slow-download`, (res) => {
        res.once("data", (c: Uint8Array) => {
          resolve(new TextDecoder().decode(c));
          release();
        });
        res.resume();
      }).on("error", reject).end();
    });
    expect(firstChunk).toBe("first;");

    const gz = await plainRequest(`${proxyClientUrl}gzip`);
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(new Uint8Array(gz.body)).toEqual(new Uint8Array(gzipSync("compressed hello")));
    expect(gz.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect((await plainRequest(`${proxyClientUrl}redirect`)).status).toBe(302);
  });

  test("an upstream with another SPIFFE ID gets no request: the app gets 502 with the reason", async () => {
    const wrong = startCli(["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", proxyServerUrl.replace(/\/$/, ""), "--expect-id", "spiffe://example.org/someone-else", "--json", "--address", clientAgent.address]);
    try {
      const url = String((await event(wrong, "ready")).listen);
      seen.length = 0;
      const response = await plainRequest(`${url}x`);
      expect(response.status).toBe(502);
      expect(new TextDecoder().decode(response.body)).toContain(PROXY_SERVER_ID);
      expect(seen).toHaveLength(0);
    } finally {
      expect(stoppedCleanly(await wrong.stop())).toBe(true);
    }
  });

  test("rotates its SVID without restart: the upstream sees the new certificate", async () => {
    const serials: string[] = [];
    const serverSource = await X509Source.create({ address: serverAgent.address });
    const upstream = await serveMtls({
      source: serverSource,
      authorizer: authorizeId(PROXY_CLIENT_ID),
      port: 0,
      hostname: "127.0.0.1",
      fetch: (_request, { peer }) => {
        serials.push(serialOfDer(peer.certificates[0]!));
        return new Response("ok");
      },
    });
    const proxy = startCli(["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", upstream.url.origin, "--expect-id", PROXY_SERVER_ID, "--json", "--address", clientAgent.address]);
    try {
      const ready = await event(proxy, "ready");
      const url = String(ready.listen);
      expect((await plainRequest(`${url}one`)).status).toBe(200);
      expect(serials).toEqual([String(ready.serialNumber)]);
      await clientAgent.rotate();
      const rotated = await event(proxy, "rotated");
      expect(rotated.serialNumber).not.toBe(ready.serialNumber);
      expect((await plainRequest(`${url}two`)).status).toBe(200);
      expect(serials[1]).toBe(String(rotated.serialNumber));
    } finally {
      expect(stoppedCleanly(await proxy.stop())).toBe(true);
      await upstream.close();
      await serverSource.close();
    }
  });
});

describe("spiffe-ts proxy: usage and errors", () => {
  const address = (): string => serverAgent.address;
  const usage: [string, string[], RegExp][] = [
    ["server without --target", ["proxy", "server", "--listen", ":0", "--allow-any"], /missing --target/],
    ["server without a policy", ["proxy", "server", "--listen", ":0", "--target", "http://127.0.0.1:1"], /--allow SPIFFE_ID, --allow-td TRUST_DOMAIN/],
    ["server with --allow-any and --allow", ["proxy", "server", "--listen", ":0", "--target", "http://127.0.0.1:1", "--allow-any", "--allow", CALLER_ID], /cannot be combined/],
    ["server with a bad --allow", ["proxy", "server", "--listen", ":0", "--target", "http://127.0.0.1:1", "--allow", "example.org/x"], /not a SPIFFE ID/],
    ["server with a bad --allow-td", ["proxy", "server", "--listen", ":0", "--target", "http://127.0.0.1:1", "--allow-td", "Bad TD"], /not a trust domain/],
    ["server with an https target", ["proxy", "server", "--listen", ":0", "--target", "https://127.0.0.1:1", "--allow-any"], /must be a http:\/\/ URL/],
    ["server with a target path", ["proxy", "server", "--listen", ":0", "--target", "http://127.0.0.1:1/api", "--allow-any"], /give only http:\/\/host:port/],
    ["server with a bad --listen", ["proxy", "server", "--listen", "127.0.0.1:99999", "--target", "http://127.0.0.1:1", "--allow-any"], /--listen: port 99999 is out of range 0..65535/],
    ["server with a malformed --listen", ["proxy", "server", "--listen", "127.0.0.1/8443", "--target", "http://127.0.0.1:1", "--allow-any"], /--listen: expected "host:port", "\[ipv6\]:port", ":port" or "port", got "127.0.0.1\/8443"/],
    ["server with X-SPIFFE-ID as the caller header", ["proxy", "server", "--listen", ":0", "--target", "http://127.0.0.1:1", "--allow-any", "--id-header", "X-SPIFFE-ID"], /reserved for the subject/],
    ["client on a non-loopback address", ["proxy", "client", "--listen", "0.0.0.0:8080", "--upstream", "https://127.0.0.1:1", "--expect-any"], /not a loopback address/],
    ["client with an http upstream", ["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:1", "--expect-any"], /must be a https:\/\/ URL/],
    ["client without a policy", ["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", "https://127.0.0.1:1"], /--expect-id SPIFFE_ID/],
    ["client with a bad duration", ["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", "https://127.0.0.1:1", "--expect-any", "--upstream-timeout", "soon"], /--upstream-timeout: expected a duration/],
  ];
  for (const [name, args, message] of usage) {
    test(`${name}: exit 2 with the reason`, async () => {
      const result = await runCli([...args, "--address", address()]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
    });
  }

  test("--json errors are one JSON object on stderr", async () => {
    const result = await runCli(["proxy", "client", "--listen", "10.0.0.1:1", "--upstream", "https://127.0.0.1:1", "--expect-any", "--json"]);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stderr).error).toMatchObject({ code: "ERR_CLI_USAGE", exitCode: 2 });
  });

  test("no Workload API: exit 3 naming the problem; no address at all: exit 2", async () => {
    const down = await runCli(["proxy", "server", "--listen", "127.0.0.1:0", "--target", "http://127.0.0.1:1", "--allow-any", "--address", `unix://${join(dir, "nobody.sock")}`, "--timeout", "1s"]);
    expect(down.status).toBe(3);
    expect(down.stderr).toMatch(/ERR_WORKLOAD_API|Workload API/);
    const none = await runCli(["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", "https://127.0.0.1:1", "--expect-any"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/SPIFFE_ENDPOINT_SOCKET/);
  });

  test("a --hint no SVID has: exit 3 saying so", async () => {
    const result = await runCli(["proxy", "client", "--listen", "127.0.0.1:0", "--upstream", "https://127.0.0.1:1", "--expect-any", "--hint", "nope", "--timeout", "1s", "--address", address()]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/picker chose none/);
  });

  test("a port in use: exit 1 naming the address", async () => {
    const busy = new URL(proxyServerUrl).port;
    const server = await runCli(["proxy", "server", "--listen", `127.0.0.1:${busy}`, "--target", "http://127.0.0.1:1", "--allow-any", "--address", address()]);
    expect(server.status).toBe(1);
    expect(server.stderr).toContain(`cannot listen on 127.0.0.1:${busy}`);
    const client = await runCli(["proxy", "client", "--listen", `127.0.0.1:${busy}`, "--upstream", "https://127.0.0.1:1", "--expect-any", "--address", address()]);
    expect(client.status).toBe(1);
    expect(client.stderr).toContain(`cannot listen on 127.0.0.1:${busy}`);
  });

  test("--help for both commands, and proxy alone lists them", async () => {
    for (const which of ["server", "client"]) {
      const help = await runCli(["proxy", which, "--help"]);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain(`Usage: spiffe-ts proxy ${which} --listen`);
    }
    const group = await runCli(["proxy"]);
    expect(group.status).toBe(2);
    expect(group.stderr).toContain('"proxy" has: server, client');
  });
});
