import { describe, expect, test } from "bun:test";
import { decodeBoolean, decodeOid, decodeSmallInteger, decodeTime, DerError, DerReader, inside } from "../../../src/core/lib/der-reader.ts";

const bytes = (...b: number[]): Uint8Array<ArrayBuffer> => new Uint8Array(b);
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const readAll = (b: Uint8Array<ArrayBuffer>): void => {
  const r = new DerReader(b);
  r.read();
  r.end();
};

describe("DerReader", () => {
  test("reads nested elements, short and long lengths", () => {
    const long = new Uint8Array(200).fill(7);
    const r = new DerReader(bytes(0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa, 0x04, 0x81, 200, ...long));
    const seq = r.read(0x30);
    const octets = r.read(0x04);
    r.end();
    expect(octets.value.length).toBe(200);
    expect(octets.tlv.length).toBe(203);
    const s = inside(seq);
    expect(s.read(0x02).value).toEqual(bytes(0x05));
    expect(s.readOptional(0x01)).toBeUndefined();
    expect(s.readOptional(0x04)?.value).toEqual(bytes(0xaa));
    expect(s.done).toBe(true);
  });

  test("rejects what DER forbids or what is cut short", () => {
    const bad = [
      bytes(0x30, 0x80, 0x00, 0x00), // indefinite length
      bytes(0x04, 0x81, 0x05, 1, 2, 3, 4, 5), // long form for a short length
      bytes(0x04, 0x82, 0x00, 0x85, ...new Uint8Array(0x85)), // leading zero length octet
      bytes(0x04, 0x05, 1, 2), // runs past the end
      bytes(0x1f, 0x81, 0x01, 0x00), // multi-byte tag
      bytes(0x04, 0x00, 0x00), // trailing data
      bytes(0x04),
      bytes(),
    ];
    for (const b of bad) expect(() => readAll(b)).toThrow(DerError);
    const inner = new DerReader(bytes(0x30, 0x02, 0x04, 0x05, 0x00)); // child longer than its parent
    expect(() => inside(inner.read(0x30)).read()).toThrow(DerError);
    expect(() => new DerReader(bytes(0x02, 0x01, 0x00)).read(0x30)).toThrow(DerError);
  });
});

describe("DER primitives", () => {
  test("OBJECT IDENTIFIER", () => {
    expect(decodeOid(bytes(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02))).toBe("1.2.840.10045.4.3.2");
    expect(decodeOid(bytes(0x55, 0x1d, 0x11))).toBe("2.5.29.17");
    expect(decodeOid(bytes(0x88, 0x37))).toBe("2.999");
    expect(() => decodeOid(bytes())).toThrow(DerError);
    expect(() => decodeOid(bytes(0x2a, 0x86))).toThrow(DerError); // unfinished arc
    expect(() => decodeOid(bytes(0x2a, 0x80, 0x01))).toThrow(DerError); // non-minimal arc
  });

  test("OBJECT IDENTIFIER read in place (DerReader.readOid): repeated, over 512 distinct ones, and malformed every time", () => {
    const oidElement = (...contents: number[]): Uint8Array<ArrayBuffer> => bytes(0x06, contents.length, ...contents);
    const readOid = (b: Uint8Array<ArrayBuffer>): string => {
      const r = new DerReader(b);
      const oid = r.readOid();
      r.end();
      return oid;
    };
    for (let i = 0; i < 3; i++) expect(readOid(oidElement(0x55, 0x1d, 0x11))).toBe("2.5.29.17");
    // 1.3.6.1.4.1.n for n = 0..599: more distinct OIDs than are kept decoded.
    for (let n = 0; n < 600; n++) {
      const arc = n < 128 ? [n] : [0x80 | (n >> 7), n & 0x7f];
      expect(readOid(oidElement(0x2b, 0x06, 0x01, 0x04, 0x01, ...arc))).toBe(`1.3.6.1.4.1.${n}`);
    }
    expect(readOid(oidElement(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02))).toBe("1.2.840.10045.4.3.2");
    for (let i = 0; i < 2; i++) {
      expect(() => readOid(oidElement(0x2a, 0x86))).toThrow(DerError);
      expect(() => readOid(oidElement(0x2a, 0x80, 0x01))).toThrow(DerError);
      expect(() => readOid(oidElement())).toThrow(DerError);
    }
    expect(() => new DerReader(bytes(0x04, 0x01, 0x2a)).readOid()).toThrow(DerError); // not an OID
  });

  test("BOOLEAN (DER: 0x00 or 0xFF only)", () => {
    expect(decodeBoolean(bytes(0xff))).toBe(true);
    expect(decodeBoolean(bytes(0x00))).toBe(false);
    expect(() => decodeBoolean(bytes(0x01))).toThrow(DerError);
    expect(() => decodeBoolean(bytes(0xff, 0x00))).toThrow(DerError);
  });

  test("small non-negative INTEGER", () => {
    expect(decodeSmallInteger(bytes(0x00))).toBe(0);
    expect(decodeSmallInteger(bytes(0x00, 0x80))).toBe(128);
    expect(decodeSmallInteger(bytes(0x7f, 0xff, 0xff, 0xff))).toBe(0x7fffffff);
    expect(decodeSmallInteger(bytes(0x00, 0x80, 0x00, 0x00, 0x00))).toBeUndefined(); // 2^31
    expect(decodeSmallInteger(bytes(0xff))).toBeUndefined(); // -1
    expect(() => decodeSmallInteger(bytes(0x00, 0x05))).toThrow(DerError); // non-minimal
    expect(() => decodeSmallInteger(bytes(0xff, 0x80))).toThrow(DerError); // non-minimal negative
    expect(() => decodeSmallInteger(bytes())).toThrow(DerError);
  });

  test("validity times in the RFC 5280 forms", () => {
    const time = (tag: number, s: string): Date => {
      const r = new DerReader(bytes(tag, s.length, ...ascii(s)));
      return decodeTime(r.read());
    };
    expect(time(0x17, "491231235959Z").toISOString()).toBe("2049-12-31T23:59:59.000Z");
    expect(time(0x17, "500101000000Z").toISOString()).toBe("1950-01-01T00:00:00.000Z");
    expect(time(0x18, "20500101000000Z").toISOString()).toBe("2050-01-01T00:00:00.000Z");
    expect(time(0x18, "00050101000000Z").toISOString()).toBe("0005-01-01T00:00:00.000Z");
    for (const [tag, s] of [
      [0x17, "4912312359Z"], // no seconds
      [0x17, "491231235959+0100"], // offset
      [0x18, "20500101000000.5Z"], // fraction
      [0x18, "20250230000000Z"], // 30 February
      [0x18, "20250101240000Z"], // hour 24
      [0x04, "20250101000000Z"], // not a time
    ] as const) {
      expect(() => time(tag, s)).toThrow(DerError);
    }
  });
});
