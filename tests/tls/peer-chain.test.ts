// The chain the SDK verifies is the chain the peer sent: what each runtime's reader
// (RuntimeProfile.readPeerChain, the one serveMtls and createMtlsClient use) and the portable
// reader return on real sockets, on the server's side and on the client's, for a leaf alone,
// a leaf with its intermediate, and a peer that sent nothing.
import { beforeAll, describe, expect, test } from "bun:test";
import { connect, createServer, type TLSSocket } from "node:tls";
import { bunProfile } from "../../src/adapters/bun/profile.ts";
import { denoProfile } from "../../src/adapters/deno/profile.ts";
import { nodeProfile } from "../../src/adapters/node/profile.ts";
import { type PeerChainReader, peerChainOf } from "../../src/tls/peer-chain.ts";
import { runtime } from "../support/runtime-entry.ts";
import { createCa, issueLeaf, type TestCa, type TestCert, toPem } from "../support/test-pki.ts";
import { hex } from "./tls-fixtures.ts";

const profile = { bun: bunProfile, deno: denoProfile, node: nodeProfile }[runtime];

let root: TestCa;
let inter: TestCa;
let leafOfRoot: TestCert;
let leafOfInter: TestCert;
beforeAll(async () => {
  root = await createCa({ trustDomain: "example.org" });
  inter = await createCa({ parent: root });
  leafOfRoot = await issueLeaf(root, { uriSans: ["spiffe://example.org/a"] });
  leafOfInter = await issueLeaf(inter, { uriSans: ["spiffe://example.org/b"] });
});

interface Read {
  /** What the reader returned on the server's socket (the client's chain). */
  server: string[];
  /** What the reader returned on the client's socket (the server's chain). */
  client: string[];
}

/**
 * One connection in which both ends present `sent` (DER, in this order; the client presents
 * nothing when `clientSends` is false) and `read` runs on each end's socket once the handshake
 * completed, as the SDK's post-handshake step does.
 */
async function readBothEnds(leaf: TestCert, sent: Uint8Array[], read: PeerChainReader, clientSends = true): Promise<Read> {
  const pem = sent.map((der) => toPem("CERTIFICATE", der)).join("");
  const result: Partial<Read> = {};
  const server = createServer({ key: leaf.privateKeyPem, cert: pem, requestCert: true, rejectUnauthorized: false }, (socket) => {
    result.server = read(socket).map(hex);
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve, reject) => {
      const socket: TLSSocket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...(clientSends ? { key: leaf.privateKeyPem, cert: pem } : {}) });
      socket.once("secureConnect", () => (result.client = read(socket).map(hex)));
      socket.on("data", () => {});
      socket.once("error", reject);
      socket.once("close", () => resolve());
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { server: result.server ?? ["(never read)"], client: result.client ?? ["(never read)"] };
}

const readers: [string, PeerChainReader][] = [
  [`the ${runtime} profile's reader`, profile.readPeerChain],
  ["the portable reader (getPeerCertificate(true))", peerChainOf],
];

for (const [name, reader] of readers) describe(name, () => {
  test("a leaf alone: exactly that leaf, on both ends", async () => {
    const read = await readBothEnds(leafOfRoot, [leafOfRoot.der], reader);
    expect(read).toEqual({ server: [hex(leafOfRoot.der)], client: [hex(leafOfRoot.der)] });
  });

  test("a leaf and its intermediate: both, leaf first, on both ends", async () => {
    const read = await readBothEnds(leafOfInter, [leafOfInter.der, inter.der], reader);
    const sent = [hex(leafOfInter.der), hex(inter.der)];
    expect(read).toEqual({ server: sent, client: sent });
  });

  test("a client that sent no certificate: an empty chain on the server", async () => {
    const read = await readBothEnds(leafOfRoot, [leafOfRoot.der], reader, false);
    expect(read.server).toEqual([]);
    expect(read.client).toEqual([hex(leafOfRoot.der)]);
  });
});
