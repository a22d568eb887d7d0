// Connect-ES over SPIFFE mTLS, on Node, Bun and Deno: createSpiffeGrpcTransport against
// connectNodeAdapter + spiffeContextValues on attachSpiffe (gRPC), and
// createSpiffeConnectTransport against createConnectFetchHandler on serveMtls (Connect
// protocol). Accepted and refused peers both ways, the caller in the handler context,
// rotations reaching new connections.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConnectError, type ConnectRouter, createClient, type Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { AuthorizationError, authorizeId, ConfigError, X509SvidError } from "../../../mod.ts";
import { GreeterService } from "../../../examples/grpc/gen/greeter_pb.ts";
import {
  attachSpiffe,
  createConnectFetchHandler,
  createServerTlsOptions,
  createSpiffeConnectTransport,
  createSpiffeGrpcTransport,
  getPeerIdentity,
  type MtlsServer,
  serveMtls,
  spiffeContextValues,
  type SpiffeTransport,
} from "../../../src/adapters/node/mod.ts";
import { createSpiffeSessionManager } from "../../../src/adapters/shared/connect/spiffe-session-manager.ts";
import type { FakeX509Source } from "../../../src/testing/fake-x509-source.ts";
import { createClientTlsConfig } from "../../../src/tls/client-tls.ts";
import { CLIENT_ID, createTlsPki, issueSvid, REFUSED_ID, SERVER_ID, sourceOf, strangerBundle, type TlsPki } from "../../tls/tls-fixtures.ts";
import { hex } from "../mtls-fixtures.ts";
import { recordingAuthorizer } from "./grpc-fixtures.ts";
import { expectInvalidArgument } from "../../support/rejection.ts";

describe("Connect over SPIFFE mTLS", () => {
  let pki: TlsPki;
  let serverSource: FakeX509Source;
  let clientSource: FakeX509Source;
  let grpcServer: Http2SecureServer;
  let grpcUrl: string;
  let connectServer: MtlsServer;
  let calls = 0;
  const transports: SpiffeTransport[] = [];

  // The handler answers the caller's ID and leaf (hex) as read from its context.
  const routes = (router: ConnectRouter): void => {
    router.service(GreeterService, {
      greet(_request, context) {
        calls++;
        const peer = getPeerIdentity(context);
        return { callerSpiffeId: peer?.id.toString() ?? "", greeting: peer ? hex(peer.certificates[0]!) : "" };
      },
    });
  };

  beforeAll(async () => {
    pki = await createTlsPki();
    serverSource = await sourceOf(pki, SERVER_ID);
    clientSource = await sourceOf(pki, CLIENT_ID);
    const tls = createServerTlsOptions(serverSource, authorizeId(CLIENT_ID), { ALPNProtocols: ["h2"] });
    grpcServer = attachSpiffe(createSecureServer(tls, connectNodeAdapter({ routes, contextValues: spiffeContextValues })), tls);
    await new Promise<void>((resolve) => grpcServer.listen(0, "127.0.0.1", resolve));
    grpcUrl = `https://127.0.0.1:${(grpcServer.address() as AddressInfo).port}`;
    connectServer = await serveMtls({ source: serverSource, authorizer: authorizeId(CLIENT_ID), hostname: "127.0.0.1", port: 0, fetch: createConnectFetchHandler(routes) });
  });

  afterAll(async () => {
    for (const t of transports) t.close();
    await new Promise<void>((resolve) => (grpcServer ? grpcServer.close(() => resolve()) : resolve()));
    await connectServer?.close({ timeoutMs: 1000 });
  });

  const grpcTransport = (source = clientSource, serverId = SERVER_ID) => track(createSpiffeGrpcTransport({ baseUrl: grpcUrl, source, authorizer: authorizeId(serverId) }));
  const connectTransport = (source = clientSource, serverId = SERVER_ID) =>
    track(createSpiffeConnectTransport({ baseUrl: connectServer.url.origin, source, authorizer: authorizeId(serverId) }));
  function track(t: SpiffeTransport): SpiffeTransport {
    transports.push(t);
    return t;
  }
  const greet = (transport: Transport) => createClient(GreeterService, transport).greet({ name: "test" }, { timeoutMs: 10_000 });
  const failure = async (p: Promise<unknown>): Promise<ConnectError> => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  };

  for (const [name, transport] of [["gRPC, connectNodeAdapter on attachSpiffe", grpcTransport], ["Connect protocol, createConnectFetchHandler on serveMtls", connectTransport]] as const) {
    describe(name, () => {
      test("a call reaches the handler, whose context holds the caller's verified ID and chain", async () => {
        const reply = await greet(transport());
        expect({ id: reply.callerSpiffeId, leaf: reply.greeting }).toEqual({ id: CLIENT_ID, leaf: hex(clientSource.getX509Svid().certificates[0]!) });
      });

      test("the server refuses a client its authorizer does not allow, and one with an untrusted chain; no handler runs", async () => {
        const before = calls;
        await failure(greet(transport(await sourceOf(pki, REFUSED_ID))));
        await failure(greet(transport(await sourceOf(pki, CLIENT_ID, { ca: pki.stranger }))));
        expect(calls).toBe(before);
      });

      test("the client refuses a server that is not the expected ID: the ConnectError's cause is the SDK's AuthorizationError", async () => {
        const before = calls;
        const err = await failure(greet(transport(clientSource, "spiffe://example.org/other")));
        expect(err.cause).toBeInstanceOf(AuthorizationError);
        expect((err.cause as AuthorizationError).code).toBe("ERR_AUTHZ_UNEXPECTED_ID");
        expect(calls).toBe(before);
      });

      test("the client refuses a server whose chain does not verify against its bundle (X509SvidError)", async () => {
        const before = calls;
        const err = await failure(greet(transport(await sourceOf(pki, CLIENT_ID, { bundles: [strangerBundle(pki)] }))));
        expect(err.cause).toBeInstanceOf(X509SvidError);
        expect(calls).toBe(before);
      });

      test("a rotation of the client's SVID reaches the next call of the same transport (a new connection)", async () => {
        const source = await sourceOf(pki, CLIENT_ID);
        const t = transport(source);
        expect((await greet(t)).greeting).toBe(hex(source.getX509Svid().certificates[0]!));
        const next = await issueSvid(pki, CLIENT_ID);
        source.setX509Svid(next);
        expect((await greet(t)).greeting).toBe(hex(next.certificates[0]!));
      });

      test("an update of the source's bundles reaches the next call: a server whose CA left the bundle is refused, not called over the open session", async () => {
        const source = await sourceOf(pki, CLIENT_ID);
        const t = transport(source);
        await greet(t);
        const before = calls;
        source.setX509Bundle(strangerBundle(pki));
        const err = await failure(greet(t));
        expect(err.cause).toBeInstanceOf(X509SvidError);
        expect(calls).toBe(before);
      });
    });
  }

  test("a rotation of the server's SVID reaches new connections of both servers without a restart", async () => {
    const seen: string[] = [];
    const make = (baseUrl: string, f: typeof createSpiffeGrpcTransport) => track(f({ baseUrl, source: clientSource, authorizer: recordingAuthorizer(SERVER_ID, seen) }));
    await greet(make(grpcUrl, createSpiffeGrpcTransport));
    const next = await issueSvid(pki, SERVER_ID);
    serverSource.setX509Svid(next);
    await greet(make(grpcUrl, createSpiffeGrpcTransport));
    await greet(make(connectServer.url.origin, createSpiffeConnectTransport));
    expect(seen.slice(-2)).toEqual([hex(next.certificates[0]!), hex(next.certificates[0]!)]);
    expect(seen[0]).not.toBe(hex(next.certificates[0]!));
  });

  test("createConnectFetchHandler also serves gRPC-Web (Connect's gRPC-Web client on the SDK's sessions)", async () => {
    const tls = createClientTlsConfig({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
    const sessionManager = createSpiffeSessionManager(tls, clientSource, connectServer.url, 10_000, 60_000);
    try {
      const reply = await greet(createGrpcWebTransport({ baseUrl: connectServer.url.origin, httpVersion: "2", sessionManager }));
      expect(reply.callerSpiffeId).toBe(CLIENT_ID);
    } finally {
      sessionManager.close();
    }
  });

  test("refuses a baseUrl that is not https:, and the gRPC protocol on serveMtls, with a ConfigError", () => {
    expect(() => createSpiffeGrpcTransport({ baseUrl: "http://127.0.0.1:1", source: clientSource, authorizer: authorizeId(SERVER_ID) })).toThrow(ConfigError);
    expect(() => createSpiffeGrpcTransport({ baseUrl: "https://127.0.0.1:1", source: clientSource } as never)).toThrow(ConfigError);
    expect(() => createConnectFetchHandler(routes, { grpc: true } as never)).toThrow(ConfigError);
  });

  test("createConnectFetchHandler refuses routes that are not a function with an InvalidArgumentError naming routes (a positional argument, not a ConfigError)", async () => {
    const err = await expectInvalidArgument(() => createConnectFetchHandler({} as never), "routes");
    expect(err).not.toBeInstanceOf(ConfigError);
    expect(err.message).toContain("got Object");
  });
});
