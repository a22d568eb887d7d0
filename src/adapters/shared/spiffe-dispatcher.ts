import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { ConfigError } from "../../core/errors/config-error.ts";
import { IntegrationError } from "../../core/errors/integration-error.ts";
import type { Logger } from "../../core/logger.ts";
import type { ClientModeOptions } from "../../http/mtls-client-types.ts";
import { bindPeerIdentity, type PeerIdentity, peerIdentityOf } from "../../http/peer-identity.ts";
import { createClientTlsConfigWith } from "../../tls/client-tls.ts";
import { onRotation } from "./client/on-rotation.ts";
import { int } from "./options.ts";
import type { RuntimeProfile } from "./runtime-profile.ts";
import { InvalidArgumentError } from "../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../core/lib/describe-type.ts";

/**
 * What `createSpiffeDispatcher` returns without an `undici` option: the `Dispatcher` methods
 * the SDK relies on (undici's types are not the SDK's dependency). Pass the module as
 * `undici` to get undici's own `Agent` type, which `undici.request`/`undici.fetch` accept.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeDispatcherLike {
  /** undici's `Dispatcher.dispatch`. */
  dispatch(options: object, handler: object): boolean;
  /** Closes the connections once their requests are done, and stops following the source. */
  close(): Promise<void>;
  /** Closes the connections now, and stops following the source. */
  destroy(): Promise<void>;
}

/**
 * The parts of the `undici` module that `createSpiffeDispatcher` builds on: pass
 * `import * as undici from "undici"`; the dispatcher is then of undici's `Agent` type.
 * Typed without importing undici (an optional peer dependency).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface UndiciModule<A extends SpiffeDispatcherLike = SpiffeDispatcherLike> {
  /** undici's `Agent` class. */
  readonly Agent: new (options: never) => A;
  /** undici's `Pool` class. */
  readonly Pool: new (origin: never, options: never) => object;
  /** undici's `Client` class. */
  readonly Client: new (origin: never, options: never) => object;
}

// How this module uses the classes of the undici module it is given (checked by checkUndici
// to be functions; their instances are undici's, typed as much as the SDK needs).
type AnyOptions = Record<string, unknown>;
interface UndiciAgent {
  dispatch(options: object, handler: object): boolean;
  close(): Promise<void>;
  close(callback: (err: Error | null) => void): void;
  destroy(err?: Error | null): Promise<void>;
  destroy(err: Error | null, callback: (err: Error | null) => void): void;
  readonly closed: boolean;
  readonly destroyed: boolean;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): boolean;
}
type UndiciAgentClass = new (options: AnyOptions) => UndiciAgent;
type UndiciPoolClass = new (origin: string | URL, options: AnyOptions) => object;
type UndiciClientClass = new (origin: string | URL, options: AnyOptions) => { dispatch(options: object, handler: object): boolean };
interface UndiciClasses {
  readonly Agent: UndiciAgentClass;
  readonly Pool: UndiciPoolClass;
  readonly Client: UndiciClientClass;
}

/**
 * The undici side of {@link SpiffeDispatcherOptions}: connection and protocol options.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeDispatcherPoolOptions<A extends SpiffeDispatcherLike = SpiffeDispatcherLike> {
  /** Offer HTTP/2 (ALPN `h2`, then `http/1.1`), as undici's `allowH2`. Default `false`. */
  readonly allowH2?: boolean;
  /** Most connections per origin (undici's `connections`). Default: no limit. */
  readonly connections?: number;
  /** How long an idle connection is kept, ms (undici's `keepAliveTimeout`). Default: undici's (4 s). */
  readonly keepAliveTimeout?: number;
  /**
   * The `undici` module to build on (`import * as undici from "undici"`); the dispatcher is
   * then typed as its `Agent`. Default: the `undici` package installed next to the SDK (an
   * optional peer dependency), and the type {@link SpiffeDispatcherLike}.
   */
  readonly undici?: UndiciModule<A>;
  /** Rotations and loss of the client's own SVID. Silent by default. */
  readonly logger?: Logger;
  /** Clock used for SVID verification, for tests. */
  readonly now?: () => Date;
}

/**
 * Options of `createSpiffeDispatcher`: who the dispatcher is and whom it accepts, by mode
 * (`{ source, authorizer }` in mode `"mtls"`, the default; see {@link ClientModeOptions}),
 * plus the options of {@link SpiffeDispatcherPoolOptions}.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type SpiffeDispatcherOptions<A extends SpiffeDispatcherLike = SpiffeDispatcherLike> = ClientModeOptions & SpiffeDispatcherPoolOptions<A>;

type ConnectCallback = (err: Error | null, socket: Socket | null) => void;
interface ConnectParams {
  readonly hostname: string;
  readonly port: string;
  readonly protocol: string;
}

/**
 * Creates an undici `Dispatcher` for SPIFFE TLS, given a runtime's profile (see
 * `CreateSpiffeDispatcher` in entry.ts for what it does).
 */
export function createSpiffeDispatcherWith<A extends SpiffeDispatcherLike>(profile: RuntimeProfile, options: SpiffeDispatcherOptions<A>): A {
  if (profile.undiciDispatcherUnsupported) {
    throw new IntegrationError("ERR_INTEGRATION_UNSUPPORTED_RUNTIME", "undici", `createSpiffeDispatcher does not work on ${profile.name}: ${profile.undiciDispatcherUnsupported}`);
  }
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `createSpiffeDispatcher needs { source, authorizer }, got ${describeType(options)}`);
  if (options.allowH2 !== undefined && typeof options.allowH2 !== "boolean") throw new ConfigError("allowH2", `must be a boolean, got ${JSON.stringify(options.allowH2)}`);
  const connections = options.connections === undefined ? undefined : int("connections", options.connections, 0, 1, 100_000);
  const keepAliveTimeout = options.keepAliveTimeout === undefined ? undefined : int("keepAliveTimeout", options.keepAliveTimeout, 0, 1, 86_400_000);
  const undici = options.undici === undefined ? loadUndici() : checkUndici(options.undici);
  const tls = createClientTlsConfigWith(profile.readPeerChain, options);
  const allowH2 = options.allowH2 ?? false;
  const ALPNProtocols = allowH2 ? ["h2", "http/1.1"] : ["http/1.1"];
  const SpiffeClient = spiffeClientClass(undici);
  const connect = (params: ConnectParams, callback: ConnectCallback): void => {
    if (params.protocol !== "https:") return callback(new InvalidArgumentError("url", `a SPIFFE dispatcher speaks https only, got ${params.protocol}`), null);
    tls.connect(params.hostname.replace(/^\[(.*)\]$/, "$1"), Number(params.port) || 443, { ALPNProtocols }).then(
      (socket) => {
        // Dead peers are noticed, as undici's own connector does. No setNoDelay(true), unlike
        // undici's connector: on Deno 2.9 it stalled the first requests of every connection
        // ~45 ms each (see verifying-agent.ts); undici writes a small request in one write.
        socket.setKeepAlive(true, 60_000);
        callback(null, socket);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
    );
  };

  const clientOptions = { allowH2, ...(keepAliveTimeout !== undefined ? { keepAliveTimeout } : {}) };
  const newAgent = (): UndiciAgent =>
    new undici.Agent({
      ...clientOptions,
      ...(connections !== undefined ? { connections } : {}),
      factory: (origin: string | URL, opts: AnyOptions) =>
        new undici.Pool(origin, { ...opts, ...clientOptions, factory: (o: string | URL, clientOpts: AnyOptions) => new SpiffeClient(o, { ...clientOpts, ...clientOptions }, connect) }),
    });

  /**
   * An undici Agent that hands each request to the Agent of the current identity and trust.
   * A rotation (the client's SVID, or a source update, which may change bundles) starts a new
   * Agent for later requests and closes the old one gracefully: its requests in flight finish,
   * then its connections close, so no connection made with an old SVID or verified with old
   * bundles outlives its requests.
   */
  class SpiffeDispatcher extends undici.Agent {
    #current: UndiciAgent;
    readonly #retiring = new Set<UndiciAgent>();
    readonly #unwatch: () => void;

    constructor() {
      super({});
      this.#current = this.#forwarded(newAgent());
      this.#unwatch = onRotation(tls, options.source, () => this.#rotate());
    }

    override dispatch(opts: object, handler: object): boolean {
      // Once closed, the base class refuses the request as undici does (ClientClosedError).
      if (this.closed || this.destroyed) return super.dispatch(opts, handler);
      return this.#current.dispatch(opts, handler);
    }

    /** undici's per-origin statistics, of the connections new requests use. */
    get stats(): unknown {
      return (this.#current as { stats?: unknown }).stats;
    }

    override close(...args: unknown[]): Promise<void> {
      this.#stop();
      // With a callback: undici's close without one calls close again (this override) with one.
      const closed = new Promise<void>((resolve, reject) => super.close((err) => (err ? reject(err) : resolve())));
      return settle(Promise.all([closed, ...this.#agents().map((a) => a.close())]), args[0]);
    }

    override destroy(...args: unknown[]): Promise<void> {
      this.#stop();
      const err = args[0] instanceof Error ? args[0] : null;
      const destroyed = new Promise<void>((resolve, reject) => super.destroy(err, (e) => (e ? reject(e) : resolve())));
      return settle(Promise.all([destroyed, ...this.#agents().map((a) => a.destroy(err))]), args.find((a) => typeof a === "function"));
    }

    #rotate(): void {
      const old = this.#current;
      this.#current = this.#forwarded(newAgent());
      this.#retiring.add(old);
      const forget = (): void => void this.#retiring.delete(old);
      old.close().then(forget, forget);
    }

    #agents(): UndiciAgent[] {
      return [this.#current, ...this.#retiring];
    }

    #stop(): void {
      this.#unwatch();
      tls.close();
    }

    /** The events undici's Agent emits (from its pools), re-emitted by this dispatcher. */
    #forwarded(agent: UndiciAgent): UndiciAgent {
      for (const event of ["connect", "disconnect", "connectionError", "drain"]) agent.on(event, (...args: unknown[]) => this.emit(event, ...args));
      return agent;
    }
  }
  const dispatcher = new SpiffeDispatcher();
  // An instance of (a subclass of) the given module's Agent: what UndiciModule<A> says it makes.
  return dispatcher as unknown as A;
}

/**
 * undici's `close`/`destroy` contract: with a callback, the callback gets the outcome (and
 * the returned promise never rejects); without, the promise does.
 */
function settle(done: Promise<unknown>, callback: unknown): Promise<void> {
  if (typeof callback !== "function") return done.then(() => undefined);
  const cb = callback as (err: unknown, data: null) => void;
  return done.then(() => cb(null, null), (err: unknown) => cb(err, null));
}

/**
 * The `undici` package installed next to the SDK. Internal (exported for tests).
 *
 * @param load Loads a package by name; default: `require` from this module.
 * @throws {IntegrationError} `ERR_INTEGRATION_PEER_DEPENDENCY_MISSING` when it cannot be loaded.
 */
export function loadUndici(load: (name: string) => unknown = (name) => createRequire(import.meta.url)(name)): UndiciClasses {
  let loaded: unknown;
  try {
    loaded = load("undici");
  } catch (err) {
    throw new IntegrationError("ERR_INTEGRATION_PEER_DEPENDENCY_MISSING", "undici", 'createSpiffeDispatcher needs the "undici" package (an optional peer dependency of @spiffe-ts/sdk): npm install undici', { cause: err });
  }
  return checkUndici(loaded);
}

function checkUndici(v: unknown): UndiciClasses {
  const m = v as Partial<UndiciClasses> | null;
  if (typeof m !== "object" || m === null || typeof m.Agent !== "function" || typeof m.Pool !== "function" || typeof m.Client !== "function") {
    throw new ConfigError("undici", 'must be the undici module (import * as undici from "undici"), with Agent, Pool and Client');
  }
  // Bun answers "undici" with a stand-in whose Agent cannot dispatch (and whose request() ignores
  // `dispatcher`): refused whichever runtime entry was imported.
  if (typeof (m.Agent.prototype as { dispatch?: unknown }).dispatch !== "function") {
    throw new IntegrationError("ERR_INTEGRATION_UNSUPPORTED_RUNTIME", "undici", "this undici module is not the npm package (its Agent cannot dispatch; Bun's built-in stand-in is like that), so no connection could be SPIFFE-verified");
  }
  return m as UndiciClasses;
}

type SpiffeClientClass = new (origin: string | URL, options: AnyOptions, connect: (params: ConnectParams, callback: ConnectCallback) => void) => object;
const clientClasses = new WeakMap<UndiciClasses, SpiffeClientClass>();

/**
 * A `Client` (one connection at a time) over SPIFFE connections that tells each request
 * which server it was sent to: the identity of the connection it is written on is passed to
 * the request's handler as its `context`, which `undici.request` returns as `context`.
 */
function spiffeClientClass(undici: UndiciClasses): SpiffeClientClass {
  let cls = clientClasses.get(undici);
  if (cls) return cls;
  cls = class SpiffeClient extends undici.Client {
    readonly #connection: { peer: PeerIdentity | undefined };

    constructor(origin: string | URL, options: AnyOptions, connect: (params: ConnectParams, callback: ConnectCallback) => void) {
      const connection: { peer: PeerIdentity | undefined } = { peer: undefined };
      super(origin, {
        ...options,
        connect: (params: ConnectParams, callback: ConnectCallback) =>
          connect(params, (err, socket) => {
            if (socket) connection.peer = peerIdentityOf(socket);
            callback(err, socket);
          }),
      });
      this.#connection = connection;
    }

    override dispatch(options: object, handler: object): boolean {
      return super.dispatch(options, withPeerContext(handler, () => this.#connection.peer));
    }
  };
  clientClasses.set(undici, cls);
  return cls;
}

/**
 * The handler, with the connection's verified identity added to the context it is given
 * when its request is written (`onRequestStart`, or `onConnect` for handlers of the older
 * style). The context is a new frozen object per request.
 */
function withPeerContext(handler: object, peer: () => PeerIdentity | undefined): object {
  const contextOf = (given: unknown): object => {
    const context = Object.freeze({ ...(typeof given === "object" && given !== null ? given : {}) });
    const p = peer();
    if (p) bindPeerIdentity(context, p);
    return context;
  };
  const methods = new Map<PropertyKey, unknown>(); // one bound function per method, not per call
  return new Proxy(handler, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      let method = methods.get(property);
      if (method === undefined) {
        method =
          property === "onRequestStart" || property === "onConnect"
            ? (first: unknown, context: unknown) => (value as (a: unknown, c: object) => unknown).call(target, first, contextOf(context))
            : (value as (...args: unknown[]) => unknown).bind(target);
        methods.set(property, method);
      }
      return method;
    },
  });
}
