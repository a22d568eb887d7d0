import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { checkCaller, checkMiddlewareOptions, definePeerFields, isRefusal, type SpiffeMiddlewareOptions } from "./check-caller.ts";

/**
 * The parts of a Fastify instance, request and reply that `spiffeFastify` uses (Fastify is
 * not a dependency of the SDK).
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface FastifyLike {
  /** Whether the request property is declared already (the plugin registered in a parent context). */
  hasRequestDecorator(property: "spiffeId" | "spiffePeer"): boolean;
  /** Declares the request property the plugin sets. */
  decorateRequest(property: "spiffeId" | "spiffePeer", value: null): unknown;
  /** Runs the plugin's check on every request, before routing. */
  addHook(
    name: "onRequest",
    hook: (request: { readonly raw: IncomingMessage | Http2ServerRequest }, reply: { code(status: number): { header(name: string, value: string): { send(body: unknown): unknown } } }) => Promise<unknown>,
  ): unknown;
}

/**
 * A Fastify plugin (callback style), typed without importing Fastify.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export type SpiffeFastifyPlugin = (instance: FastifyLike, options: SpiffeMiddlewareOptions, done: (err?: Error) => void) => void;

/**
 * Fastify plugin that puts the caller's verified SPIFFE ID on every request of the
 * application (`request.spiffeId`, `request.spiffePeer`; see `SpiffeRequestFields` for their
 * types): registered once, it applies to all routes (it is not encapsulated, like plugins
 * wrapped in fastify-plugin). The server must be a SPIFFE server (`attachSpiffe(app.server,
 * options)`): authentication happened in the TLS handshake. The plugin refuses only what it
 * cannot vouch for: `401` when the connection was not verified by the SDK, `403` when the
 * optional `authorizer` refuses the caller. Fastify is not a dependency: the plugin imports
 * nothing from it.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { authorizeMemberOf } from "@spiffe-ts/sdk";
 * import { spiffeFastify } from "@spiffe-ts/sdk/node";
 * const app = Fastify();
 * await app.register(spiffeFastify, { authorizer: authorizeMemberOf("example.org") });
 * ```
 */
export const spiffeFastify: SpiffeFastifyPlugin = Object.assign(
  (instance: FastifyLike, options: SpiffeMiddlewareOptions, done: (err?: Error) => void): void => {
    try {
      const authorizer = checkMiddlewareOptions(options, "spiffeFastify");
      // Registered again in a nested context (with another authorizer), the fields exist already.
      for (const field of ["spiffeId", "spiffePeer"] as const) if (!instance.hasRequestDecorator(field)) instance.decorateRequest(field, null);
      instance.addHook("onRequest", async (request, reply) => {
        const checked = await checkCaller(request.raw, authorizer);
        if (isRefusal(checked)) return reply.code(checked.status).header("cache-control", "no-store").send(checked.body);
        definePeerFields(request, checked);
        return undefined;
      });
    } catch (err) {
      return done(err instanceof Error ? err : new Error(String(err)));
    }
    done();
  },
  // Not encapsulated (what fastify-plugin sets): the hook covers the whole application.
  { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "spiffe-ts" },
);
