import type { ClientRequest } from "node:http";
import type { Duplex } from "node:stream";
import { Agent as HttpsAgent, type AgentOptions, type RequestOptions } from "node:https";
import { ConfigError } from "../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../core/lib/describe-type.ts";
import { IntegrationError } from "../../core/errors/integration-error.ts";
import type { Logger } from "../../core/logger.ts";
import type { ClientModeOptions } from "../../http/mtls-client-types.ts";
import { type ClientTlsConfig, createClientTlsConfig } from "../../tls/client-tls.ts";
import { VerifyingAgent } from "./client/verifying-agent.ts";
import { int } from "./options.ts";
import { onRotation, type RotatingSource } from "./client/on-rotation.ts";

/** The method `node:http`'s `ClientRequest` hands each request to its agent with (Node, Bun and Deno; not in @types/node). */
type AddRequest = (this: HttpsAgent, req: ClientRequest, options: RequestOptions) => void;

function baseAddRequest(): AddRequest {
  const add = (HttpsAgent.prototype as { addRequest?: unknown }).addRequest;
  if (typeof add !== "function") {
    throw new IntegrationError("ERR_INTEGRATION_UNSUPPORTED_RUNTIME", "https.Agent", "this runtime's https.Agent has no addRequest(): createSpiffeAgent cannot limit its connections");
  }
  return add as AddRequest;
}

/**
 * The `https.Agent` side of {@link SpiffeAgentOptions}: the usual pool options. TLS options
 * (`ca`, `cert`, `key`, `rejectUnauthorized`, `checkServerIdentity`, …) are not accepted:
 * the source and the mode decide them.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeAgentPoolOptions extends Pick<AgentOptions, "keepAliveMsecs" | "maxFreeSockets" | "scheduling" | "timeout"> {
  /** Keep connections open for later requests. Default `true` (unlike `https.Agent`). */
  readonly keepAlive?: boolean;
  /**
   * Most connections per origin (host, port and request options, as `https.Agent` groups
   * them). Unlike a plain agent's `maxSockets`, never exceeded, also under bursts: requests
   * beyond it wait in order for a connection. Default: no limit.
   */
  readonly maxSockets?: number;
  /** Rotations and loss of the client's own SVID. Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
}

/**
 * Options of {@link createSpiffeAgent}: who the agent is and whom it accepts, by mode
 * (`{ source, authorizer }` in mode `"mtls"`, the default; see {@link ClientModeOptions}),
 * plus the pool options of {@link SpiffeAgentPoolOptions}.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type SpiffeAgentOptions = ClientModeOptions & SpiffeAgentPoolOptions;

/**
 * The `https.Agent` of {@link createSpiffeAgent}. Its TLS connections are SPIFFE
 * connections: each presents the source's current X.509-SVID (mode `"mtls"`), and is handed
 * to the request only after the server's X.509-SVID was verified against the bundle of its
 * trust domain and its ID authorized. `destroy()` also stops following the source.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeAgent extends HttpsAgent {}

/** Requests of one origin: how many hold a connection slot, and those waiting for one, in order. */
interface OriginSlots {
  active: number;
  readonly waiting: (() => void)[];
}

/**
 * The agent behind {@link SpiffeAgent}: a limit per origin in front of the verifying agent,
 * and connections that live only as long as the identity and trust they were made with.
 */
class SpiffeHttpsAgent extends VerifyingAgent implements SpiffeAgent {
  readonly #tls: ClientTlsConfig;
  readonly #maxSockets: number;
  readonly #origins = new Map<string, OriginSlots>();
  /** Requests waiting for a slot, all origins together. */
  #waiting = 0;
  readonly #unwatch: () => void;
  readonly #add: AddRequest = baseAddRequest();
  /** Bumped by every rotation; each connection remembers the one it was opened in. */
  #generation = 0;
  readonly #openedIn = new WeakMap<object, number>();

  constructor(tls: ClientTlsConfig, source: RotatingSource | object, options: Omit<AgentOptions, "maxSockets" | "maxTotalSockets">, maxSockets: number) {
    super(tls, options);
    // A client that makes its own TLS connections from the agent's options, instead of asking
    // the agent for one (Bun's built-in node-fetch does, with the runtime's public roots),
    // is refused: its connections are not SPIFFE-verified.
    (this.options as { checkServerIdentity?: () => Error }).checkServerIdentity = () =>
      new IntegrationError(
        "ERR_INTEGRATION_UNSUPPORTED_RUNTIME",
        "https.Agent",
        "this client ignored the SpiffeAgent's connections and opened its own (Bun's node-fetch does): it cannot verify a SPIFFE server; use node:https, axios, got or createMtlsClient",
      );
    this.#tls = tls;
    this.#maxSockets = maxSockets;
    // A rotated (or lost) SVID, or a bundle update: idle connections are closed now, and
    // connections in use when their request ends (keepSocketAlive), so that later requests
    // connect anew, presenting the current SVID and verified with the current bundles.
    this.#unwatch = onRotation(tls, source, () => {
      this.#generation++;
      for (const list of Object.values(this.freeSockets)) for (const socket of list ?? []) socket.destroy();
    });
    // A connection back in the pool goes straight to the next waiting request of its origin
    // (this listener runs after the base agent's, which pooled it), as a plain agent hands a
    // freed socket to its queue. The request that freed it gave its slot back just before
    // ('close'), so every origin with a free slot and a waiting request is started here.
    if (Number.isFinite(maxSockets)) {
      this.on("free", () => {
        if (!this.#waiting) return;
        for (const name of this.#origins.keys()) this.#drain(name); // (#drain may delete the entry it visits: allowed)
      });
    }
  }

  override createConnection(options: Pick<RequestOptions, "host" | "port">, callback: (err: Error | null, socket?: Duplex) => void): undefined {
    const generation = this.#generation; // the SVID and bundles this connection is made with
    return super.createConnection(options, (err, socket) => {
      if (socket) this.#openedIn.set(socket, generation);
      callback(err, socket);
    });
  }

  /** A connection opened before the last rotation is closed when its request ends, not pooled. */
  override keepSocketAlive(socket: Duplex): boolean {
    return this.#openedIn.get(socket) === this.#generation && super.keepSocketAlive(socket);
  }

  /**
   * Called by `node:http`'s `ClientRequest` (not by applications). Hands the request to the
   * pool once its origin has a free connection slot. (The server's verified identity needs
   * no binding here: it is the request's socket's, which `getPeerId` reads from the request,
   * and from a response through its request.)
   */
  addRequest(req: ClientRequest, options: RequestOptions): void {
    if (this.#maxSockets === Number.POSITIVE_INFINITY) return this.#add.call(this, req, options);
    const name = this.getName(options);
    let slots = this.#origins.get(name);
    if (!slots) this.#origins.set(name, (slots = { active: 0, waiting: [] }));
    const origin = slots;
    let state: "waiting" | "active" | "done" = "waiting";
    const start = (): void => {
      state = "active";
      this.#add.call(this, req, options);
    };
    // 'close' follows the response's end (or the request's failure). The connection comes
    // back to the pool ('free') right after it, in the same turn: the next request gets it
    // there; when none comes back (an error, no keep-alive), a microtask later.
    req.once("close", () => {
      if (state === "active") {
        origin.active--;
        if (origin.waiting.length) queueMicrotask(() => this.#drain(name));
        else if (origin.active === 0) this.#origins.delete(name);
      } else if (state === "waiting") {
        const i = origin.waiting.indexOf(start); // closed before it got a slot
        if (i !== -1) {
          origin.waiting.splice(i, 1);
          this.#waiting--;
        }
      }
      state = "done";
    });
    if (origin.active < this.#maxSockets) {
      origin.active++;
      start();
    } else {
      origin.waiting.push(start);
      this.#waiting++;
    }
  }

  /** Starts the waiting requests of `name` that fit within the limit. */
  #drain(name: string): void {
    const origin = this.#origins.get(name);
    if (!origin) return;
    while (origin.active < this.#maxSockets && origin.waiting.length) {
      origin.active++;
      this.#waiting--;
      origin.waiting.shift()!();
    }
    if (origin.active === 0 && !origin.waiting.length) this.#origins.delete(name);
  }

  /** Closes every connection and stops following the source. */
  override destroy(): void {
    this.#unwatch();
    this.#tls.close();
    super.destroy();
  }
}

/**
 * Creates an `https.Agent` for SPIFFE TLS that any client built on `node:https` accepts:
 * `https.request`, axios (`httpsAgent`), got (`agent: { https }`), node-fetch (`agent`),
 * and SDKs that take an agent. By default mutual TLS (mode `"mtls"`): every new connection
 * presents the source's current X.509-SVID, verifies the server's X.509-SVID against the
 * source's bundle for the server's trust domain (never its host name, never system roots)
 * and authorizes its SPIFFE ID, before a byte of the request is written. A rotation (of the
 * client's SVID, or a source update, which may change bundles) closes the idle connections at
 * once and the busy ones when their request ends: later requests connect anew, presenting the
 * current SVID, verified with the current bundles.
 *
 * Keep-alive is on by default; `maxSockets` is a hard per-origin limit (a plain agent whose
 * connections take an asynchronous handshake to open overshoots its `maxSockets` under
 * bursts, this one does not). The server's verified ID is read with `getPeerId(res)` from
 * the `IncomingMessage`, or from the `ClientRequest` (axios: `response.request`).
 * `destroy()` closes every connection and stops following the source. HTTP/1.1 only
 * (for HTTP/2 use `createSpiffeDispatcher` with `allowH2`, or `createMtlsClient`).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example https.request
 * ```ts
 * import { request } from "node:https";
 * import { authorizeId } from "@spiffe-ts/sdk";
 * import { createSpiffeAgent, getPeerId, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const agent = createSpiffeAgent({ source, authorizer: authorizeId("spiffe://example.org/server"), maxSockets: 4 });
 * request("https://server.internal:8443/api/hello", { agent }, (res) => {
 *   console.log(res.statusCode, getPeerId(res)?.toString());
 *   res.resume();
 * }).end();
 * ```
 * @throws {ConfigError} `ERR_INVALID_ARGUMENT` for an invalid mode, source, authorizer, `ca` or pool option; the source's error when it has no SVID now (`"mtls"`, `"mtls-web"`).
 */
export function createSpiffeAgent(options: SpiffeAgentOptions): SpiffeAgent {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `createSpiffeAgent needs { source, authorizer }, got ${describeType(options)}`);
  const given = options as unknown as Record<string, unknown>;
  for (const key of ["cert", "key", "pfx", "passphrase", "rejectUnauthorized", "checkServerIdentity", "secureContext", "servername", "maxTotalSockets"]) {
    if (given[key] !== undefined) {
      throw new ConfigError(key, key === "maxTotalSockets" ? "is not supported: limit connections per origin with maxSockets" : "is decided by the source and the mode, not set on a SPIFFE agent");
    }
  }
  const maxSockets = int("maxSockets", options.maxSockets, Number.POSITIVE_INFINITY, 1, 100_000);
  if (options.keepAlive !== undefined && typeof options.keepAlive !== "boolean") throw new ConfigError("keepAlive", `must be a boolean, got ${JSON.stringify(options.keepAlive)}`);
  const pool: Omit<AgentOptions, "maxSockets" | "maxTotalSockets"> = {
    keepAlive: options.keepAlive ?? true,
    ...(options.keepAliveMsecs !== undefined ? { keepAliveMsecs: int("keepAliveMsecs", options.keepAliveMsecs, 1000, 1, 86_400_000) } : {}),
    ...(options.maxFreeSockets !== undefined ? { maxFreeSockets: int("maxFreeSockets", options.maxFreeSockets, 256, 0, 100_000) } : {}),
    ...(options.timeout !== undefined ? { timeout: int("timeout", options.timeout, 0, 0, 86_400_000) } : {}),
    ...(options.scheduling !== undefined ? { scheduling: scheduling(options.scheduling) } : {}),
  };
  const tls = createClientTlsConfig(options);
  return new SpiffeHttpsAgent(tls, options.source, pool, maxSockets);
}

function scheduling(v: unknown): "fifo" | "lifo" {
  if (v === "fifo" || v === "lifo") return v;
  throw new ConfigError("scheduling", `must be "fifo" or "lifo", got ${JSON.stringify(v)}`);
}
