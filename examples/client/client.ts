// The example mTLS client: calls every route of the example server and prints the answers.
// Runs unchanged on Bun, Node.js (22.18+) and Deno (see README.md beside this file).
//
// Environment:
//   SPIFFE_ENDPOINT_SOCKET  Workload API address (unix:///… or tcp://IP:port)
//   SERVER_URL              the server, e.g. https://127.0.0.1:8443 (default)
//   EXPECTED_SERVER_ID      the server's SPIFFE ID; empty = any ID of the client's own trust domain
//   INTERVAL_SECONDS        repeat the calls every N seconds until SIGTERM (e.g. in Kubernetes); default: once
// Exit status: 0 when every call succeeded, 1 otherwise, 2 for bad configuration.
import { authorizeId, authorizeMemberOf, getSpiffeId } from "@spiffe-ts/sdk";
import { createMtlsClient, type MtlsClient, X509Source } from "@spiffe-ts/sdk/node"; // or /bun, /deno: the same API
import { env, exitWith, fail, jsonLogger, onShutdown } from "../shared/config.ts";

const serverUrl = env("SERVER_URL") ?? "https://127.0.0.1:8443";
if (!URL.canParse(serverUrl) || new URL(serverUrl).protocol !== "https:") fail(`SERVER_URL must be an https:// URL, got ${JSON.stringify(serverUrl)}`);
const expected = env("EXPECTED_SERVER_ID");
const interval = Number(env("INTERVAL_SECONDS") ?? 0);
if (!(interval >= 0)) fail(`INTERVAL_SECONDS must be a number of seconds, got ${JSON.stringify(env("INTERVAL_SECONDS"))}`);

let source: X509Source;
let client: MtlsClient;
try {
  const expectOne = expected ? authorizeId(expected) : undefined;
  source = await X509Source.create({ timeoutMs: 60_000, logger: jsonLogger });
  client = createMtlsClient({
    source,
    authorizer: expectOne ?? authorizeMemberOf(source.getX509Svid().id.trustDomain),
    timeoutMs: 10_000,
    logger: jsonLogger,
  });
} catch (err) {
  exitWith(err);
}

const me = source.getX509Svid().id;
console.log(`client ${me} → ${serverUrl}, expecting ${expected ?? `any ID of ${me.trustDomain.idString()}`}`);

/** Calls every route once; true when all answered 2xx. */
async function callAll(): Promise<boolean> {
  const calls: Array<[string, () => Promise<Response>]> = [
    ["GET  /api/hello   ", () => client.get(new URL("/api/hello", serverUrl))],
    ["GET  /api/echo    ", () => client.get(new URL("/api/echo?from=client", serverUrl))],
    ["POST /api/echo    ", () => client.post(new URL("/api/echo", serverUrl), `hello from ${me.path}`, { headers: { "content-type": "text/plain" } })],
    ["GET  /api/identity", () => client.get(new URL("/api/identity", serverUrl))],
  ];
  let ok = true;
  for (const [label, call] of calls) {
    try {
      const response = await call();
      console.log(`${label} → ${response.status} ${await response.text()}  (server ${getSpiffeId(response)})`);
      ok &&= response.ok;
    } catch (err) {
      // e.g. AuthorizationError when the server is not EXPECTED_SERVER_ID, or a refused/closed connection
      const code = (err as { code?: string }).code;
      console.log(`${label} → failed: ${code ? `${code}: ` : ""}${(err as Error).message}`);
      ok = false;
    }
  }
  return ok;
}

if (interval > 0) {
  onShutdown(async () => {
    await client.close();
    await source.close();
  });
  for (;;) {
    await callAll();
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
  }
}
const ok = await callAll();
console.log(ok ? "all calls succeeded" : "some calls failed");
await client.close();
await source.close();
process.exitCode = ok ? 0 : 1;
