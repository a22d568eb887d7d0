import type { ClientRequest } from "node:http";

/**
 * Cancels a `node:http`/`node:https` client request for good. Deno 2.9 re-sends a request
 * that is destroyed while on a reused keep-alive socket (its stale-socket retry does not
 * check that the caller destroyed it: denoland/deno#36786), so an aborted or timed-out
 * request — a POST included — would reach the server a second time. Clearing
 * `reusedSocket` first keeps that retry out; Node and Bun never retry.
 */
export function cancelRequest(req: ClientRequest, reason: unknown): void {
  (req as { reusedSocket: boolean }).reusedSocket = false;
  req.destroy(reason instanceof Error ? reason : new Error(String(reason)));
}
