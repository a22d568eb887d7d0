import { describe, expect, test } from "bun:test";
import { isDnsName } from "../../../../src/core/lib/x509/general-names.ts";

/** The rule as RFC 1034 §3.5 / RFC 1123 state it, written the obvious way: the reference for the one-pass check. */
function reference(name: string, wildcard: boolean): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  return labels.every((label, i) => (wildcard && i === 0 && label === "*" && labels.length > 1) || /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

describe("isDnsName (preferred name syntax)", () => {
  const cases: [string, boolean, boolean][] = [
    ["example.org", false, true],
    ["a", false, true],
    ["1-2.example", false, true],
    ["xn--bcher-kva.example", false, true],
    ["*.example.org", true, true],
    ["*.example.org", false, false],
    ["*", true, false],
    ["*.", true, false],
    ["*.*.example", true, false],
    ["a.*.example", true, false],
    ["-a.example", false, false],
    ["a-.example", false, false],
    ["a..example", false, false],
    [".example", false, false],
    ["example.", false, false],
    ["exa_mple.org", false, false],
    ["exa mple.org", false, false],
    ["bücher.example", false, false],
    ["", false, false],
    [`${"a".repeat(63)}.org`, false, true],
    [`${"a".repeat(64)}.org`, false, false],
    [Array.from({ length: 127 }, () => "a").join("."), false, true], // 253 characters
    [`${Array.from({ length: 127 }, () => "a").join(".")}b`, false, false], // 254
  ];
  test("accepts and refuses what the syntax says (labels, hyphens, wildcard, lengths)", () => {
    for (const [name, wildcard, expected] of cases) {
      expect([name, wildcard, isDnsName(name, wildcard)]).toEqual([name, wildcard, expected]);
      expect([name, wildcard, reference(name, wildcard)]).toEqual([name, wildcard, expected]);
    }
  });

  test("agrees with the reference on 20,000 random names over the characters that matter", () => {
    const alphabet = ["a", "Z", "0", "9", "-", ".", "*", "_", " ", "é"];
    let seed = 20261206;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let name = "";
      const length = next(12);
      for (let j = 0; j < length; j++) name += alphabet[next(alphabet.length)];
      for (const wildcard of [false, true]) expect([name, wildcard, isDnsName(name, wildcard)]).toEqual([name, wildcard, reference(name, wildcard)]);
    }
  });
});
