// The Connect (gRPC) example client: calls GreeterService.Greet over SPIFFE mTLS and
// prints the reply. Runs unchanged on Bun, Node.js (22.18+) and Deno (see README.md).
//
// Environment:
//   SPIFFE_ENDPOINT_SOCKET  Workload API address (unix:///… or tcp://IP:port)
//   SERVER_URL              the server, e.g. https://127.0.0.1:8443 (default)
//   EXPECTED_SERVER_ID      the server's SPIFFE ID; empty = any ID of the client's own trust domain
// Exit status: 0 when the call succeeded, 1 otherwise, 2 for bad configuration.
import { ConnectError, createClient } from "@connectrpc/connect";
import { type Authorizer, authorizeId, authorizeMemberOf, type SpiffeId, SpiffeError } from "@spiffe-ts/sdk";
import { createSpiffeGrpcTransport, X509Source } from "@spiffe-ts/sdk/node"; // or /bun, /deno
import { env, exitWith, fail, jsonLogger } from "../shared/config.ts";
import { GreeterService } from "./gen/greeter_pb.ts";

const serverUrl = env("SERVER_URL") ?? "https://127.0.0.1:8443";
if (!URL.canParse(serverUrl) || new URL(serverUrl).protocol !== "https:") fail(`SERVER_URL must be an https:// URL, got ${JSON.stringify(serverUrl)}`);
const expected = env("EXPECTED_SERVER_ID");

let source: X509Source;
let authorizer: Authorizer;
try {
  const expectOne = expected ? authorizeId(expected) : undefined; // an invalid ID fails here, before connecting
  source = await X509Source.create({ timeoutMs: 60_000, logger: jsonLogger });
  authorizer = expectOne ?? authorizeMemberOf(source.getX509Svid().id.trustDomain);
} catch (err) {
  exitWith(err);
}
const me = source.getX509Svid().id;
console.log(`client ${me} → ${serverUrl}, expecting ${expected ?? `any ID of ${me.trustDomain.idString()}`}`);

// Every HTTP/2 connection of the transport is a verified SPIFFE mTLS connection; the
// authorizer also notes the server's ID once it accepted it, to print it below.
let serverId: SpiffeId | undefined;
const transport = createSpiffeGrpcTransport({
  baseUrl: serverUrl,
  source,
  authorizer: async (id, chain) => {
    await authorizer(id, chain);
    serverId = id;
  },
  connectTimeoutMs: 10_000,
});
const client = createClient(GreeterService, transport);

let ok = false;
try {
  const reply = await client.greet({ name: me.path }, { timeoutMs: 10_000 });
  console.log(`Greet → ${reply.greeting} (caller ${reply.callerSpiffeId}, server ${serverId})`);
  ok = true;
} catch (err) {
  // the SDK's error (e.g. AuthorizationError when the server is not EXPECTED_SERVER_ID) is the cause
  const cause = err instanceof ConnectError ? err.cause : err;
  const detail = cause instanceof SpiffeError ? `${cause.code}: ${cause.message}` : ConnectError.from(err).message;
  console.log(`Greet → failed: ${detail}`);
}
transport.close();
await source.close();
process.exitCode = ok ? 0 : 1;
