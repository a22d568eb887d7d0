// createSpiffeDispatcher with undici.request, undici.fetch and the global fetch, over HTTP/1.1
// and HTTP/2, on the runtime running the test (refused on Bun, see its profile).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as undici from "undici";
import { authorizeAny, authorizeId, authorizeOneOf, ConfigError, IntegrationError } from "../../mod.ts";
import { type ClientModeOptions, getPeerId, type SpiffeDispatcherPoolOptions } from "../../src/adapters/node/mod.ts";
import { loadUndici } from "../../src/adapters/shared/spiffe-dispatcher.ts";
import type { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { type Pki, sourceFor, svidFor } from "./mtls-fixtures.ts";
import { waitUntil } from "../support/wait-until.ts";
import { CLIENT_ID, holdingHandler, type IntegrationServer, type IntegrationServers, sdkErrorIn, SERVER_ID, startIntegrationServer, startIntegrationServers, whoAmI } from "./integration-server.ts";

const { createSpiffeDispatcher: createWithoutModule } = runtimeEntry; // the entry of the runtime running the test
/** With the module passed, the dispatcher has undici's own Agent type (what undici.request takes). */
const createSpiffeDispatcher = (options: ClientModeOptions & Omit<SpiffeDispatcherPoolOptions, "undici">) => createWithoutModule({ undici, ...options });


let servers: IntegrationServers;
let pki: Pki;
let server: IntegrationServer;
let strangerServer: IntegrationServer; // a server whose SVID comes from a CA the client does not trust
beforeAll(async () => {
  servers = await startIntegrationServers();
  ({ pki, server, strangerServer } = servers);
});
afterAll(() => servers?.close());

const clientSource = (id?: string): Promise<FakeX509Source> => servers.clientSource(id);

describe("createSpiffeDispatcher on Bun", () => {
  if (runtime !== "bun") return;
  test("is refused at creation: Bun's undici is a built-in stand-in that never calls a custom connect (IntegrationError)", async () => {
    let caught: unknown;
    try {
      createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IntegrationError);
    expect((caught as IntegrationError).code).toBe("ERR_INTEGRATION_UNSUPPORTED_RUNTIME");
    expect((caught as IntegrationError).message).toContain("stand-in");
  });

  test("is refused with the Node entry too: the undici module Bun supplies cannot dispatch (IntegrationError)", async () => {
    const { createSpiffeDispatcher: nodeEntryDispatcher } = await import("../../src/adapters/node/mod.ts");
    let caught: unknown;
    try {
      nodeEntryDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IntegrationError);
    expect((caught as IntegrationError).code).toBe("ERR_INTEGRATION_UNSUPPORTED_RUNTIME");
  });
});

describe("createSpiffeDispatcher", () => {
  if (runtime === "bun") return;

  for (const allowH2 of [false, true]) {
    const version = allowH2 ? "2.0" : "1.1";
    test(`undici.request over HTTP/${version}: the server sees the client's ID, getPeerId(result) the server's`, async () => {
      const dispatcher = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID), allowH2 });
      try {
        for (let i = 0; i < 2; i++) {
          const result = await undici.request(`${server.url}/`, { dispatcher });
          expect(result.statusCode).toBe(200);
          expect(await result.body.json()).toEqual({ caller: CLIENT_ID, httpVersion: version });
          expect(getPeerId(result)?.toString()).toBe(SERVER_ID);
        }
      } finally {
        await dispatcher.close();
      }
    });
  }

  test("undici.fetch reaches the server over SPIFFE mTLS", async () => {
    const dispatcher = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
    try {
      const response = await undici.fetch(`${server.url}/`, { dispatcher });
      expect(await response.json()).toEqual({ caller: CLIENT_ID, httpVersion: "1.1" });
    } finally {
      await dispatcher.close();
    }
  });

  if (runtime === "node") {
    test("Node's global fetch uses it as its dispatcher", async () => {
      const dispatcher = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
      try {
        const response = await fetch(`${server.url}/`, { dispatcher } as RequestInit);
        expect(await response.json()).toEqual({ caller: CLIENT_ID, httpVersion: "1.1" });
      } finally {
        await dispatcher.close();
      }
    });
  }

  if (runtime === "deno") {
    test("Deno's global fetch ignores the dispatcher: its request is not SPIFFE TLS and fails", async () => {
      const dispatcher = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
      try {
        const caught = await fetch(`${server.url}/`, { dispatcher } as RequestInit).then(() => undefined, (err: unknown) => err);
        expect(caught).toBeInstanceOf(Error);
      } finally {
        await dispatcher.close();
      }
    });
  }

  test("refuses a server with another ID (AuthorizationError) and one of an untrusted CA (X509SvidError)", async () => {
    const wrongId = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId("spiffe://example.org/other") });
    const any = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeAny() });
    try {
      const refused = await undici.request(`${server.url}/`, { dispatcher: wrongId }).then(() => undefined, (err: unknown) => err);
      expect(sdkErrorIn(refused)).toEqual({ name: "AuthorizationError", code: "ERR_AUTHZ_UNEXPECTED_ID" });
      const untrusted = await undici.request(`${strangerServer.url}/`, { dispatcher: any }).then(() => undefined, (err: unknown) => err);
      expect(sdkErrorIn(untrusted)?.name).toBe("X509SvidError");
    } finally {
      await wrongId.close();
      await any.close();
    }
  });

  test("a client the server does not authorize gets no answer", async () => {
    const dispatcher = createSpiffeDispatcher({ source: await clientSource("spiffe://example.org/intruder"), authorizer: authorizeId(SERVER_ID) });
    try {
      const caught = await undici.request(`${server.url}/`, { dispatcher }).then(() => undefined, (err: unknown) => err);
      expect(caught).toBeInstanceOf(Error);
    } finally {
      await dispatcher.destroy();
    }
  });

  test("a rotated SVID is presented by the next connection", async () => {
    const source = await clientSource();
    const dispatcher = createSpiffeDispatcher({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      const first = await undici.request(`${server.url}/`, { dispatcher, reset: true }); // closes its connection
      expect(await first.body.json()).toEqual({ caller: CLIENT_ID, httpVersion: "1.1" });
      source.setX509Svid((await svidFor(pki.inter, "spiffe://example.org/client2")).svid);
      const second = await undici.request(`${server.url}/`, { dispatcher });
      expect(await second.body.json()).toEqual({ caller: "spiffe://example.org/client2", httpVersion: "1.1" });
    } finally {
      await dispatcher.close();
    }
  });

  for (const allowH2 of [false, true]) {
    const version = allowH2 ? "2.0" : "1.1";
    test(`HTTP/${version}: after a rotation, new requests use a new connection with the new SVID; the old one finishes its request in flight, then closes`, async () => {
      const held = holdingHandler();
      const rotating = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeOneOf(CLIENT_ID, "spiffe://example.org/client2"), held.handler);
      const source = await clientSource();
      const dispatcher = createSpiffeDispatcher({ source, authorizer: authorizeId(SERVER_ID), allowH2 });
      try {
        const inFlight = undici.request(`${rotating.url}/held`, { dispatcher });
        await held.arrived();
        source.setX509Svid((await svidFor(pki.inter, "spiffe://example.org/client2")).svid);
        const after = await undici.request(`${rotating.url}/`, { dispatcher });
        expect(await after.body.json()).toEqual({ caller: "spiffe://example.org/client2", httpVersion: version });
        expect(getPeerId(after)?.toString()).toBe(SERVER_ID);
        expect(rotating.connections()).toBe(2);
        held.release();
        const old = await inFlight;
        expect(await old.body.json()).toEqual({ caller: CLIENT_ID, httpVersion: version });
        await waitUntil(() => rotating.open().now === 1, "the old connection to close", 2000); // well before the keep-alive timeouts
        // the new connection stays open for later requests
        const later = await undici.request(`${rotating.url}/`, { dispatcher });
        expect(await later.body.json()).toEqual({ caller: "spiffe://example.org/client2", httpVersion: version });
        expect(rotating.connections()).toBe(2);
      } finally {
        held.release();
        await dispatcher.close();
        await rotating.close();
      }
    });
  }

  test("HTTP/2 under churn: 200 requests, 8 at a time, across 10 rotations (each closes the old connections gracefully) all succeed with the SVID of their time", async () => {
    const churnServer = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeOneOf(CLIENT_ID, "spiffe://example.org/client2"), whoAmI(2));
    const source = await clientSource();
    const svids = { [CLIENT_ID]: source.getX509Svid(), "spiffe://example.org/client2": (await svidFor(pki.inter, "spiffe://example.org/client2")).svid };
    const dispatcher = createSpiffeDispatcher({ source, authorizer: authorizeId(SERVER_ID), allowH2: true });
    try {
      let ok = 0;
      for (let round = 0; round < 10; round++) {
        const id = round % 2 === 0 ? CLIENT_ID : "spiffe://example.org/client2";
        source.setX509Svid(svids[id]!);
        // 20 requests per SVID, 8 in flight; the first ones of the round overlap the old connections' close
        let next = 0;
        await Promise.all(Array.from({ length: 8 }, async () => {
          while (next++ < 20) {
            const result = await undici.request(`${churnServer.url}/`, { dispatcher });
            expect(await result.body.json()).toEqual({ caller: id, httpVersion: "2.0" });
            ok++;
          }
        }));
      }
      expect(ok).toBe(200);
      // Each round opened its own connections (undici dials one per request waiting for a
      // connection); those of earlier rounds are closed, those of the last stay for reuse.
      expect(churnServer.connections()).toBeGreaterThanOrEqual(10);
      await waitUntil(() => churnServer.open().now <= 8, "the connections of earlier rounds to close", 2000);
    } finally {
      await dispatcher.close();
      await churnServer.close();
    }
  });

  test("a bundle update closes the idle connections verified with the old bundles; the next request verifies a new one", async () => {
    const source = await clientSource();
    const dispatcher = createSpiffeDispatcher({ source, authorizer: authorizeId(SERVER_ID), keepAliveTimeout: 60_000 });
    const target = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeAny());
    try {
      await (await undici.request(`${target.url}/`, { dispatcher })).body.json();
      expect(target.open().now).toBe(1);
      source.setX509Bundle(pki.otherBundle); // an update of the source's bundles
      await waitUntil(() => target.open().now === 0, "the idle connection to close", 2000); // well before the servers' keep-alive timeouts
      await (await undici.request(`${target.url}/`, { dispatcher })).body.json();
      expect(target.connections()).toBe(2);
    } finally {
      await dispatcher.close();
      await target.close();
    }
  });

  test("close() and destroy() settle with and without a callback, and a closed dispatcher refuses requests", async () => {
    const closing = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
    await (await undici.request(`${server.url}/`, { dispatcher: closing })).body.json();
    await closing.close();
    expect((await undici.request(`${server.url}/`, { dispatcher: closing }).then(() => undefined, (err: unknown) => err)) instanceof Error).toBe(true);
    const withCallback = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
    await new Promise<void>((resolve) => withCallback.close(() => resolve()));
    const destroyed = createSpiffeDispatcher({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
    await destroyed.destroy();
    expect(destroyed.destroyed).toBe(true);
  });

  test("without the undici package: IntegrationError ERR_INTEGRATION_PEER_DEPENDENCY_MISSING, with the loader's error as cause", () => {
    const missing = Object.assign(new Error("Cannot find module 'undici'"), { code: "MODULE_NOT_FOUND" });
    let caught: unknown;
    try {
      loadUndici(() => {
        throw missing;
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IntegrationError);
    expect((caught as IntegrationError).code).toBe("ERR_INTEGRATION_PEER_DEPENDENCY_MISSING");
    expect((caught as IntegrationError).cause).toBe(missing);
    expect(loadUndici().Agent).toBe(undici.Agent); // installed here: the same module as the test's
  });

  test("refuses bad options at creation (ConfigError)", async () => {
    const source = await clientSource();
    const base = { source, authorizer: authorizeId(SERVER_ID) };
    for (const extra of [{ allowH2: "yes" }, { connections: 0 }, { keepAliveTimeout: -1 }, { undici: {} }, { authorizer: undefined }]) {
      expect(() => createSpiffeDispatcher({ ...base, ...extra } as never)).toThrow(ConfigError);
    }
  });
});
