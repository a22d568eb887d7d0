// Reports the one post-handshake step of src/tls (verify the peer, authorize it) to the
// registered hooks (internal). With no hook registered it only runs the step.
import { AuthorizationError } from "../core/errors/authorization-error.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import type { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import type { SpiffeTlsMode } from "../http/tls-mode.ts";
import type { HandshakeStartInfo, TlsSide } from "./spiffe-trace.ts";
import { safely, traces } from "./trace-registry.ts";

/** What this module reads from a TLS socket (`node:tls` TLSSocket has it on every runtime). */
export interface ObservedSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  getCertificate?(): { readonly serialNumber?: string } | object | null;
}

/**
 * Runs `verify` (the verification of the peer of `socket`) and reports its start and its
 * verdict to every registered hook. The verdict is returned or thrown unchanged.
 */
export function observeHandshake<T extends { readonly id: SpiffeId }>(socket: ObservedSocket, side: TlsSide, mode: SpiffeTlsMode, verify: () => Promise<T>): Promise<T> {
  const registrations = traces();
  if (registrations.length === 0) return verify();
  return observed(registrations, socket, side, mode, verify);
}

async function observed<T extends { readonly id: SpiffeId }>(registrations: ReturnType<typeof traces>, socket: ObservedSocket, side: TlsSide, mode: SpiffeTlsMode, verify: () => Promise<T>): Promise<T> {
  const start: HandshakeStartInfo = { side, mode, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
  const contexts = registrations.map(({ trace }) => (trace.handshakeStart ? safely(() => trace.handshakeStart!(start)) : undefined));
  const began = performance.now();
  let result: T;
  try {
    result = await verify();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const info = { ...start, code: codeOf(error), error, peerId: err instanceof AuthorizationError ? err.peerId : undefined, durationMs: performance.now() - began };
    registrations.forEach(({ trace }, i) => trace.handshakeRefused && safely(() => trace.handshakeRefused!(info, contexts[i])));
    throw err;
  }
  const info = { ...start, peerId: result.id, durationMs: performance.now() - began, localSerialNumber: () => localSerialOf(socket) };
  registrations.forEach(({ trace }, i) => trace.handshakeVerified && safely(() => trace.handshakeVerified!(info, contexts[i])));
  return result;
}

/** The stable code of a refusal (the error's name for errors that have none). */
function codeOf(error: Error): string {
  return error instanceof SpiffeError ? error.code : error.name;
}

/** The serial number of the certificate this side presented, in the form {@link normalizeSerial} gives. */
function localSerialOf(socket: ObservedSocket): string | undefined {
  const cert = safely(() => socket.getCertificate?.());
  const serial = cert && "serialNumber" in cert ? cert.serialNumber : undefined;
  return typeof serial === "string" ? normalizeSerial(serial) : undefined;
}

/** Hex serial numbers compared across sources: lower case, without colons or leading zeros. */
export function normalizeSerial(serial: string): string {
  return serial.replaceAll(":", "").toLowerCase().replace(/^0+(?=.)/, "");
}
