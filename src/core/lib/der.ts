// Minimal DER framing: split concatenated DER SEQUENCEs without a full ASN.1 parse.
// Not exported from the package.

/** Returns the total length (header + content) of the DER element at `offset`, or undefined if malformed. */
export function derElementLength(bytes: Uint8Array, offset: number): number | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const first = bytes[offset + 1]!;
  let header = 2;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || offset + 2 + n > bytes.length) return undefined; // no indefinite length in DER
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += n;
  }
  const total = header + length;
  return offset + total <= bytes.length ? total : undefined;
}

/**
 * Splits concatenated DER SEQUENCEs (e.g. the `x509_svid` / `bundle` fields of the Workload
 * API, which are ASN.1 DER certificates concatenated with no padding). Returns undefined if
 * the input is not exactly a series of SEQUENCEs. The parts are views into `bytes` (nothing is copied).
 */
export function splitDerSequences<T extends ArrayBufferLike>(bytes: Uint8Array<T>): Uint8Array<T>[] | undefined {
  const out: Uint8Array<T>[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0x30) return undefined;
    const len = derElementLength(bytes, offset);
    if (len === undefined) return undefined;
    out.push(bytes.subarray(offset, offset + len));
    offset += len;
  }
  return out;
}
