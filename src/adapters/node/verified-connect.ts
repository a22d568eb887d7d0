import { isIP } from "node:net";
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from "node:tls";
import type { X509PeerVerifier } from "../../core/svid/x509/x509-peer-verifier.ts";
import { X509SvidError } from "../../core/errors/x509-svid-error.ts";
import type { PeerIdentity } from "../../http/peer-identity.ts";
import { peerChainOf } from "./peer-chain.ts";
import type { TlsCredentials } from "./svid-credentials.ts";

export const PEER = Symbol.for("@spiffe-ts/sdk/peer-of-socket");

// One client TLS context per credentials object (so per SVID): parsing the key and chain
// into a context costs as much as a good part of a handshake, and a new connection with the
// same credentials needs the same context.
const contexts = new WeakMap<TlsCredentials, SecureContext>();

function contextOf(credentials: TlsCredentials): SecureContext {
  let context = contexts.get(credentials);
  if (!context) {
    context = createSecureContext({ key: credentials.key, cert: credentials.cert, minVersion: "TLSv1.2" });
    contexts.set(credentials, context);
  }
  return context;
}
export type VerifiedTlsSocket = TLSSocket & { [PEER]?: PeerIdentity };

/**
 * Opens a TLS connection presenting `credentials`, and resolves only after the server's
 * chain was verified as an X.509-SVID and its ID authorized (`verify`); nothing is sent
 * before that. Hostnames and system roots play no part (`rejectUnauthorized: false` hands
 * all trust decisions to the core). Rejects with the core's `SpiffeError` when refused.
 */
export function connectVerified(
  host: string,
  port: number,
  alpn: string[],
  credentials: TlsCredentials,
  verify: X509PeerVerifier,
  signal?: AbortSignal,
): Promise<VerifiedTlsSocket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const socket: VerifiedTlsSocket = tlsConnect({
      host,
      port,
      servername: isIP(host) ? undefined : host, // SNI only for names; never checked against the certificate
      secureContext: contextOf(credentials),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ALPNProtocols: alpn,
      minVersion: "TLSv1.2",
    });
    let settled = false;
    // A close after the handshake does not cut verification short: the verdict on the
    // server's SVID stands either way (a one-shot server may hang up right away), and the
    // caller sees the closed socket.
    let handshakeDone = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const onError = (err: Error): void => {
      if (!handshakeDone) fail(err); // later errors (a reset by a one-shot server) end in 'close'
    };
    socket.on("error", onError);
    const onClose = (): void => {
      if (!handshakeDone) fail(new Error(`connection to ${host}:${port} closed during the TLS handshake`));
    };
    socket.once("close", onClose);
    socket.once("secureConnect", () => {
      handshakeDone = true;
      const chain = peerChainOf(socket);
      if (chain.length === 0) return fail(new X509SvidError("ERR_X509_SVID_EMPTY", "the server presented no certificate"));
      verify(chain).then((peer) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        socket.removeListener("error", onError);
        socket.removeListener("close", onClose);
        socket[PEER] = Object.freeze({ id: peer.id, mechanism: "x509-svid", certificates: Object.freeze([...peer.verifiedChain]) });
        resolve(socket);
      }, fail);
    });
  });
}
