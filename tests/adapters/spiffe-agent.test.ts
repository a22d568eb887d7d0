// createSpiffeAgent with the clients that take an https.Agent: https.request, axios, got and
// node-fetch, on the runtime running the test: accepted and refused servers, a refused client,
// the server's ID readable from the response, rotation, and the per-origin socket limit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ClientRequest, IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import axios from "axios";
import got from "got";
import nodeFetch from "node-fetch";
import { authorizeAny, authorizeId, authorizeOneOf, ConfigError } from "../../mod.ts";
import { createSpiffeAgent, getPeerId, type SpiffeAgent } from "../../src/adapters/node/mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtime } from "../support/runtime-entry.ts";
import { createPki, type Pki, sourceFor, svidFor } from "./mtls-fixtures.ts";
import { waitUntil } from "../support/wait-until.ts";
import { CLIENT_ID, holdingHandler, type IntegrationServer, type IntegrationServers, sdkErrorIn, SERVER_ID, startIntegrationServer, startIntegrationServers, whoAmI } from "./integration-server.ts";


interface Answer {
  status: number;
  body: { caller: string | null; httpVersion: string };
  peer: string | undefined;
}

/** Each client: one GET through `agent`, the body as JSON and the server's ID as the client's user reads it. */
const clients: Record<string, (url: string, agent: SpiffeAgent) => Promise<Answer>> = {
  "https.request": (url, agent) =>
    new Promise((resolve, reject) => {
      httpsRequest(url, { agent }, (res: IncomingMessage) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), peer: getPeerId(res)?.toString() }));
      })
        .on("error", reject)
        .end();
    }),
  axios: async (url, agent) => {
    const res = await axios.get(url, { httpsAgent: agent, proxy: false });
    return { status: res.status, body: res.data, peer: getPeerId(res.request as ClientRequest)?.toString() };
  },
  got: async (url, agent) => {
    const res = await got(url, { agent: { https: agent }, retry: { limit: 0 } });
    return { status: res.statusCode, body: JSON.parse(res.body), peer: getPeerId(res)?.toString() };
  },
  "node-fetch": async (url, agent) => {
    const res = await nodeFetch(url, { agent });
    // node-fetch's Response has no link to the connection: the authorizer vouches for the server.
    return { status: res.status, body: (await res.json()) as Answer["body"], peer: undefined };
  },
};

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

describe("createSpiffeAgent with node-fetch on Bun", () => {
  if (runtime !== "bun") return;
  test("is refused: Bun's built-in node-fetch opens its own connection from the agent's options, which never pass", async () => {
    const agent = createSpiffeAgent({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
    try {
      const caught = await clients["node-fetch"]!(`${server.url}/`, agent).then(() => undefined, (err: unknown) => err);
      expect(caught).toBeInstanceOf(Error);
      // the public roots do not know the SPIFFE CA; with a publicly trusted server the agent's checkServerIdentity refuses
      expect(String((caught as Error).message)).toMatch(/issuer|SpiffeAgent/);
    } finally {
      agent.destroy();
    }
  });
});

for (const [name, send] of Object.entries(clients)) {
  if (runtime === "bun" && name === "node-fetch") continue; // see above
  describe(`createSpiffeAgent with ${name}`, () => {
    test("reaches an authorized server over mTLS; the server sees the client's ID" + (name === "node-fetch" ? "" : ", the client the server's"), async () => {
      const agent = createSpiffeAgent({ source: await clientSource(), authorizer: authorizeId(SERVER_ID) });
      try {
        const answer = await send(`${server.url}/`, agent);
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ caller: CLIENT_ID, httpVersion: "1.1" });
        if (name !== "node-fetch") expect(answer.peer).toBe(SERVER_ID);
      } finally {
        agent.destroy();
      }
    });

    test("refuses a server with another ID (AuthorizationError) before sending the request", async () => {
      const agent = createSpiffeAgent({ source: await clientSource(), authorizer: authorizeId("spiffe://example.org/other") });
      try {
        const before = server.connections();
        const caught = await send(`${server.url}/`, agent).then(() => undefined, (err: unknown) => err);
        expect(sdkErrorIn(caught)).toEqual({ name: name === "node-fetch" ? "(code only)" : "AuthorizationError", code: "ERR_AUTHZ_UNEXPECTED_ID" });
        expect(server.connections()).toBe(before + 1); // one connection, closed after the handshake
      } finally {
        agent.destroy();
      }
    });

    test("refuses a server whose SVID does not chain to a trusted bundle (X509SvidError)", async () => {
      const agent = createSpiffeAgent({ source: await clientSource(), authorizer: authorizeAny() });
      try {
        const caught = await send(`${strangerServer.url}/`, agent).then(() => undefined, (err: unknown) => err);
        expect(sdkErrorIn(caught)?.name).toBe(name === "node-fetch" ? "(code only)" : "X509SvidError");
        expect(sdkErrorIn(caught)?.code).toMatch(/^ERR_X509_SVID_/);
      } finally {
        agent.destroy();
      }
    });

    test("a client the server does not authorize gets no answer", async () => {
      const agent = createSpiffeAgent({ source: await clientSource("spiffe://example.org/intruder"), authorizer: authorizeId(SERVER_ID) });
      try {
        const caught = await send(`${server.url}/`, agent).then(() => undefined, (err: unknown) => err);
        expect(caught).toBeInstanceOf(Error);
      } finally {
        agent.destroy();
      }
    });
  });
}

describe("createSpiffeAgent", () => {
  test("a rotated SVID is presented by the next connection; idle ones are closed", async () => {
    const source = await clientSource();
    const agent = createSpiffeAgent({ source, authorizer: authorizeId(SERVER_ID) });
    try {
      expect((await clients["https.request"]!(`${server.url}/`, agent)).body.caller).toBe(CLIENT_ID);
      source.setX509Svid((await svidFor(pki.inter, "spiffe://example.org/client2")).svid);
      const answer = await clients["https.request"]!(`${server.url}/`, agent);
      expect(answer.body.caller).toBe("spiffe://example.org/client2");
      expect(answer.peer).toBe(SERVER_ID);
    } finally {
      agent.destroy();
    }
  });

  test("after a rotation, a connection in use finishes its request and then closes; new requests connect with the new SVID", async () => {
    const held = holdingHandler();
    const rotating = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeOneOf(CLIENT_ID, "spiffe://example.org/client2"), held.handler);
    const source = await clientSource();
    const agent = createSpiffeAgent({ source, authorizer: authorizeId(SERVER_ID) });
    const send = clients["https.request"]!;
    try {
      await send(`${rotating.url}/`, agent); // an idle connection
      const inFlight = send(`${rotating.url}/held`, agent); // takes it
      await held.arrived();
      await send(`${rotating.url}/`, agent); // a second connection, idle after this
      expect(rotating.open().now).toBe(2);
      source.setX509Svid((await svidFor(pki.inter, "spiffe://example.org/client2")).svid);
      await waitUntil(() => rotating.open().now === 1, "the idle connection to close", 2000); // well before the keep-alive timeouts
      const after = await send(`${rotating.url}/`, agent);
      expect(after.body.caller).toBe("spiffe://example.org/client2");
      expect(after.peer).toBe(SERVER_ID);
      expect(rotating.connections()).toBe(3);
      held.release();
      expect((await inFlight).body.caller).toBe(CLIENT_ID); // finished on its connection, with the old SVID
      await waitUntil(() => rotating.open().now === 1, "the old connection in use to close after its request", 2000);
      expect((await send(`${rotating.url}/`, agent)).body.caller).toBe("spiffe://example.org/client2");
      expect(rotating.connections()).toBe(3); // the new connection is kept and reused
    } finally {
      held.release();
      agent.destroy();
      await rotating.close();
    }
  });

  test("a bundle update closes the idle connections verified with the old bundles", async () => {
    const source = await clientSource();
    const agent = createSpiffeAgent({ source, authorizer: authorizeId(SERVER_ID) });
    const target = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeAny());
    try {
      await clients["https.request"]!(`${target.url}/`, agent);
      expect(target.open().now).toBe(1);
      source.setX509Bundle(pki.otherBundle); // an update of the source's bundles
      await waitUntil(() => target.open().now === 0, "the idle connection to close", 2000);
      await clients["https.request"]!(`${target.url}/`, agent);
      expect(target.connections()).toBe(2);
    } finally {
      agent.destroy();
      await target.close();
    }
  });

  test("a rotated bundle verifies the next connection: a server of a CA that left the bundle is refused", async () => {
    const source = await clientSource();
    const agent = createSpiffeAgent({ source, authorizer: authorizeId(SERVER_ID), keepAlive: false });
    try {
      expect((await clients["https.request"]!(`${server.url}/`, agent)).status).toBe(200);
      source.setX509Bundle(pki.otherBundle.trustDomain.name === "example.org" ? pki.otherBundle : (await createPki()).bundle);
      const caught = await clients["https.request"]!(`${server.url}/`, agent).then(() => undefined, (err: unknown) => err);
      expect(sdkErrorIn(caught)?.name).toBe("X509SvidError");
    } finally {
      agent.destroy();
    }
  });

  test("50 concurrent requests with maxSockets 4: never more than 4 connections, all kept alive and reused", async () => {
    const burstServer = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeAny(), whoAmI(5));
    const agent = createSpiffeAgent({ source: await clientSource(), authorizer: authorizeId(SERVER_ID), maxSockets: 4 });
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => clients["https.request"]!(`${burstServer.url}/`, agent)));
      expect(answers.every((a) => a.status === 200 && a.peer === SERVER_ID)).toBe(true);
      expect(burstServer.open().max).toBe(4);
      expect(burstServer.connections()).toBe(4);
      // a second burst reuses the kept-alive connections
      await Promise.all(Array.from({ length: 20 }, () => clients["https.request"]!(`${burstServer.url}/`, agent)));
      expect(burstServer.connections()).toBe(4);
    } finally {
      agent.destroy();
      await burstServer.close();
    }
  });

  test("refuses TLS options that the source and mode decide, and bad pool options (ConfigError)", async () => {
    const source = await clientSource();
    const base = { source, authorizer: authorizeId(SERVER_ID) };
    for (const extra of [{ rejectUnauthorized: false }, { cert: "x" }, { checkServerIdentity: () => undefined }, { maxTotalSockets: 4 }, { maxSockets: 0 }, { keepAlive: "yes" }]) {
      expect(() => createSpiffeAgent({ ...base, ...extra } as never)).toThrow(ConfigError);
    }
    expect(() => createSpiffeAgent({ source, authorizer: undefined } as never)).toThrow(ConfigError);
  });
});
