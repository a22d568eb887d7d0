// Exact comparisons of the byte fields of Workload API responses, so that a response equal to
// the previous one is recognized without building a string of all its bytes. Internal.
import { bytesEqual } from "../core/lib/bytes.ts";

/** The same byte strings in the same order. */
export function sameByteList(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => bytesEqual(x, b[i]!));
}

/** The same keys with the same bytes (key order ignored, as protobuf maps have none). */
export function sameByteMap(a: Readonly<Record<string, Uint8Array>>, b: Readonly<Record<string, Uint8Array>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && bytesEqual(a[k]!, b[k]!));
}
