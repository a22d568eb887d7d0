import type { ClientTlsConfig } from "../../../tls/client-tls.ts";
import type { ClientConfig } from "../options.ts";
import { createOriginLimiter } from "../origin-limiter.ts";
import { clientClosed } from "./client-closed.ts";
import { exchangeHttp1 } from "./http1-exchange.ts";
import type { OutgoingRequest } from "./outgoing-request.ts";
import type { RequestDeadline } from "./request-deadline.ts";
import { hostOf, portOf } from "./url-endpoint.ts";
import { VerifyingAgent } from "./verifying-agent.ts";
import type { SmallBodyHandover } from "../runtime-profile.ts";

/** The client's HTTP/1.1 connections: one keep-alive agent over the TLS config, and a limit of requests in flight per origin. */
export interface Http1Pool {
  /**
   * Sends a request over HTTP/1.1 once its origin has a free slot (`pool.maxPerOrigin`),
   * on a pooled connection or a new one that presents the current SVID.
   *
   * @param done Called once the exchange is over: the response body ended, or the request failed.
   */
  send(request: OutgoingRequest, deadline: RequestDeadline, done: () => void): Promise<Response>;
  /**
   * After the client's SVID rotated or was lost, or its bundles changed: idle connections
   * are closed, new ones are made by a new agent (so they present the current SVID and are
   * verified with the current bundles), and connections in use finish their requests, then
   * close. An old agent is dropped once nothing runs on it.
   */
  retire(): void;
  /** Destroys every connection, idle or not. */
  close(): void;
}

/**
 * Creates the HTTP/1.1 pool of a client (`smallBodies`: see RuntimeProfile.clientSmallBodies). The agent is made on the first request: a client
 * that speaks HTTP/2 never needs it (an `https.Agent` costs tens of µs to build, a
 * noticeable share of a one-connection client).
 */
export function createHttp1Pool(config: ClientConfig, tls: ClientTlsConfig, smallBodies: SmallBodyHandover): Http1Pool {
  let agent: VerifyingAgent | undefined;
  const retired = new Set<VerifyingAgent>();
  const slots = createOriginLimiter(config.pool.maxPerOrigin);
  let closed = false;

  return {
    async send(request, deadline, done) {
      const { url } = request;
      const release = await slots.acquire(`${hostOf(url)}:${portOf(url)}`, deadline);
      if (closed) {
        // The client was closed while this request waited for a slot: no new connection.
        release();
        throw clientClosed();
      }
      return exchangeHttp1((agent ??= newAgent(config.pool, tls)), request, deadline, done, release, smallBodies);
    },
    retire() {
      if (agent) {
        agent.retire();
        retired.add(agent);
      }
      for (const old of retired) {
        // Forget an old agent once nothing runs on it (else every rotation would keep one).
        if (!hasWork(old.sockets) && !hasWork(old.requests)) {
          old.destroy();
          retired.delete(old);
        }
      }
      agent = undefined; // the next request makes one
    },
    close() {
      closed = true;
      agent?.destroy();
      agent = undefined;
      for (const old of retired) old.destroy();
      retired.clear();
    },
  };
}

function newAgent(pool: ClientConfig["pool"], tls: ClientTlsConfig): VerifyingAgent {
  return new VerifyingAgent(tls, { keepAlive: true, maxFreeSockets: pool.maxIdlePerOrigin, timeout: pool.idleTimeoutMs, scheduling: "lifo" }, pool.maxIdle);
}

/** True when an agent's per-origin socket or request lists hold anything. */
function hasWork(lists: NodeJS.ReadOnlyDict<readonly unknown[]> | undefined): boolean {
  for (const list of Object.values(lists ?? {})) if (list?.length) return true;
  return false;
}
