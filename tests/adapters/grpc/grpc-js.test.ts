// @grpc/grpc-js over SPIFFE mTLS with the runtime's own entry: serveGrpcMtls (server) on
// Node, Bun and Deno, called by Connect's gRPC client everywhere and by grpc-js clients with
// createSpiffeChannelCredentials on Node and Bun; on Deno those credentials are refused (see
// the Deno profile). Accepted and refused peers in both directions, the caller's ID in the
// handler, rotations and bundle updates reaching new connections.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { authorizeId, ConfigError, IntegrationError } from "../../../mod.ts";
import { GreeterService } from "../../../examples/grpc/gen/greeter_pb.ts";
import type { GrpcMtlsServer } from "../../../src/adapters/node/mod.ts";
import type { FakeX509Source } from "../../../src/testing/fake-x509-source.ts";
import { runtime, runtimeEntry } from "../../support/runtime-entry.ts";
import { expectInvalidArgument } from "../../support/rejection.ts";
import { CLIENT_ID, createTlsPki, issueSvid, REFUSED_ID, SERVER_ID, sourceOf, strangerBundle, type TlsPki } from "../../tls/tls-fixtures.ts";
import { hex } from "../mtls-fixtures.ts";
import { callWho, recordingAuthorizer, streamWho, whoServer } from "./grpc-fixtures.ts";

const { createSpiffeChannelCredentials, createSpiffeGrpcTransport, serveGrpcMtls } = runtimeEntry;

describe(`grpc-js over SPIFFE mTLS (${runtime})`, () => {
  let pki: TlsPki;
  let serverSource: FakeX509Source;
  let clientSource: FakeX509Source;
  let listening: GrpcMtlsServer;
  let calls: () => number;
  let server: grpc.Server;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    pki = await createTlsPki();
    serverSource = await sourceOf(pki, SERVER_ID);
    clientSource = await sourceOf(pki, CLIENT_ID);
    ({ server, calls } = whoServer());
    listening = await serveGrpcMtls(grpc, server, { source: serverSource, authorizer: authorizeId(CLIENT_ID), hostname: "127.0.0.1" });
  });

  afterAll(async () => {
    for (const close of closers) close();
    await listening?.close({ graceMs: 1000 });
    server?.forceShutdown();
  });

  /** Greet on serveGrpcMtls with Connect's gRPC client (a new connection per transport). */
  const greet = (source = clientSource, serverId = SERVER_ID, port = listening.port) => {
    const transport = createSpiffeGrpcTransport({ baseUrl: `https://127.0.0.1:${port}`, source, authorizer: authorizeId(serverId) });
    closers.push(transport.close);
    return createClient(GreeterService, transport).greet({ name: "test" }, { timeoutMs: 10_000 });
  };
  const refused = async (p: Promise<unknown>): Promise<boolean> => (await p.then(() => undefined, (e: unknown) => e)) instanceof ConnectError;

  describe("serveGrpcMtls, called by Connect's gRPC client", () => {
    test("a call reaches the handler, which reads the caller's verified ID and chain from the call", async () => {
      const reply = await greet();
      expect({ id: reply.callerSpiffeId, leaf: reply.greeting }).toEqual({ id: CLIENT_ID, leaf: hex(clientSource.getX509Svid().certificates[0]!) });
    });

    test("refuses a client its authorizer does not allow, and one whose chain does not verify against the bundle of its trust domain; no handler runs", async () => {
      const before = calls();
      expect(await refused(greet(await sourceOf(pki, REFUSED_ID)))).toBe(true);
      expect(await refused(greet(await sourceOf(pki, CLIENT_ID, { ca: pki.stranger })))).toBe(true);
      expect(calls()).toBe(before);
    });

    test("rotations of its SVID reach new connections without a restart", async () => {
      const own = whoServer();
      const source = await sourceOf(pki, SERVER_ID);
      const other = await serveGrpcMtls(grpc, own.server, { source, authorizer: authorizeId(CLIENT_ID), hostname: "127.0.0.1" });
      try {
        const seen: string[] = [];
        const call = () => {
          const transport = createSpiffeGrpcTransport({ baseUrl: `https://127.0.0.1:${other.port}`, source: clientSource, authorizer: recordingAuthorizer(SERVER_ID, seen) });
          closers.push(transport.close);
          return createClient(GreeterService, transport).greet({ name: "test" }, { timeoutMs: 10_000 });
        };
        const first = hex(source.getX509Svid().certificates[0]!);
        await call();
        const next = await issueSvid(pki, SERVER_ID);
        source.setX509Svid(next);
        await call();
        expect(seen).toEqual([first, hex(next.certificates[0]!)]);
      } finally {
        await other.close({ graceMs: 100 });
        own.server.forceShutdown();
      }
    });

    test("a bundle update reaches the next connection: a client of a trust domain it stops trusting is refused", async () => {
      const own = whoServer();
      const source = await sourceOf(pki, SERVER_ID);
      const other = await serveGrpcMtls(grpc, own.server, { source, authorizer: authorizeId(CLIENT_ID), hostname: "127.0.0.1" });
      try {
        expect((await greet(clientSource, SERVER_ID, other.port)).callerSpiffeId).toBe(CLIENT_ID);
        source.setX509Bundle(strangerBundle(pki));
        expect(await refused(greet(clientSource, SERVER_ID, other.port))).toBe(true);
      } finally {
        await other.close({ graceMs: 100 });
        own.server.forceShutdown();
      }
    });

    test("refuses what is not grpc-js, not its Server, or no options object with an InvalidArgumentError naming the argument; a bad option with a ConfigError", async () => {
      const good = { source: serverSource, authorizer: authorizeId(CLIENT_ID) };
      for (const [call, argument] of [
        [() => serveGrpcMtls({} as typeof grpc, server, good), "grpc"],
        [() => serveGrpcMtls(grpc, {} as grpc.Server, good), "server"],
        [() => serveGrpcMtls(grpc, server, null as never), "options"],
        [() => listening.close({ graceMs: -1 }), "options.graceMs"],
      ] as const) {
        expect(await expectInvalidArgument(call, argument)).not.toBeInstanceOf(ConfigError);
      }
      await expectInvalidArgument(serveGrpcMtls(grpc, server, { source: serverSource } as never), "authorizer", ConfigError);
      await expectInvalidArgument(serveGrpcMtls(grpc, server, { ...good, port: -1 }), "port", ConfigError);
      expect((await greet()).callerSpiffeId).toBe(CLIENT_ID); // still serving
    });
  });

  if (runtime === "deno") {
    test("createSpiffeChannelCredentials is refused on Deno with an IntegrationError that names the alternative", () => {
      let err: unknown;
      try {
        createSpiffeChannelCredentials(grpc, { source: clientSource, authorizer: authorizeId(SERVER_ID) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(IntegrationError);
      expect(err).toMatchObject({ code: "ERR_INTEGRATION_UNSUPPORTED_RUNTIME", library: "@grpc/grpc-js" });
      expect((err as IntegrationError).message).toContain("createSpiffeGrpcTransport");
    });
  } else {
    describe("createSpiffeChannelCredentials (grpc-js client)", () => {
      const credentials = (source = clientSource, serverId = SERVER_ID) => createSpiffeChannelCredentials(grpc, { source, authorizer: authorizeId(serverId) });
      const refusal = async (p: Promise<unknown>): Promise<{ code: number | undefined; details: string }> => {
        const err = (await p.then(() => undefined, (e: unknown) => e)) as grpc.ServiceError | undefined;
        return { code: err?.code, details: err?.details ?? "" };
      };

      test("unary, server-streaming and bidirectional handlers read the caller's verified ID and chain from the call", async () => {
        const leaf = hex(clientSource.getX509Svid().certificates[0]!);
        expect(await callWho(listening.port, credentials())).toEqual({ id: CLIENT_ID, leaf });
        expect(await streamWho(listening.port, credentials())).toEqual([{ id: CLIENT_ID, leaf }, { id: CLIENT_ID, leaf }]);
      });

      test("the server refuses a client it does not allow, or with an untrusted chain (UNAVAILABLE); no handler runs", async () => {
        const before = calls();
        expect((await refusal(callWho(listening.port, credentials(await sourceOf(pki, REFUSED_ID))))).code).toBe(grpc.status.UNAVAILABLE);
        expect((await refusal(callWho(listening.port, credentials(await sourceOf(pki, CLIENT_ID, { ca: pki.stranger }))))).code).toBe(grpc.status.UNAVAILABLE);
        expect(calls()).toBe(before);
      });

      test("the client refuses a server that is not the expected ID, with the SDK's reason", async () => {
        const before = calls();
        const r = await refusal(callWho(listening.port, credentials(clientSource, "spiffe://example.org/other")));
        expect(r.code).toBe(grpc.status.UNAVAILABLE);
        expect(r.details).toContain('unexpected peer ID "spiffe://example.org/server"');
        expect(calls()).toBe(before);
      });

      test("the client refuses a server whose chain does not verify against its bundle", async () => {
        const before = calls();
        const r = await refusal(callWho(listening.port, credentials(await sourceOf(pki, CLIENT_ID, { bundles: [strangerBundle(pki)] }))));
        expect(r.code).toBe(grpc.status.UNAVAILABLE);
        expect(calls()).toBe(before);
      });

      test("rotations of the client's SVID reach new connections of the same credentials", async () => {
        const source = await sourceOf(pki, CLIENT_ID);
        const creds = credentials(source);
        expect((await callWho(listening.port, creds)).leaf).toBe(hex(source.getX509Svid().certificates[0]!));
        const next = await issueSvid(pki, CLIENT_ID);
        source.setX509Svid(next);
        expect((await callWho(listening.port, creds)).leaf).toBe(hex(next.certificates[0]!));
      });

      test("refuses what is not grpc-js 1.13+ (InvalidArgumentError naming grpc), and missing options (ConfigError)", async () => {
        expect(await expectInvalidArgument(() => createSpiffeChannelCredentials({} as typeof grpc, { source: clientSource, authorizer: authorizeId(SERVER_ID) }), "grpc")).not.toBeInstanceOf(ConfigError);
        expect(await expectInvalidArgument(() => createSpiffeChannelCredentials(grpc, null as never), "options")).not.toBeInstanceOf(ConfigError);
        await expectInvalidArgument(() => createSpiffeChannelCredentials(grpc, { source: clientSource } as never), "authorizer", ConfigError);
      });
    });
  }
});
