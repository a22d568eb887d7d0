// @grpc/grpc-js over SPIFFE mTLS: createSpiffeChannelCredentials (client) and serveGrpcMtls
// (server), on Node, Bun and Deno. Accepted and refused peers in both directions, the
// caller's ID in the handler, and rotations reaching new connections.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { authorizeId, ConfigError } from "../../../mod.ts";
import { createSpiffeChannelCredentials, type GrpcMtlsServer, serveGrpcMtls } from "../../../src/adapters/node/mod.ts";
import type { FakeX509Source } from "../../../src/testing/fake-x509-source.ts";
import { CLIENT_ID, createTlsPki, issueSvid, REFUSED_ID, SERVER_ID, sourceOf, strangerBundle, type TlsPki } from "../../tls/tls-fixtures.ts";
import { hex } from "../mtls-fixtures.ts";
import { callWho, recordingAuthorizer, streamWho, whoServer } from "./grpc-fixtures.ts";

describe("grpc-js over SPIFFE mTLS", () => {
  let pki: TlsPki;
  let serverSource: FakeX509Source;
  let clientSource: FakeX509Source;
  let listening: GrpcMtlsServer;
  let calls: () => number;
  let server: grpc.Server;

  beforeAll(async () => {
    pki = await createTlsPki();
    serverSource = await sourceOf(pki, SERVER_ID);
    clientSource = await sourceOf(pki, CLIENT_ID);
    ({ server, calls } = whoServer());
    listening = await serveGrpcMtls(grpc, server, { source: serverSource, authorizer: authorizeId(CLIENT_ID), hostname: "127.0.0.1" });
  });

  afterAll(async () => {
    await listening?.close({ graceMs: 1000 });
    server?.forceShutdown();
  });

  const credentials = (source = clientSource, serverId = SERVER_ID) => createSpiffeChannelCredentials(grpc, { source, authorizer: authorizeId(serverId) });
  const refusal = async (p: Promise<unknown>): Promise<{ code: number | undefined; details: string }> => {
    const err = (await p.then(() => undefined, (e: unknown) => e)) as grpc.ServiceError | undefined;
    return { code: err?.code, details: err?.details ?? "" };
  };

  test("a call reaches the handler, which reads the caller's verified ID and chain from the call", async () => {
    const caller = await callWho(listening.port, credentials());
    expect(caller).toEqual({ id: CLIENT_ID, leaf: hex(clientSource.getX509Svid().certificates[0]!) });
  });

  test("streaming handlers (server streaming, bidirectional) read the caller from the call too", async () => {
    const leaf = hex(clientSource.getX509Svid().certificates[0]!);
    expect(await streamWho(listening.port, credentials())).toEqual([{ id: CLIENT_ID, leaf }, { id: CLIENT_ID, leaf }]);
  });

  test("the server refuses a client whose ID its authorizer does not allow, before any handler runs", async () => {
    const before = calls();
    const r = await refusal(callWho(listening.port, credentials(await sourceOf(pki, REFUSED_ID))));
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
    expect(calls()).toBe(before);
  });

  test("the server refuses a client whose chain does not verify against the bundle of its trust domain", async () => {
    const before = calls();
    const untrusted = await sourceOf(pki, CLIENT_ID, { ca: pki.stranger });
    const r = await refusal(callWho(listening.port, credentials(untrusted)));
    expect(r.code).toBe(grpc.status.UNAVAILABLE);
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
    const source = await sourceOf(pki, CLIENT_ID, { bundles: [strangerBundle(pki)] });
    const r = await refusal(callWho(listening.port, credentials(source)));
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

  test("rotations of the server's SVID reach new connections without a restart", async () => {
    const seen: string[] = [];
    const creds = createSpiffeChannelCredentials(grpc, { source: clientSource, authorizer: recordingAuthorizer(SERVER_ID, seen) });
    await callWho(listening.port, creds);
    const next = await issueSvid(pki, SERVER_ID);
    serverSource.setX509Svid(next);
    await callWho(listening.port, creds);
    expect(seen.at(-1)).toBe(hex(next.certificates[0]!));
    expect(seen[0]).not.toBe(seen.at(-1));
  });

  test("a bundle update reaches the next connection: a client of a trust domain the server stops trusting is refused", async () => {
    const source = await sourceOf(pki, CLIENT_ID);
    const own = whoServer();
    const bundleSource = await sourceOf(pki, SERVER_ID);
    const other = await serveGrpcMtls(grpc, own.server, { source: bundleSource, authorizer: authorizeId(CLIENT_ID), hostname: "127.0.0.1" });
    try {
      expect((await callWho(other.port, credentials(source))).id).toBe(CLIENT_ID);
      bundleSource.setX509Bundle(strangerBundle(pki));
      expect((await refusal(callWho(other.port, credentials(source)))).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      await other.close({ graceMs: 100 });
      own.server.forceShutdown();
    }
  });

  test("refuses what is not grpc-js, or not its Server, with a ConfigError", async () => {
    expect(() => createSpiffeChannelCredentials({} as typeof grpc, { source: clientSource, authorizer: authorizeId(SERVER_ID) })).toThrow(ConfigError);
    expect(() => createSpiffeChannelCredentials(grpc, { source: clientSource } as never)).toThrow(ConfigError);
    await expect(serveGrpcMtls(grpc, {} as grpc.Server, { source: serverSource, authorizer: authorizeId(CLIENT_ID) })).rejects.toThrow(ConfigError);
  });
});
