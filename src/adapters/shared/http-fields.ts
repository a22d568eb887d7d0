// HTTP facts the adapters and the CLI proxies share.

/** Statuses whose responses have no body (Fetch spec "null body status"). */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/**
 * Connection-specific header fields: HTTP/2 forbids them (RFC 9113 §8.2.2) and a proxy does
 * not forward them (RFC 9110 §7.6.1).
 */
export const CONNECTION_SPECIFIC_FIELDS: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** A `Content-Length` value as a number; undefined when absent or not a plain decimal length. */
export function contentLength(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
