import type { MtlsClient, MtlsRequestBody } from "../../../http/mtls-client-types.ts";
import { refusedAs } from "./refused-as.ts";

/**
 * A request helper with a body (`post`, `put`, `patch`) over the client's `fetch`: a plain
 * object or an array is sent as JSON (with `content-type: application/json` unless the
 * caller set one); anything else is passed to `fetch` as the body.
 */
export function bodyMethod(fetch: MtlsClient["fetch"], method: string): MtlsClient["post"] {
  return async (url, body, init = {}) => {
    const json = isJsonBody(body);
    const headers = refusedAs("init", "invalid headers", () => new Headers(init.headers));
    if (json && !headers.has("content-type")) headers.set("content-type", "application/json");
    const sent = json ? refusedAs("body", "cannot be sent as JSON", () => JSON.stringify(body)) : body;
    return fetch(url, { ...init, method, headers, body: sent });
  };
}

/** A plain object (or one without a prototype) or an array: what the helpers send as JSON. */
function isJsonBody(body: MtlsRequestBody): body is Record<string, unknown> | unknown[] {
  if (body === null || body === undefined || typeof body !== "object") return false;
  if (Array.isArray(body)) return true;
  const prototype: unknown = Object.getPrototypeOf(body);
  return prototype === Object.prototype || prototype === null;
}
