import type { SpiffeId } from "../spiffeid/spiffe-id.ts";
import { SpiffeError } from "./spiffe-error.ts";

/** Why an authorizer refused a peer. */
export type AuthorizationErrorCode = "ERR_AUTHZ_UNEXPECTED_ID" | "ERR_AUTHZ_TRUST_DOMAIN" | "ERR_AUTHZ_DENIED";

/**
 * An authorizer refused a verified peer. `peerId` is the SPIFFE ID that was refused.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export class AuthorizationError extends SpiffeError<AuthorizationErrorCode> {
  /** The verified SPIFFE ID that was not authorized. */
  readonly peerId: SpiffeId;

  /**
   * Creates the error for a refused peer.
   *
   * @param code Why the peer was refused.
   * @param peerId The verified SPIFFE ID that was refused.
   * @param message What was expected instead.
   * @param options `cause`: the matcher's error, when a custom matcher threw.
   */
  constructor(code: AuthorizationErrorCode, peerId: SpiffeId, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.peerId = peerId;
  }
}
