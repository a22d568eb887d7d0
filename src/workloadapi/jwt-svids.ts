// JWTSVIDResponse / JWTBundlesResponse / ValidateJWTSVIDResponse → our types. JWT-SVIDs
// from FetchJWTSVID are parsed *without* signature checks (JwtSvid.parseInsecure, as
// go-spiffe does): the local agent just issued them to us over the Workload API. Their
// structure and claims are still checked. Verifying a JWT-SVID received from a peer is the
// job of JwtSvid.parseAndValidate.
import type { JWTBundlesResponse, JWTSVIDResponse } from "../../gen/workload_pb.ts";
import { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import { type JwtSvid, parseJwtSvidInsecure } from "../core/svid/jwt/jwt-svid.ts";
import { bad } from "./x509-context.ts";
import { sameByteMap } from "./same-bytes.ts";

/**
 * The SPIFFE ID and claims of a JWT-SVID the agent validated (`validateJwtSvid`).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface ValidatedJwtSvid {
  /** The SPIFFE ID of the token's subject. */
  readonly id: SpiffeId;
  /** The token's claims, as returned by the agent. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Converts a JWTSVIDResponse for the requested `audience`; every SVID must be well formed, be
 * for its `spiffe_id` and carry every requested audience, or the response is rejected.
 */
export function toJwtSvids(resp: JWTSVIDResponse, audience: readonly string[]): JwtSvid[] {
  if (resp.svids.length === 0) throw bad("the JWT-SVID response has no SVIDs");
  const hints = new Set<string>();
  const out: JwtSvid[] = [];
  for (const [i, m] of resp.svids.entries()) {
    const at = `JWT-SVID ${i + 1}`;
    if (m.spiffeId === "") throw bad(`${at} has an empty spiffe_id`);
    if (m.svid === "") throw bad(`${at} has an empty svid`);
    let id: SpiffeId;
    try {
      id = SpiffeId.parse(m.spiffeId);
    } catch (err) {
      throw bad(`${at}: invalid spiffe_id (${err instanceof SpiffeError ? err.code : "invalid"})`, err);
    }
    let svid: JwtSvid;
    try {
      svid = parseJwtSvidInsecure(m.svid, m.hint);
    } catch (err) {
      throw bad(`${at}: the token is not a well-formed JWT-SVID (${err instanceof SpiffeError ? `${err.code}: ${err.message}` : "invalid"})`, err);
    }
    if (!svid.id.equals(id)) throw bad(`${at}: the token's "sub" does not equal spiffe_id "${id}"`);
    const missing = audience.find((a) => !svid.audience.includes(a));
    if (missing !== undefined) throw bad(`${at}: the token's "aud" does not contain the requested audience ${JSON.stringify(missing)}`);
    if (m.hint !== "" && hints.has(m.hint)) continue;
    hints.add(m.hint);
    out.push(svid);
  }
  return out;
}

/** Converts a JWTBundlesResponse into JWT bundles by trust domain name. */
export function toJwtBundles(resp: JWTBundlesResponse): ReadonlyMap<string, JwtBundle> {
  const out = new Map<string, JwtBundle>();
  for (const key of Object.keys(resp.bundles).sort()) {
    const bytes = resp.bundles[key]!;
    let td: TrustDomain;
    try {
      td = TrustDomain.parse(key);
    } catch (err) {
      throw bad(`JWT bundle key ${JSON.stringify(key)} is not a trust domain`, err);
    }
    if (bytes.length === 0) throw bad(`JWT bundle of "${td.name}" is empty`);
    if (out.has(td.name)) throw bad(`JWT bundle of "${td.name}" appears twice`);
    try {
      out.set(td.name, JwtBundle.parse(td, bytes));
    } catch (err) {
      throw bad(`JWT bundle of "${td.name}": ${err instanceof SpiffeError ? `${err.code}: ${err.message}` : "invalid"}`, err);
    }
  }
  if (out.size === 0) throw bad("the JWT bundles response has no bundles");
  return out;
}

/** Whether two JWTBundlesResponses carry the same content (map order ignored). */
export function sameJwtBundlesResponse(a: JWTBundlesResponse, b: JWTBundlesResponse): boolean {
  return sameByteMap(a.bundles, b.bundles);
}
