import { SpiffeError } from "./spiffe-error.ts";

/** Why a caller has no verified identity. */
export type AuthenticationErrorCode = "ERR_AUTHN_NO_PEER_IDENTITY";

/**
 * A request carries no verified peer identity (it did not arrive over SPIFFE mTLS, or no
 * identity was attached with `withSpiffeId` in a test). Thrown by `requireSpiffeId`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export class AuthenticationError extends SpiffeError<AuthenticationErrorCode> {}
