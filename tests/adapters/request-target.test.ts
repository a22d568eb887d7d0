// withRequestTarget: the request line never changes where a request goes, and paths stay as sent.
import { describe, expect, test } from "bun:test";
import { withRequestTarget } from "../../src/adapters/shared/request-target.ts";

const base = new URL("https://server.internal:8443");

describe("withRequestTarget", () => {
  const cases: [string, string][] = [
    ["/api/hello?x=1&y=2", "https://server.internal:8443/api/hello?x=1&y=2"],
    ["/", "https://server.internal:8443/"],
    ["//evil.example/steal", "https://server.internal:8443//evil.example/steal"],
    ["/a//b", "https://server.internal:8443/a//b"],
    ["http://evil.example/path?q", "https://server.internal:8443/path?q"],
    ["https://evil.example", "https://server.internal:8443/"],
    ["*", "https://server.internal:8443/*"],
    ["/q?", "https://server.internal:8443/q?"],
  ];
  for (const [target, expected] of cases) {
    test(`${JSON.stringify(target)} → ${expected}`, () => {
      const url = withRequestTarget(base, target);
      expect(url.href).toBe(expected);
      expect(url.origin).toBe(base.origin);
    });
  }

  test("does not change the base URL it is given", () => {
    withRequestTarget(base, "/other");
    expect(base.href).toBe("https://server.internal:8443/");
  });
});
