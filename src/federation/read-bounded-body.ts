// Reads a response body with a byte limit, so a hostile endpoint cannot make us buffer
// without end.
import { FederationError } from "../core/errors/federation-error.ts";

/**
 * The whole body of `response`, at most `maxBytes` long.
 *
 * @throws {FederationError} `ERR_FEDERATION_TOO_LARGE` (declared or actual length over the limit; the body is cancelled).
 */
export async function readBoundedBody(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const tooLarge = (): FederationError =>
    new FederationError("ERR_FEDERATION_TOO_LARGE", `the bundle from ${url} is larger than ${maxBytes} bytes (maxBytes)`, { url });
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
