// A raw response a test pushes (any field may be missing or wrong) as the protobuf message
// the development Workload API server sends as is.
import { create } from "@bufbuild/protobuf";
import { JWTBundlesResponseSchema, X509BundlesResponseSchema, X509SVIDResponseSchema } from "../../../../gen/workload_pb.ts";
import type { RawJwtBundlesResponse, RawX509BundlesResponse, RawX509SvidResponse } from "../../raw-responses.ts";
import type { StreamMethod, StreamResponse } from "./stream-fan-out.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../../core/lib/describe-type.ts";

/** Any raw response of the three streams. */
export type RawStreamResponse = RawX509SvidResponse | RawX509BundlesResponse | RawJwtBundlesResponse;

/**
 * The message for `raw` on `method`.
 *
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"response"`) when `raw` is not an object or has fields of the wrong type.
 */
export function rawMessage(method: StreamMethod, raw: RawStreamResponse): StreamResponse {
  if (typeof raw !== "object" || raw === null) throw new InvalidArgumentError("response", `a raw response must be an object, got ${describeType(raw)}`);
  try {
    return toMessage(method, raw);
  } catch (err) {
    throw new InvalidArgumentError("response", `raw ${method} response has fields of the wrong type`, { cause: err });
  }
}

function toMessage(method: StreamMethod, raw: RawStreamResponse): StreamResponse {
  switch (method) {
    case "FetchX509SVID": {
      const r = raw as RawX509SvidResponse;
      return create(X509SVIDResponseSchema, {
        svids: (r.svids ?? []).map((s) => ({
          spiffeId: s.spiffeId ?? "",
          x509Svid: s.x509Svid ?? new Uint8Array(),
          x509SvidKey: s.x509SvidKey ?? new Uint8Array(),
          bundle: s.bundle ?? new Uint8Array(),
          hint: s.hint ?? "",
        })),
        crl: [...(r.crl ?? [])],
        federatedBundles: { ...r.federatedBundles },
      });
    }
    case "FetchX509Bundles": {
      const r = raw as RawX509BundlesResponse;
      return create(X509BundlesResponseSchema, { crl: [...(r.crl ?? [])], bundles: { ...r.bundles } });
    }
    case "FetchJWTBundles":
      return create(JWTBundlesResponseSchema, { bundles: { ...(raw as RawJwtBundlesResponse).bundles } });
  }
}
