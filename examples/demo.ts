// `npm run demo`: the whole SDK in one minute, no SPIRE needed. A development Workload API
// (one per workload, sharing one test CA) hands out X.509-SVIDs; a server and a client
// talk SPIFFE mutual TLS; an unauthorized workload is refused; the server's SVID rotates
// while it runs. Runs unchanged on Bun (npm run demo), Node 24 and Deno (-A).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorizeId, getSpiffeId } from "@spiffe-ts/sdk";
import { createMtlsClient, getPeerIdentity, serveMtls, X509Source } from "@spiffe-ts/sdk/bun";
import { createTestCa, startWorkloadApiServer } from "@spiffe-ts/sdk/testing";

const SERVER_ID = "spiffe://example.org/server";
const CLIENT_ID = "spiffe://example.org/client";
const INTRUDER_ID = "spiffe://example.org/intruder";

const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const ok = (s: string): string => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const bad = (s: string): string => (process.stdout.isTTY ? `\x1b[31m${s}\x1b[0m` : s);
const step = (n: number, s: string): void => console.log(`\n${n}. ${s}`);
/** Last bytes of a certificate (its signature): enough to tell two certificates apart. */
const certTag = (der: Uint8Array | undefined): string => (der ? `…${Array.from(der.subarray(-6), (b) => b.toString(16).padStart(2, "0")).join("")}` : "?");

const dir = mkdtempSync(join(tmpdir(), "spiffe-ts-demo-"));
const cleanup: Array<() => Promise<unknown> | unknown> = [() => rmSync(dir, { recursive: true, force: true })];

try {
  console.log("spiffe-ts demo: SPIFFE mTLS without SPIRE (development Workload API, test CA)");

  step(1, "Start a development Workload API per workload (trust domain example.org)");
  const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
  const agents = new Map<string, Awaited<ReturnType<typeof startWorkloadApiServer>>>();
  for (const [name, id] of [["server", SERVER_ID], ["client", CLIENT_ID], ["intruder", INTRUDER_ID]] as const) {
    const agent = await startWorkloadApiServer({ socketPath: join(dir, `${name}.sock`), ca, workloads: [{ id }] });
    cleanup.unshift(() => agent.stop());
    agents.set(name, agent);
    console.log(`   ${name.padEnd(8)} ${dim(agent.address)} → ${id}`);
  }
  const source = async (name: string): Promise<X509Source> => {
    const s = await X509Source.create({ address: agents.get(name)!.address, timeoutMs: 10_000 });
    cleanup.unshift(() => s.close());
    return s;
  };

  step(2, `Serve HTTPS with SPIFFE mTLS, allowing only ${CLIENT_ID}`);
  const serverSource = await source("server");
  const server = await serveMtls({
    source: serverSource,
    authorizer: authorizeId(CLIENT_ID),
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request, { peer }) => {
      const url = new URL(request.url);
      if (url.pathname === "/api/hello") return new Response(`Hello, ${peer.id}!`);
      if (url.pathname === "/api/echo") return Response.json({ echo: await request.text(), caller: peer.id.toString() });
      if (url.pathname === "/api/identity") {
        const id = getSpiffeId(request)!;
        return Response.json({ spiffeId: id.toString(), trustDomain: id.trustDomain.name, path: id.path });
      }
      return new Response("not found", { status: 404 });
    },
  });
  cleanup.unshift(() => server.close());
  console.log(`   listening on ${server.url} as ${serverSource.getX509Svid().id} (cert ${certTag(serverSource.getX509Svid().certificates[0])})`);

  step(3, `The client (${CLIENT_ID}) calls it, expecting the server to be ${SERVER_ID}`);
  const clientSource = await source("client");
  const client = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
  cleanup.unshift(() => client.close());
  for (const [label, call] of [
    ["GET  /api/hello   ", () => client.get(new URL("/api/hello", server.url))],
    ["POST /api/echo    ", () => client.post(new URL("/api/echo", server.url), "ping")],
    ["GET  /api/identity", () => client.get(new URL("/api/identity", server.url))],
  ] as const) {
    const response = await call();
    console.log(`   ${label} → ${ok(String(response.status))} ${await response.text()}  ${dim(`(server verified as ${getSpiffeId(response)})`)}`);
  }

  step(4, `A workload with a valid SVID but not allowed (${INTRUDER_ID}) tries the same`);
  const intruder = createMtlsClient({ source: await source("intruder"), authorizer: authorizeId(SERVER_ID) });
  cleanup.unshift(() => intruder.close());
  try {
    const response = await intruder.get(new URL("/api/hello", server.url));
    console.log(bad(`   unexpected: the server answered ${response.status}`));
    process.exitCode = 1;
  } catch (err) {
    console.log(`   ${ok("refused")}: the server closed the connection after the handshake, before any HTTP ${dim(`(${(err as Error).message})`)}`);
  }

  step(5, "The Workload API rotates the server's SVID while everything keeps running");
  const before = getPeerIdentity(await client.get(new URL("/api/hello", server.url)))?.certificates[0];
  const rotated = new Promise<void>((resolve) => {
    const off = serverSource.onUpdate(() => {
      off();
      resolve();
    });
  });
  await agents.get("server")!.rotate();
  await rotated;
  const fresh = createMtlsClient({ source: clientSource, authorizer: authorizeId(SERVER_ID) });
  cleanup.unshift(() => fresh.close());
  const after = getPeerIdentity(await fresh.get(new URL("/api/hello", server.url)))?.certificates[0];
  const changed = certTag(before) !== certTag(after);
  console.log(`   server certificate ${certTag(before)} → ${certTag(after)} on the next connection: ${changed ? ok("rotated, no restart") : bad("not rotated")}`);
  if (!changed) process.exitCode = 1;

  console.log(`\n${process.exitCode ? bad("Demo failed.") : ok("Done.")} Next: README.md (npm test runs the suite on Bun, Node and Deno).`);
} finally {
  for (const fn of cleanup) await fn();
}
