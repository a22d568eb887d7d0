import { MtlsClientError } from "../../../core/errors/mtls-client-error.ts";

/** The error of a request made on (or still running into) a closed mTLS client. */
export function clientClosed(): MtlsClientError {
  return new MtlsClientError("ERR_MTLS_CLIENT_CLOSED", "the mTLS client is closed");
}
