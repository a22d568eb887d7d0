import { SpiffeError } from "../../../core/errors/spiffe-error.ts";

/** The error of a request made on (or still running into) a closed mTLS client. */
export function clientClosed(): SpiffeError {
  return new SpiffeError("ERR_CLIENT_CLOSED", "the mTLS client is closed");
}
