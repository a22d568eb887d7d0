// What the proxies pass on: end-to-end fields only (RFC 9110 §7.6.1), cookies joined, values kept.
import { describe, expect, test } from "bun:test";
import { forwardedHeaders } from "../../src/cli/proxy/forwarded-headers.ts";

describe("forwardedHeaders", () => {
  test("drops connection-specific fields, the fields Connection names, host, expect and pseudo-headers", () => {
    const raw = ["Host", "a:1", "Connection", "keep-alive, X-Hop", "Keep-Alive", "timeout=5", "X-Hop", "1", "TE", "trailers", "Trailer", "x", "Transfer-Encoding", "chunked", "Upgrade", "websocket", "Proxy-Authorization", "secret", "Proxy-Connection", "close", "Expect", "100-continue", ":path", "/", "X-Kept", "yes", "Content-Type", "text/plain"];
    expect([...forwardedHeaders(raw).entries()]).toEqual([["content-type", "text/plain"], ["x-kept", "yes"]]);
  });

  test("drops the names given in `drop` (e.g. the caller-ID header), in any case", () => {
    const h = forwardedHeaders(["X-Spiffe-Caller-Id", "forged", "x-spiffe-caller-id", "again", "X-Other", "1"], new Set(["x-spiffe-caller-id"]));
    expect(h.has("x-spiffe-caller-id")).toBe(false);
    expect(h.get("x-other")).toBe("1");
  });

  test("keeps repeated fields; joins Cookie fields with '; '; keeps Set-Cookie values apart", () => {
    const h = forwardedHeaders(["Accept", "a", "Accept", "b", "Cookie", "x=1", "Cookie", "y=2", "Set-Cookie", "s=1", "Set-Cookie", "t=2"]);
    expect(h.get("accept")).toBe("a, b");
    expect(h.get("cookie")).toBe("x=1; y=2");
    expect(h.getSetCookie()).toEqual(["s=1", "t=2"]);
  });

  test("reads Headers as well as raw pairs", () => {
    const h = forwardedHeaders(new Headers({ connection: "close", "x-a": "1" }));
    expect([...h.entries()]).toEqual([["x-a", "1"]]);
  });
});
