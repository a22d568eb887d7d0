// What the SDK's clients and servers fail with when a connection goes wrong, the same typed
// error on Node, Bun and Deno: a connection closed during the TLS handshake (MtlsClientError
// ERR_MTLS_CLIENT_HANDSHAKE_CLOSED, the runtime's reset as cause), a server without HTTP/2
// for the Connect transports (ERR_MTLS_CLIENT_NO_HTTP2 as a ConnectError's cause), an answer
// cut short (ERR_MTLS_CLIENT_BODY_INCOMPLETE: an HTTP/2 stream ends cleanly when its connection
// drops), and a request body whose client went away (the handler sees an AbortError, also
// when the body ends short of its Content-Length).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConnectError, createClient } from "@connectrpc/connect";
import { request as httpsRequest } from "node:https";
import { connect as connectHttp2, createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { connect as netConnect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { authorizeAny, MtlsClientError } from "../../mod.ts";
import { GreeterService } from "../../examples/grpc/gen/greeter_pb.ts";
import type { MtlsServer } from "../../src/adapters/node/mod.ts";
import type { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { createPki, type Pki, sourceFor } from "./mtls-fixtures.ts";
const { attachSpiffe, connectMtls, createClientTlsConfig, createMtlsClient, createServerTlsOptions, createSpiffeAgent, createSpiffeConnectTransport, createSpiffeGrpcTransport, serveMtls } = runtimeEntry;

let pki: Pki;
let serverSource: FakeX509Source;
let clientSource: FakeX509Source;
/** Resets every connection it accepts, before a byte of the TLS handshake is answered. */
let resetting: NetServer;
let resettingPort = 0;
/** A SPIFFE server (attachSpiffe on node:http2) whose answers stop in the middle: its connections are destroyed. */
let cutting: Http2SecureServer;
let cuttingUrl = "";
/** A SPIFFE server (attachSpiffe on node:tls) that offers HTTP/1.1 only in ALPN. */
let http1Only: TlsServer;
let http1OnlyUrl = "";

function listen(server: NetServer | TlsServer | Http2SecureServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

/** What `p` rejects with (fails the test when it resolves). */
async function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => {
    throw new Error("expected a rejection");
  }, (err: unknown) => err);
}

beforeAll(async () => {
  pki = await createPki();
  serverSource = await sourceFor(pki.inter, "spiffe://example.org/server", [pki.bundle]);
  clientSource = await sourceFor(pki.inter, "spiffe://example.org/client", [pki.bundle]);
  resetting = createNetServer((socket) => socket.destroy());
  resettingPort = await listen(resetting);

  const tls = createServerTlsOptions(serverSource, authorizeAny());
  const sockets = new Set<Socket>();
  // GET /cut?declared=N&sent=M: declares N bytes, sends M, then the server's connections drop.
  cutting = attachSpiffe(
    createSecureServer({ ...tls, allowHTTP1: true }, (req: Http2ServerRequest, res: Http2ServerResponse) => {
      const url = new URL(req.url, "https://x");
      res.writeHead(200, { "content-length": url.searchParams.get("declared")! });
      res.write(new Uint8Array(Number(url.searchParams.get("sent"))), () => setTimeout(() => sockets.forEach((s) => s.destroy()), 50));
    }),
    tls,
  );
  cutting.on("connection", (socket: Socket) => sockets.add(socket.once("close", () => sockets.delete(socket))));
  cuttingUrl = `https://127.0.0.1:${await listen(cutting)}`;

  const http1Tls = createServerTlsOptions(serverSource, authorizeAny(), { ALPNProtocols: ["http/1.1"] });
  http1Only = attachSpiffe(createTlsServer(http1Tls, (socket) => socket.on("error", () => {}).end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")), http1Tls);
  http1OnlyUrl = `https://127.0.0.1:${await listen(http1Only)}`;
});

afterAll(async () => {
  for (const server of [resetting, cutting, http1Only]) await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe("a connection closed during the TLS handshake: MtlsClientError ERR_MTLS_CLIENT_HANDSHAKE_CLOSED", () => {
  const expectHandshakeClosed = (err: unknown, what: string): void => {
    expect({ what, isMtlsClientError: err instanceof MtlsClientError }).toEqual({ what, isMtlsClientError: true });
    expect({ what, code: (err as MtlsClientError).code }).toEqual({ what, code: "ERR_MTLS_CLIENT_HANDSHAKE_CLOSED" });
  };

  test("a reset: connectMtls, createMtlsClient (HTTP/1.1 and HTTP/2) and createSpiffeAgent, with the runtime's ECONNRESET as cause", async () => {
    const options = { source: clientSource, authorizer: authorizeAny() };
    const viaConnect = await failureOf(connectMtls("127.0.0.1", resettingPort, options));
    expectHandshakeClosed(viaConnect, "connectMtls");
    expect((viaConnect as Error).cause).toMatchObject({ code: "ECONNRESET" });
    expect((viaConnect as Error).message).toContain(`127.0.0.1:${resettingPort} closed during the TLS handshake`);
    for (const http2 of [false, true]) {
      const client = createMtlsClient({ ...options, http2 });
      try {
        expectHandshakeClosed(await failureOf(client.get(`https://127.0.0.1:${resettingPort}/`)), `createMtlsClient http2=${http2}`);
      } finally {
        await client.close();
      }
    }
    const agent = createSpiffeAgent(options);
    try {
      const viaAgent = await failureOf(new Promise((resolve, reject) => httpsRequest(`https://127.0.0.1:${resettingPort}/`, { agent }, resolve).once("error", reject).end()));
      expectHandshakeClosed(viaAgent, "createSpiffeAgent");
    } finally {
      agent.destroy();
    }
  });

  test("a close without an error (the socket under the handshake ends): no cause", async () => {
    const tls = createClientTlsConfig({ source: clientSource, authorizer: authorizeAny() });
    const accepted: Socket[] = [];
    const idle = createNetServer((socket) => void accepted.push(socket)); // accepts and never answers the ClientHello
    const port = await listen(idle);
    try {
      const socket = netConnect(port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      const pending = failureOf(tls.connect("127.0.0.1", port, { socket }));
      setTimeout(() => socket.destroy(), 50);
      const err = await pending;
      expectHandshakeClosed(err, "createClientTlsConfig().connect");
      expect((err as Error).cause).toBeUndefined();
    } finally {
      tls.close();
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => idle.close(() => resolve()));
    }
  });
});

describe("a server without HTTP/2 for the Connect transports: a ConnectError whose cause is MtlsClientError ERR_MTLS_CLIENT_NO_HTTP2", () => {
  for (const [name, make] of [["createSpiffeGrpcTransport", createSpiffeGrpcTransport], ["createSpiffeConnectTransport", createSpiffeConnectTransport]] as const) {
    test(name, async () => {
      const transport = make({ baseUrl: http1OnlyUrl, source: clientSource, authorizer: authorizeAny() });
      try {
        const err = await failureOf(createClient(GreeterService, transport).greet({ name: "x" }, { timeoutMs: 10_000 }));
        expect(err).toBeInstanceOf(ConnectError);
        const cause = (err as ConnectError).cause;
        expect(cause).toBeInstanceOf(MtlsClientError);
        expect(cause).toMatchObject({ code: "ERR_MTLS_CLIENT_NO_HTTP2" });
        expect((cause as Error).message).toContain(`${http1OnlyUrl} did not negotiate HTTP/2`);
      } finally {
        transport.close();
      }
    });
  }
});

describe("an HTTP/2 answer cut short (its connection drops): reading the body fails with MtlsClientError ERR_MTLS_CLIENT_BODY_INCOMPLETE", () => {
  // A small answer (read whole before it is handed over) and a large one (streamed).
  for (const [declared, sent] of [[1000, 500], [100_000, 70_000]] as const) {
    test(`${sent} of ${declared} declared bytes`, async () => {
      const client = createMtlsClient({ source: clientSource, authorizer: authorizeAny(), http2: true });
      try {
        const response = await client.get(`${cuttingUrl}/cut?declared=${declared}&sent=${sent}`);
        expect(response.status).toBe(200);
        const err = await failureOf(response.arrayBuffer());
        expect(err).toBeInstanceOf(MtlsClientError);
        expect(err).toMatchObject({ code: "ERR_MTLS_CLIENT_BODY_INCOMPLETE" });
      } finally {
        await client.close();
      }
    });
  }

  test("a whole answer still reads whole (the count matches)", async () => {
    const client = createMtlsClient({ source: clientSource, authorizer: authorizeAny(), http2: true });
    try {
      const response = await client.get(`${cuttingUrl}/cut?declared=70000&sent=70000`);
      expect((await response.arrayBuffer()).byteLength).toBe(70_000);
    } finally {
      await client.close();
    }
  });
});

describe("serveMtls: a request body whose HTTP/2 client went away fails with an AbortError", () => {
  /** A server whose handler reports what reading the request body gave: its length, or the error. */
  async function bodyReporter(): Promise<{ server: MtlsServer; seen: Promise<unknown> }> {
    let report: (outcome: unknown) => void = () => {};
    const seen = new Promise<unknown>((resolve) => (report = resolve));
    const server = await serveMtls({
      source: serverSource,
      authorizer: authorizeAny(),
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (request) => {
        await request.arrayBuffer().then((body) => report(`read whole: ${body.byteLength} bytes`), report);
        return new Response("done");
      },
    });
    return { server, seen };
  }
  const expectAbortError = (err: unknown): void => {
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe("AbortError");
  };

  test("the client aborts the upload: the handler reading it sees an AbortError, as request.signal reports", async () => {
    const { server, seen } = await bodyReporter();
    const client = createMtlsClient({ source: clientSource, authorizer: authorizeAny(), http2: true });
    try {
      const abort = new AbortController();
      let chunks = 0;
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => (chunks++ < 3 ? controller.enqueue(new Uint8Array(1000)) : new Promise<void>(() => {})),
      });
      const upload = client.fetch(new URL("/upload", server.url), { method: "POST", body, duplex: "half", signal: abort.signal } as RequestInit).catch(() => "aborted");
      await new Promise((resolve) => setTimeout(resolve, 200));
      abort.abort();
      expect(await upload).toBe("aborted");
      await client.close(); // the connection goes away with it
      expectAbortError(await seen);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("the client's connection drops after 500 of 1000 declared bytes: an AbortError, not a body of 500 bytes (Deno's server ended such a stream cleanly)", async () => {
    const { server, seen } = await bodyReporter();
    const pem = clientSource.getX509Svid().toPem();
    const session = connectHttp2(server.url.origin, { key: pem.privateKey, cert: pem.certificates, rejectUnauthorized: false });
    session.on("error", () => {});
    try {
      const stream = session.request({ ":method": "POST", ":path": "/upload", "content-length": "1000" });
      stream.on("error", () => {});
      stream.write(new Uint8Array(500));
      await new Promise((resolve) => setTimeout(resolve, 200));
      session.destroy();
      expectAbortError(await seen);
    } finally {
      session.destroy();
      await server.close();
    }
  });
});
