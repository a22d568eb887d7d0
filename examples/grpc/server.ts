// The Connect (gRPC) example server: GreeterService over SPIFFE mTLS on `node:http2`.
// Runs unchanged on Bun, Node.js (22.18+) and Deno (see README.md beside this file).
//
// Environment:
//   SPIFFE_ENDPOINT_SOCKET  Workload API address (unix:///… or tcp://IP:port)
//   SERVER_ADDRESS          listen address, host:port (default 0.0.0.0:8443; port 0 = any free port)
//   ALLOWED_CLIENT_ID       the one client SPIFFE ID allowed; empty = any ID of the server's own trust domain
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createSecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { type Authorizer, authorizeId, authorizeMemberOf } from "@spiffe-ts/sdk";
import { attachSpiffe, createServerTlsOptions, getPeerId, spiffeContextValues, X509Source } from "@spiffe-ts/sdk/node"; // or /bun, /deno
import { env, exitWith, jsonLogger, listenAddress, onShutdown } from "../shared/config.ts";
import { GreeterService } from "./gen/greeter_pb.ts";

const routes = (router: ConnectRouter): void => {
  router.service(GreeterService, {
    greet(request, context) {
      const caller = getPeerId(context); // put into the context by spiffeContextValues, from the verified connection
      // attachSpiffe lets no unverified connection through; this guards against a server set up without it
      if (!caller) throw new ConnectError("no verified caller", Code.Unauthenticated);
      jsonLogger.info?.("greet", { caller: caller.toString() });
      return { greeting: `Hello, ${request.name || caller.path}!`, callerSpiffeId: caller.toString() };
    },
  });
};

const address = listenAddress("SERVER_ADDRESS", "0.0.0.0:8443");
const allowed = env("ALLOWED_CLIENT_ID");

let source: X509Source;
let server: ReturnType<typeof createSecureServer>;
try {
  const allowOne = allowed ? authorizeId(allowed) : undefined; // an invalid ID fails here, before connecting
  source = await X509Source.create({ timeoutMs: 60_000, logger: jsonLogger });
  const own = source.getX509Svid().id;
  const authorizer: Authorizer = allowOne ?? authorizeMemberOf(own.trustDomain);
  const tls = createServerTlsOptions(source, authorizer, { ALPNProtocols: ["h2"] });
  const handler = connectNodeAdapter({ routes, contextValues: spiffeContextValues });
  server = createSecureServer({ ...tls, allowHTTP1: false }, handler); // gRPC is HTTP/2 only
  attachSpiffe(server, { ...tls, logger: jsonLogger }); // verifies every client before HTTP/2 starts
  onShutdown(async () => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000); // in-flight calls get 10 s
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await source.close();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.hostname, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  console.log(`listening on https://${host}:${port} as ${own}, allowing ${allowed ?? `any ID of ${own.trustDomain.idString()}`}`);
} catch (err) {
  exitWith(err);
}
