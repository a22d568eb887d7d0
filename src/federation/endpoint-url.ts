// The bundle endpoint URL rules of SPIFFE Federation §5.2.1.1 / §5.2.2.1, for the configured
// URL and for every redirect target.
import { FederationError } from "../core/errors/federation-error.ts";

/**
 * `input` as a URL, if it is a valid bundle endpoint URL: scheme `https`, no user info.
 *
 * @throws {FederationError} `ERR_FEDERATION_ENDPOINT_URL`.
 */
export function endpointUrl(input: unknown, what = "bundle endpoint URL"): URL {
  let url: URL;
  try {
    if (typeof input !== "string" && !(input instanceof URL)) throw new TypeError("not a string");
    url = new URL(input);
  } catch (cause) {
    throw new FederationError("ERR_FEDERATION_ENDPOINT_URL", `${what} must be an absolute https: URL, got ${show(input)}`, { cause });
  }
  if (url.protocol !== "https:") {
    throw new FederationError("ERR_FEDERATION_ENDPOINT_URL", `${what} must use https: (SPIFFE Federation §5.2), got ${url.protocol}`, { url: redacted(url) });
  }
  if (url.username !== "" || url.password !== "") {
    throw new FederationError("ERR_FEDERATION_ENDPOINT_URL", `${what} must not include user info (SPIFFE Federation §5.2)`, { url: redacted(url) });
  }
  return url;
}

/** The URL without user info, for messages (a password never reaches an error). */
export function redacted(url: URL): string {
  if (url.username === "" && url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

function show(value: unknown): string {
  if (typeof value !== "string") return value instanceof URL ? value.protocol : typeof value;
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
