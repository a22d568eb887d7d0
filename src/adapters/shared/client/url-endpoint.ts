/** The host to connect to for `url`: its host name, or its IPv6 address without brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/** The port to connect to for an `https:` URL: its explicit port, else 443. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : 443;
}
