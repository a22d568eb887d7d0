/**
 * Puts the path and query of an HTTP request target on `base` (a copy): an origin-form target
 * (`/path?query`) is taken as it is, even `//host/…`; of an absolute-form target only the path
 * and query are used. The origin is always `base`'s, so no target can change where a request goes.
 */
export function withRequestTarget(base: URL, target: string): URL {
  const url = new URL(base);
  const absolute = target.startsWith("/") ? undefined : URL.canParse(target) ? new URL(target) : undefined;
  const pathAndQuery = absolute ? absolute.pathname + absolute.search : target.startsWith("/") ? target : `/${target}`;
  const q = pathAndQuery.indexOf("?");
  url.pathname = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  url.search = q < 0 ? "" : pathAndQuery.slice(q);
  return url;
}
