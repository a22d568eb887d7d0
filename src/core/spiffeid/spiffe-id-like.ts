// Structural checks for SPIFFE IDs, so IDs made by another copy of the SDK (two versions
// installed side by side) are accepted where a `SpiffeId` is: `instanceof` fails across copies.
import { SpiffeId } from "./spiffe-id.ts";

/** True for a `SpiffeId` of this or another copy of the SDK (trust domain with a name, string path, `toString`). */
export function isSpiffeIdLike(value: unknown): value is Pick<SpiffeId, "trustDomain" | "path" | "toString"> {
  if (value instanceof SpiffeId) return true;
  if (typeof value !== "object" || value === null) return false;
  const { trustDomain, path } = value as { trustDomain?: unknown; path?: unknown };
  return typeof path === "string" && typeof trustDomain === "object" && trustDomain !== null && typeof (trustDomain as { name?: unknown }).name === "string";
}

/**
 * A `SpiffeId` as is, one of another copy of the SDK re-parsed from its text, or a string parsed.
 *
 * @throws {SpiffeIdError} if the text is not a valid SPIFFE ID.
 */
export function toSpiffeId(value: SpiffeId | string): SpiffeId {
  if (value instanceof SpiffeId) return value;
  return SpiffeId.parse(isSpiffeIdLike(value) ? value.toString() : value);
}
