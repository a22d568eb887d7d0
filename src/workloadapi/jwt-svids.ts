// JWTSVIDResponse / JWTBundlesResponse / ValidateJWTSVIDResponse → our types. JWT-SVID
// claims are read *without* signature checks here (the agent just issued them); verifying
// a JWT-SVID you received from a peer is the job of JwtSvid.parseAndValidate.
import type { JWTBundlesResponse, JWTSVIDResponse } from "../../gen/workload_pb.ts";
import { JwtBundle } from "../core/bundle/jwt-bundle.ts";
import { decodeBase64Url } from "../core/lib/base64url.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import { bad } from "./x509-context.ts";

/**
 * A JWT-SVID as fetched from the Workload API: the token to send, plus its SPIFFE ID,
 * audience and expiry read from the token (not re-verified: it comes from the local agent).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface FetchedJwtSvid {
  /** The JWT-SVID in JWS compact serialization. A bearer credential: never log it. */
  readonly token: string;
  /** The SPIFFE ID (`sub` claim, equal to the response's `spiffe_id`). */
  readonly id: SpiffeId;
  /** The `aud` claim as a list. */
  readonly audience: readonly string[];
  /** The `exp` claim. */
  readonly expiresAt: Date;
  /** Operator-chosen hint from the Workload API (`""` when none). */
  readonly hint: string;
}

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

const MAX_TOKEN_LENGTH = 64 * 1024;

/** Converts a JWTSVIDResponse; every SVID must be well formed or the response is rejected. */
export function toFetchedJwtSvids(resp: JWTSVIDResponse): FetchedJwtSvid[] {
  if (resp.svids.length === 0) throw bad("the JWT-SVID response has no SVIDs");
  const hints = new Set<string>();
  const out: FetchedJwtSvid[] = [];
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
    const claims = readClaims(m.svid, at);
    if (claims.sub !== id.toString()) throw bad(`${at}: the token's "sub" does not equal spiffe_id "${id}"`);
    if (m.hint !== "" && hints.has(m.hint)) continue;
    hints.add(m.hint);
    out.push({ token: m.svid, id, audience: claims.aud, expiresAt: new Date(claims.exp * 1000), hint: m.hint });
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

/** A stable fingerprint of a JWTBundlesResponse (map order ignored). */
export function fingerprintJwtBundlesResponse(resp: JWTBundlesResponse): string {
  const keys = Object.keys(resp.bundles).sort();
  return JSON.stringify(keys.map((k) => [k, Array.from(resp.bundles[k]!).join(",")]));
}

/** Reads `sub`, `aud`, `exp` from a compact JWS without verifying it (the agent is trusted). */
function readClaims(token: string, at: string): { sub: string; aud: string[]; exp: number } {
  if (token.length > MAX_TOKEN_LENGTH) throw bad(`${at}: the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  const parts = token.split(".");
  if (parts.length !== 3) throw bad(`${at}: the token is not a compact JWS (three dot-separated parts)`);
  const payload = decodeBase64Url(parts[1]!);
  let claims: unknown;
  try {
    claims = payload === undefined ? undefined : JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    claims = undefined;
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw bad(`${at}: the token's payload is not a JSON object`);
  const c = claims as Record<string, unknown>;
  const sub = Object.hasOwn(c, "sub") ? c.sub : undefined;
  const aud = Object.hasOwn(c, "aud") ? c.aud : undefined;
  const exp = Object.hasOwn(c, "exp") ? c.exp : undefined;
  if (typeof sub !== "string") throw bad(`${at}: the token has no "sub" claim`);
  const audience = typeof aud === "string" ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === "string") ? (aud as string[]) : undefined;
  if (!audience || audience.length === 0) throw bad(`${at}: the token has no valid "aud" claim`);
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw bad(`${at}: the token has no numeric "exp" claim`);
  return { sub, aud: audience, exp };
}
