// Bundles made by another copy of the SDK (two versions installed side by side): `instanceof`
// fails across copies, so a bundle source handing one back would be refused. A bundle of
// the right shape is instead re-built from its public data (authorities as DER, keys as a
// JWK Set) and checked again by this copy's parser: nothing of the other copy is trusted
// beyond that data. Re-built bundles are cached per object. Internal to the bundle module.
import { isTrustDomainLike } from "./bundle-args.ts";
import { JwtBundle } from "./jwt-bundle.ts";
import { X509Bundle } from "./x509-bundle.ts";

const x509Copies = new WeakMap<object, X509Bundle>();
const jwtCopies = new WeakMap<object, JwtBundle>();

/**
 * `value` as an X509Bundle of this copy: itself, a re-built copy of an X509Bundle of another
 * copy of the SDK, or undefined for anything else (including a foreign one that does not parse).
 */
export function adoptX509Bundle(value: unknown): X509Bundle | undefined {
  if (value instanceof X509Bundle) return value;
  if (typeof value !== "object" || value === null) return undefined;
  const cached = x509Copies.get(value);
  if (cached) return cached;
  const { trustDomain, authorities, hasAuthority } = value as { trustDomain?: unknown; authorities?: unknown; hasAuthority?: unknown };
  if (!isTrustDomainLike(trustDomain) || typeof hasAuthority !== "function" || !Array.isArray(authorities)) return undefined;
  if (!authorities.every((a) => a instanceof Uint8Array)) return undefined;
  return remember(x509Copies, value, () => X509Bundle.fromCertificates(trustDomain.name, authorities));
}

/**
 * `value` as a JwtBundle of this copy: itself, a re-built copy of a JwtBundle of another copy
 * of the SDK, or undefined for anything else (including a foreign one that does not parse).
 */
export function adoptJwtBundle(value: unknown): JwtBundle | undefined {
  if (value instanceof JwtBundle) return value;
  if (typeof value !== "object" || value === null) return undefined;
  const cached = jwtCopies.get(value);
  if (cached) return cached;
  const { trustDomain, findKey, toJwks } = value as { trustDomain?: unknown; findKey?: unknown; toJwks?: unknown };
  if (!isTrustDomainLike(trustDomain) || typeof findKey !== "function" || typeof toJwks !== "function") return undefined;
  return remember(jwtCopies, value, () => JwtBundle.parse(trustDomain.name, toJwks.call(value) as object));
}

function remember<B>(cache: WeakMap<object, B>, key: object, build: () => B): B | undefined {
  let bundle: B;
  try {
    bundle = build();
  } catch {
    return undefined; // not a bundle after all: the lookup reports "not a bundle"
  }
  cache.set(key, bundle);
  return bundle;
}
