// Reading a JWK Set document (RFC 7517 §5) from text, bytes or an object, plus the checks
// every JWK entry gets before its `use` is looked at. Internal to the bundle module.
import { BundleError } from "../errors/bundle-error.ts";
import { SpiffeError } from "../errors/spiffe-error.ts";
import { isBytes } from "../lib/bytes.ts";
import { MAX_BUNDLE_BYTES } from "./x509-bundle.ts";

/**
 * A JWK that a bundle skipped without failing: unknown `use` or `kty`, or a key no JWT-SVID
 * can be verified with. Kept so sources can report what they did not trust.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface IgnoredJwk {
  /** Position of the JWK in the document's `keys` array (0-based). */
  readonly index: number;
  /** The JWK's `kid`, when it has a string one. */
  readonly kid?: string;
  /** The JWK's `kty`, when it has a string one. */
  readonly kty?: string;
  /** The JWK's `use`, when it has a string one. */
  readonly use?: string;
  /** Why the JWK was skipped, e.g. `unknown key type "foo"`. */
  readonly reason: string;
}

/** A JSON object as produced by `JSON.parse` (own properties only are read). */
export type JsonObject = Record<string, unknown>;

/** Members that only private (or symmetric secret) JWKs carry (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth"] as const;

/** Reads an own property (never the prototype chain, so `__proto__` tricks do nothing). */
export function own(obj: JsonObject, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Quotes a value for an error message, shortened (values here are public key material at most). */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : typeof value === "object" ? JSON.stringify(value) ?? String(value) : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Turns a JSON text, UTF-8 bytes or a plain object into a JSON object with a `keys` array.
 * Objects are copied through `JSON.stringify` first, so later mutation, getters or odd
 * prototypes of the caller's object cannot reach the bundle.
 *
 * @throws {BundleError} `ERR_BUNDLE_TOO_LARGE`, `ERR_BUNDLE_JSON` or `ERR_BUNDLE_JWKS`.
 */
export function readJwkSet(input: unknown, where: string): { doc: JsonObject; keys: readonly unknown[] } {
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else if (isBytes(input)) {
    if (input.byteLength > MAX_BUNDLE_BYTES) throw new BundleError("ERR_BUNDLE_TOO_LARGE", `${where} exceeds ${MAX_BUNDLE_BYTES} bytes`);
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(input);
    } catch (cause) {
      throw new BundleError("ERR_BUNDLE_JSON", `${where}: bytes are not UTF-8 JSON`, { cause });
    }
  } else if (typeof input === "object" && input !== null) {
    try {
      const json = JSON.stringify(input);
      if (typeof json !== "string") throw new TypeError("not serializable");
      text = json;
    } catch (cause) {
      if (cause instanceof SpiffeError) throw cause;
      throw new BundleError("ERR_BUNDLE_JSON", `${where}: the object is not plain JSON data (cycle, BigInt or a throwing getter)`, { cause });
    }
  } else {
    throw new BundleError("ERR_BUNDLE_JWKS", `${where}: expected a JSON string, UTF-8 bytes or an object, got ${input === null ? "null" : typeof input}`);
  }
  if (text.length > MAX_BUNDLE_BYTES) throw new BundleError("ERR_BUNDLE_TOO_LARGE", `${where} exceeds ${MAX_BUNDLE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new BundleError("ERR_BUNDLE_JSON", `${where} is not valid JSON (${cause instanceof Error ? cause.message : "parse error"})`, { cause });
  }
  if (!isJsonObject(doc)) {
    throw new BundleError("ERR_BUNDLE_JWKS", `${where}: expected a JWK Set object {"keys": [...]}, got ${Array.isArray(doc) ? "an array" : show(doc)}`);
  }
  const keys = own(doc, "keys");
  if (keys === undefined) throw new BundleError("ERR_BUNDLE_JWKS", `${where}: the "keys" member is missing (it MUST be present; it may be [])`);
  if (!Array.isArray(keys)) throw new BundleError("ERR_BUNDLE_JWKS", `${where}: "keys" must be an array, got ${show(keys)}`);
  return { doc, keys };
}

/**
 * Checks one `keys` element is an object that holds no private key material, and returns
 * it with its string `use`, `kty` and `kid` (undefined when absent).
 *
 * @throws {BundleError} `ERR_BUNDLE_JWK` (not an object, `use`/`kty`/`kid` of the wrong
 *   type, `kty` missing) or `ERR_BUNDLE_JWK_PRIVATE`.
 */
export function readJwkEntry(
  entry: unknown,
  index: number,
  where: string,
): { jwk: JsonObject; use: string | undefined; kty: string; kid: string | undefined } {
  const at = `${where}: key ${index}`;
  if (!isJsonObject(entry)) throw new BundleError("ERR_BUNDLE_JWK", `${at} must be a JWK object, got ${show(entry)}`);
  const kty = own(entry, "kty");
  const use = own(entry, "use");
  const kid = own(entry, "kid");
  const secret = PRIVATE_MEMBERS.find((m) => Object.hasOwn(entry, m)) ?? (kty === "oct" && Object.hasOwn(entry, "k") ? "k" : undefined);
  if (secret !== undefined) {
    throw new BundleError(
      "ERR_BUNDLE_JWK_PRIVATE",
      `${at}${typeof kid === "string" ? ` (kid ${show(kid)})` : ""} contains private key material (member "${secret}"); a bundle must hold public keys only, so the whole bundle is refused`,
    );
  }
  if (kty === undefined) throw new BundleError("ERR_BUNDLE_JWK", `${at} has no "kty" (it MUST be set)`);
  if (typeof kty !== "string") throw new BundleError("ERR_BUNDLE_JWK", `${at}: "kty" must be a string, got ${show(kty)}`);
  if (use !== undefined && typeof use !== "string") throw new BundleError("ERR_BUNDLE_JWK", `${at}: "use" must be a string, got ${show(use)}`);
  if (kid !== undefined && typeof kid !== "string") throw new BundleError("ERR_BUNDLE_JWK", `${at}: "kid" must be a string, got ${show(kid)}`);
  return { jwk: entry, use, kty, kid };
}

/** Builds an {@link IgnoredJwk} record (frozen). */
export function ignoredJwk(index: number, info: { kid?: string | undefined; kty?: string | undefined; use?: string | undefined }, reason: string): IgnoredJwk {
  const out: { -readonly [K in keyof IgnoredJwk]: IgnoredJwk[K] } = { index, reason };
  if (info.kid !== undefined) out.kid = info.kid;
  if (info.kty !== undefined) out.kty = info.kty;
  if (info.use !== undefined) out.use = info.use;
  return Object.freeze(out);
}

/** Reads a non-negative safe-integer member (`spiffe_sequence`, `spiffe_refresh_hint`). */
export function readNonNegativeInteger(value: unknown, name: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new BundleError(
      "ERR_BUNDLE_JWKS",
      `${where}: "${name}" must be a non-negative integer no larger than ${Number.MAX_SAFE_INTEGER}, got ${show(value)}`,
    );
  }
  return value;
}
