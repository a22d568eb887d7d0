// SPIFFE SDK conformance harness, contract v1 (see docs/conformance.md): exposes what the
// SDK does to a black-box conformance suite over the network. A thin shim: every SPIFFE
// decision (endpoint discovery, streams, retries, SVID and bundle choice, certificate and
// token validation) is made by the SDK's public API; wherever a peer is authenticated it
// authorizes any ID. Runs unchanged on Node 24 (`npm run harness:node`), Bun
// (`npm run harness:bun`) and Deno (`npm run harness:deno`).
//
// stdout: SPIFFE_HARNESS_VERSION=1, SPIFFE_X509_PORT=…, SPIFFE_CONTROL_PORT=…, then READY
// once both listeners accept connections and the SDK has its first X.509-SVID. Logs: stderr.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { authorizeAny, JwtSvid, JwtSvidError, SpiffeError, WorkloadApiError } from "@spiffe-ts/sdk";
import { attachSpiffe, connectMtls, createServerTlsOptions, getPeerId, JwtSource, WorkloadApiClient, X509Source } from "@spiffe-ts/sdk/node";

const log = (message: string, fields: Record<string, unknown> = {}): void => console.error(JSON.stringify({ harness: message, ...fields }));
const runtime = (globalThis as { Bun?: unknown }).Bun ? "bun" : (globalThis as { Deno?: unknown }).Deno ? "deno" : "node";

// The SDK discovers the Workload API from SPIFFE_ENDPOINT_SOCKET; the harness never sets it.
const client = new WorkloadApiClient({ logger: { warn: log, error: log } });
let x509: X509Source;
try {
  x509 = await X509Source.create({ client, onError: (err) => log("x509 source", { code: codeOf(err) }) });
} catch (err) {
  log("no X.509-SVID: not ready", { code: codeOf(err), message: (err as Error).message });
  process.exit(1);
}

// X.509 port: presents the current SVID (rotations via attachSpiffe), requires and verifies
// the client's X.509-SVID; 'secureConnection' sees verified sockets only.
const tlsOptions = createServerTlsOptions(x509, authorizeAny());
const x509Server = createTlsServer(tlsOptions, (socket: TLSSocket) => {
  socket.setTimeout(10_000, () => socket.destroy());
  socket.on("error", () => {});
  socket.end(`${getPeerId(socket)}\n`);
});
attachSpiffe(x509Server, { ...tlsOptions, logger: { debug: (m, f) => log(m, f) } });

// JWT bundles are watched from the first validation on (the suite retries for seconds).
let jwtSource: Promise<JwtSource> | undefined;
function jwtBundles(): Promise<JwtSource> {
  jwtSource ??= JwtSource.create({ client, timeoutMs: 5_000 }).catch((err: unknown) => {
    jwtSource = undefined; // try again on the next call
    throw err;
  });
  return jwtSource;
}

type Reply = { status: number; body: Record<string, unknown> };
const ok = (fields: Record<string, unknown>): Reply => ({ status: 200, body: { status: "ok", ...fields } });
const rejected = (err: unknown): Reply => ({ status: 422, body: { status: "rejected", message: messageOf(err) } });
const failed = (err: unknown): Reply => ({ status: 500, body: { status: "error", message: messageOf(err) } });

async function validateJwt(req: { token?: unknown; audience?: unknown }): Promise<Reply> {
  if (typeof req.token !== "string" || typeof req.audience !== "string") return failed("token and audience must be strings");
  let bundles: JwtSource;
  try {
    bundles = await jwtBundles();
  } catch (err) {
    return failed(err);
  }
  try {
    const svid = await JwtSvid.parseAndValidate(req.token, bundles, req.audience);
    return ok({ spiffe_id: svid.id.toString(), claims: svid.claims });
  } catch (err) {
    return err instanceof JwtSvidError ? rejected(err) : failed(err);
  }
}

async function fetchJwt(req: { audience?: unknown; spiffe_id?: unknown }): Promise<Reply> {
  const audience = req.audience;
  if (!Array.isArray(audience) || !audience.every((a) => typeof a === "string")) return failed("audience must be an array of strings");
  const subject = typeof req.spiffe_id === "string" && req.spiffe_id !== "" ? req.spiffe_id : undefined;
  try {
    const svids = await client.fetchJwtSvids({ audience, subject, timeoutMs: 10_000 });
    return ok({ svids: svids.map((s) => ({ spiffe_id: s.id.toString(), token: s.token, hint: s.hint })) });
  } catch (err) {
    return failed(err);
  }
}

async function dial(req: { address?: unknown }): Promise<Reply> {
  const m = typeof req.address === "string" ? /^(.+):(\d+)$/.exec(req.address) : null;
  if (!m) return failed("address must be host:port");
  let socket: TLSSocket;
  try {
    socket = await connectMtls(m[1]!.replace(/^\[|\]$/g, ""), Number(m[2]), { source: x509, authorizer: authorizeAny(), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    // The SDK refused the server's X.509-SVID: rejected. Anything else (refused connection,
    // no SVID, bad input): the harness could not do it.
    return err instanceof SpiffeError && !(err instanceof WorkloadApiError) && err.code !== "ERR_INVALID_ARGUMENT" ? rejected(err) : failed(err);
  }
  const id = getPeerId(socket);
  socket.on("error", () => {});
  socket.end();
  return id ? ok({ spiffe_id: id.toString() }) : failed("connected without a verified peer ID");
}

const routes: Record<string, (body: Record<string, unknown>) => Promise<Reply>> = {
  "/v1/jwt/validate": validateJwt,
  "/v1/jwt/fetch": fetchJwt,
  "/v1/x509/dial": dial,
};

const control = createHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
  let reply: Reply;
  try {
    const path = new URL(req.url ?? "/", "http://control").pathname;
    if (req.method === "GET" && path === "/v1/info") {
      reply = { status: 200, body: { sdk: "@spiffe-ts/sdk", sdk_version: await sdkVersion(), language: "typescript", runtime } };
    } else if (req.method === "POST" && routes[path]) {
      reply = await routes[path](await readJson(req));
    } else {
      reply = path.startsWith("/v1/") ? { status: 501, body: { status: "unsupported" } } : { status: 404, body: { status: "error", message: "not found" } };
    }
  } catch (err) {
    reply = failed(err);
  }
  res.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
});

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += chunk;
  const value: unknown = JSON.parse(text || "{}");
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError("the request body must be a JSON object");
  return value as Record<string, unknown>;
}

async function sdkVersion(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return (JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

function codeOf(err: unknown): string {
  return err instanceof SpiffeError ? err.code : err instanceof Error ? err.name : typeof err;
}

function messageOf(err: unknown): string {
  return err instanceof SpiffeError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

const listen = (server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }): Promise<number> =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
const [x509Port, controlPort] = await Promise.all([listen(x509Server), listen(control)]);
process.stdout.write(`SPIFFE_HARNESS_VERSION=1\nSPIFFE_X509_PORT=${x509Port}\nSPIFFE_CONTROL_PORT=${controlPort}\nREADY\n`);

const stop = (): void => {
  setTimeout(() => process.exit(0), 1_000).unref?.(); // prompt exit even if a close hangs
  x509Server.close();
  control.close();
  void Promise.allSettled([x509.close(), jwtSource?.then((s) => s.close()), client.close()]).then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
