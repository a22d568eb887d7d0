// ValidateJWTSVID of the development Workload API server: correct but deliberately simple
// (the SDK's validator with every JWT-SVID rule is JwtSvid.parseAndValidate). Not exported.
import { SpiffeId } from "../../core/spiffeid/spiffe-id.ts";
import { type AnyJwk, decodeJws, verifyJws } from "./jws.ts";

const ALGORITHMS = new Set(["ES256", "RS256", "PS256"]);

/** The validated subject and all claims, or a message saying why the token was refused. */
export type DevValidation = { readonly spiffeId: string; readonly claims: Record<string, unknown> } | string;

/**
 * Validates a JWT-SVID: compact JWS, alg ES256/RS256/PS256, `sub` a SPIFFE ID whose trust
 * domain has keys, signature by the `kid` key (any key without `kid`), `aud` contains
 * `audience`, `exp` in the future, `nbf` not in the future.
 */
export async function validateJwtSvid(
  token: string,
  audience: string,
  keysFor: (trustDomainId: string) => readonly AnyJwk[] | undefined,
  now: Date,
): Promise<DevValidation> {
  const jws = decodeJws(token);
  if (typeof jws === "string") return jws;
  const { header, payload } = jws;
  if (typeof header["alg"] !== "string" || !ALGORITHMS.has(header["alg"])) return `unsupported token algorithm ${JSON.stringify(header["alg"])}`;
  if (header["typ"] !== undefined && header["typ"] !== "JWT" && header["typ"] !== "JOSE") return "unsupported token type";
  const sub = payload["sub"];
  if (typeof sub !== "string" || !SpiffeId.canParse(sub)) return "token has no valid SPIFFE ID in sub";
  const trustDomain = SpiffeId.parse(sub).trustDomain;
  const td = trustDomain.idString();
  const keys = keysFor(td);
  if (!keys) return `no keys found for trust domain "${trustDomain.name}"`; // SPIRE's (go-spiffe's) words
  const kid = header["kid"];
  const candidates = kid === undefined ? keys : keys.filter((k) => k["kid"] === kid);
  if (candidates.length === 0) return `no key "${String(kid)}" in the JWT bundle of "${td}"`;
  let verified = false;
  for (const key of candidates) if (!verified) verified = await verifyJws(jws, key);
  if (!verified) return "token signature is invalid";
  const aud = payload["aud"];
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(audience)) return `expected audience in ${JSON.stringify([audience])} (audience=${JSON.stringify(audiences)})`; // as SPIRE
  const seconds = now.getTime() / 1000;
  const exp = payload["exp"];
  if (typeof exp !== "number") return "token has no exp claim";
  if (exp <= seconds) return "token has expired";
  const nbf = payload["nbf"];
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > seconds)) return "token is not valid yet";
  return { spiffeId: sub, claims: payload };
}
