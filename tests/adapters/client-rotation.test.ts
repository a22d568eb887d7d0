// createMtlsClient retires its kept-alive connections (HTTP/1.1 pool and HTTP/2 sessions) when
// its source announces an update, as createSpiffeAgent and createSpiffeDispatcher do: a
// connection verified with bundles the source no longer holds is not used for another request.
// Idle connections close at once; a request in flight finishes on its connection first.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { authorizeAny, authorizeId, X509Bundle, X509SvidError } from "../../mod.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { waitUntil } from "../support/wait-until.ts";
import { CLIENT_ID, holdingHandler, type IntegrationServer, SERVER_ID, startIntegrationServer } from "./integration-server.ts";
import { createPki, type Pki, sourceFor } from "./mtls-fixtures.ts";
import { createCa } from "../support/test-pki.ts";
const { createMtlsClient } = runtimeEntry;

let pki: Pki;
let server: IntegrationServer;
beforeAll(async () => {
  pki = await createPki();
  server = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeAny());
});
afterAll(async () => {
  await server?.close();
});

for (const http2 of [true, false]) {
  describe(`createMtlsClient over ${http2 ? "HTTP/2" : "HTTP/1.1"}: an update of the source`, () => {
    const newClient = async () => {
      const source = await sourceFor(pki.inter, CLIENT_ID, [pki.bundle]);
      return { source, client: createMtlsClient({ source, authorizer: authorizeId(SERVER_ID), http2 }) };
    };
    const version = async (response: Response): Promise<string> => ((await response.json()) as { httpVersion: string }).httpVersion;

    test("closes the idle connections; the next request connects again", async () => {
      const { source, client } = await newClient();
      try {
        const before = server.connections();
        expect(await version(await client.get(`${server.url}/`))).toBe(http2 ? "2.0" : "1.1");
        await client.get(`${server.url}/`);
        expect(server.connections() - before).toBe(1); // kept alive
        source.setX509Bundle(pki.otherBundle); // a new bundle (another trust domain's)
        await waitUntil(() => server.open().now === 0, "the idle connection to close", 3000);
        expect((await client.get(`${server.url}/`)).status).toBe(200);
        expect(server.connections() - before).toBe(2);
      } finally {
        await client.close();
      }
    });

    test("a server whose CA left the bundle is refused on the next request, not served over the kept-alive connection", async () => {
      const { source, client } = await newClient();
      try {
        expect((await client.get(`${server.url}/`)).status).toBe(200);
        const replacement = await createCa({ trustDomain: "example.org" });
        source.setX509Bundle(X509Bundle.fromCertificates("example.org", [replacement.der]));
        await expect(client.get(`${server.url}/`)).rejects.toBeInstanceOf(X509SvidError);
      } finally {
        await client.close();
      }
    });

    test("a request in flight finishes on its connection, which closes after it", async () => {
      const holding = holdingHandler();
      const slow = await startIntegrationServer(await sourceFor(pki.inter, SERVER_ID, [pki.bundle]), authorizeAny(), holding.handler);
      const { source, client } = await newClient();
      try {
        const held = client.get(`${slow.url}/held`);
        await holding.arrived();
        source.setX509Bundle(pki.otherBundle);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(slow.open().now).toBe(1); // still busy: not cut
        holding.release();
        expect((await held).status).toBe(200);
        await waitUntil(() => slow.open().now === 0, "the retired connection to close after its request", 3000);
        expect((await client.get(`${slow.url}/`)).status).toBe(200);
        expect(slow.connections()).toBe(2);
      } finally {
        await client.close();
        await slow.close();
      }
    });
  });
}
