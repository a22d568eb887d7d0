// Calls the jwt-over-tls server over SPIFFE TLS (mode "tls", go-spiffe's TLSClientConfig):
// it verifies the server's X.509-SVID and presents no certificate of its own; its identity
// travels as a JWT-SVID bearer token, sent only once the server is verified.
// Runs on Bun, Node.js (22.18+) and Deno (see README.md).
//
// Environment:
//   SPIFFE_ENDPOINT_SOCKET  Workload API address (unix:///… or tcp://IP:port)
//   SERVER_URL              the server, e.g. https://127.0.0.1:8443 (default)
//   EXPECTED_SERVER_ID      the server's SPIFFE ID (required): the only server accepted
//   AUDIENCE                the audience of the JWT-SVID; default: EXPECTED_SERVER_ID
// Exit status: 0 when the call succeeded, 1 otherwise, 2 for bad configuration.
import { authorizeId, getSpiffeId } from "@spiffe-ts/sdk";
import { BundleSource, createMtlsClient, JwtSource, type MtlsClient } from "@spiffe-ts/sdk/node"; // or /bun, /deno: the same API
import { env, exitWith, fail } from "../shared/config.ts";

const serverUrl = env("SERVER_URL") ?? "https://127.0.0.1:8443";
if (!URL.canParse(serverUrl) || new URL(serverUrl).protocol !== "https:") fail(`SERVER_URL must be an https:// URL, got ${JSON.stringify(serverUrl)}`);
const expected = env("EXPECTED_SERVER_ID") ?? fail("EXPECTED_SERVER_ID must name the server's SPIFFE ID (it is also the token's audience)");
const audience = env("AUDIENCE") ?? expected;

let bundles: BundleSource;
let jwt: JwtSource;
let client: MtlsClient;
let me: string;
try {
  const authorizer = authorizeId(expected); // an invalid ID fails here, before connecting
  bundles = await BundleSource.create({ timeoutMs: 60_000 }); // to verify the server: no X.509-SVID needed
  jwt = await JwtSource.create({ timeoutMs: 60_000, cacheJwtSvids: true }); // the tokens we present
  me = (await jwt.fetchJwtSvid({ audience })).id.toString();
  client = createMtlsClient({ mode: "tls", source: bundles, authorizer, jwtSvid: { source: jwt, audience }, timeoutMs: 10_000 });
} catch (err) {
  exitWith(err);
}
console.log(`client ${me} (JWT-SVID for ${audience}, no client certificate) → ${serverUrl}, expecting ${expected}`);

let ok = false;
try {
  const response = await client.get(new URL("/api/hello", serverUrl));
  console.log(`GET /api/hello → ${response.status} ${await response.text()}  (server ${getSpiffeId(response)})`);
  ok = response.ok;
} catch (err) {
  // e.g. AuthorizationError when the server is not EXPECTED_SERVER_ID: the token was not sent
  const code = (err as { code?: string }).code;
  console.log(`GET /api/hello → failed: ${code ? `${code}: ` : ""}${(err as Error).message}`);
}
await client.close();
await jwt.close();
await bundles.close();
process.exitCode = ok ? 0 : 1;
