// Bun's peer-chain reader (src/adapters/bun/session-peer-chain.ts): the certificates of a
// BoringSSL session, as sent, and getPeerCertificate(true) whenever the session does not hold
// them in that form. The form is built here field by field (ssl_asn1.cc) so that every runtime
// runs these; on Bun, the last test reads a real session.
import { Buffer } from "node:buffer";
import { beforeAll, describe, expect, test } from "bun:test";
import { connect, createServer, type DetailedPeerCertificate } from "node:tls";
import { peerChainFromSession } from "../../src/adapters/bun/session-peer-chain.ts";
import { runtime } from "../support/runtime-entry.ts";
import { concatBytes, createCa, issueLeaf, type TestCa, type TestCert, toPem } from "../support/test-pki.ts";
import { hex } from "./mtls-fixtures.ts";

/** One DER element: tag, definite length, content. */
function der(tag: number, ...content: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concatBytes(...content);
  const n = body.byteLength;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concatBytes(new Uint8Array([tag, ...length]), body);
}
const int = (n: number): Uint8Array => der(0x02, new Uint8Array([n]));
const octets = (...bytes: number[]): Uint8Array => der(0x04, new Uint8Array(bytes));
const SECRET = Array.from({ length: 48 }, (_, i) => i + 1);

/** A serialized SSL_SESSION in BoringSSL's form with the given optional fields after the required ones. */
function session(...fields: Uint8Array[]): Buffer<ArrayBuffer> {
  return Buffer.from(der(0x30, int(1), der(0x02, new Uint8Array([0x03, 0x04])), octets(0x13, 0x01), octets(), octets(...SECRET), der(0xa1, int(100)), ...fields));
}
const peerField = (cert: Uint8Array): Uint8Array => der(0xa3, cert);
const chainField = (...certs: Uint8Array[]): Uint8Array => der(0xb3, ...certs);

/** What getPeerCertificate(true) answers: the leaf and its issuers as linked objects. */
function detailed(chain: Uint8Array[]): DetailedPeerCertificate {
  const objects = chain.map((c) => ({ raw: Buffer.from(c) }) as DetailedPeerCertificate);
  objects.forEach((o, i) => (o.issuerCertificate = objects[i + 1] ?? o));
  return objects[0] ?? ({} as DetailedPeerCertificate);
}

interface FakeSocket {
  getSession(): Buffer<ArrayBuffer> | undefined;
  getPeerCertificate(detailed: true): DetailedPeerCertificate;
  getPeerCertificate(detailed?: boolean): DetailedPeerCertificate;
  /** How often getPeerCertificate was called. */
  fallbacks: number;
}
function socketWith(sessionBytes: Buffer<ArrayBuffer> | undefined, peerCertificates: Uint8Array[] = []): FakeSocket {
  const fake: FakeSocket = {
    fallbacks: 0,
    getSession: () => sessionBytes,
    getPeerCertificate: () => {
      fake.fallbacks++;
      return detailed(peerCertificates);
    },
  };
  return fake;
}

let root: TestCa;
let inter: TestCa;
let leaf: TestCert;
beforeAll(async () => {
  root = await createCa({ trustDomain: "example.org" });
  inter = await createCa({ parent: root });
  leaf = await issueLeaf(inter, { uriSans: ["spiffe://example.org/w"] });
});

describe("peerChainFromSession", () => {
  test("reads the leaf from field [3] and the rest from field [19], in the order sent", () => {
    const socket = socketWith(session(peerField(leaf.der), der(0x84, octets(1)), chainField(inter.der, root.der)));
    expect(peerChainFromSession(socket).map(hex)).toEqual([leaf.der, inter.der, root.der].map(hex));
    expect(socket.fallbacks).toBe(0);
  });

  test("a leaf alone (no field [19])", () => {
    const socket = socketWith(session(peerField(leaf.der)));
    expect(peerChainFromSession(socket).map(hex)).toEqual([hex(leaf.der)]);
    expect(socket.fallbacks).toBe(0);
  });

  test("zeroes the session bytes it read (they hold the session's secret); the certificates it returns are copies", () => {
    const bytes = session(peerField(leaf.der), chainField(inter.der));
    const chain = peerChainFromSession(socketWith(bytes));
    expect(bytes.every((b) => b === 0)).toBe(true);
    expect(chain.map(hex)).toEqual([leaf.der, inter.der].map(hex));
  });

  const fallbacks: [string, () => Buffer<ArrayBuffer> | undefined][] = [
    ["no session", () => undefined],
    ["a session without the leaf (a peer that sent none, or only its hash kept: field [13])", () => session(der(0x8d, new Uint8Array(32)))],
    ["a session with a chain but no leaf", () => session(chainField(inter.der))],
    ["a truncated session", () => session(peerField(leaf.der), chainField(inter.der)).subarray(0, 200)],
    ["a leaf field that is not one certificate", () => session(der(0xa3, leaf.der, inter.der))],
    ["a chain field holding something else than certificates", () => session(peerField(leaf.der), chainField(inter.der, octets(1, 2)))],
    ["an indefinite length", () => Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00])],
    ["not a SEQUENCE", () => Buffer.from(octets(1, 2, 3))],
  ];
  for (const [name, bytes] of fallbacks) {
    test(`${name}: reads getPeerCertificate(true) instead`, () => {
      const socket = socketWith(bytes(), [leaf.der, inter.der]);
      expect(peerChainFromSession(socket).map(hex)).toEqual([leaf.der, inter.der].map(hex));
      expect(socket.fallbacks).toBe(1);
    });
  }

  test("no session and no certificate: an empty chain", () => {
    expect(peerChainFromSession(socketWith(undefined, []))).toEqual([]);
  });

  // Bun's node:tls hands out BoringSSL sessions; Node's (OpenSSL) and Deno's have none to
  // read after a TLS 1.3 handshake without tickets, so this runs where the form is real.
  if (runtime === "bun") {
    test("on Bun: a real session holds the chain the client sent (no getPeerCertificate call); zeroing leaves the socket's session intact", async () => {
      const pem = [leaf.der, inter.der].map((d) => toPem("CERTIFICATE", d)).join("");
      let read: string[] | undefined;
      let readAgain: string[] | undefined;
      const server = createServer({ key: leaf.privateKeyPem, cert: pem, requestCert: true, rejectUnauthorized: false }, (socket) => {
        const counted = { getSession: () => socket.getSession(), getPeerCertificate: (): never => { throw new Error("getPeerCertificate called"); } };
        read = peerChainFromSession(counted).map(hex);
        readAgain = peerChainFromSession(counted).map(hex);
        socket.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as { port: number }).port;
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port, key: leaf.privateKeyPem, cert: pem, rejectUnauthorized: false });
        socket.on("data", () => {});
        socket.once("error", reject);
        socket.once("close", () => resolve());
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect(read).toEqual([leaf.der, inter.der].map(hex));
      expect(readAgain).toEqual(read);
    });
  }
});
