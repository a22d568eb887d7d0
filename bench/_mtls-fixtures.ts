// Certificates and authorizers shared by bench/mtls.ts and its memory child (bench/_mtls-memory.ts):
// one test CA with an intermediate, a server and a client X.509-SVID, their PEM forms.
import { Buffer } from "node:buffer";
import { authorizeId, authorizeMemberOf, X509Svid } from "../mod.ts";
import { createTestCa, type TestCa } from "../src/testing/mod.ts";

export const SERVER_ID = "spiffe://example.org/server";
export const CLIENT_ID = "spiffe://example.org/client";

export const ca: TestCa = await createTestCa({ trustDomain: "example.org", intermediate: true });

/** A fresh X.509-SVID for `id` from `issuer`. */
export async function svidOf(issuer: TestCa, id: string): Promise<X509Svid> {
  const issued = await issuer.issueX509Svid({ id });
  return X509Svid.parse(issued.certificates, issued.privateKey);
}

export const serverSvid: X509Svid = await svidOf(ca, SERVER_ID);
export const clientSvid: X509Svid = await svidOf(ca, CLIENT_ID);
export const serverPem: { certificates: string; privateKey: string } = serverSvid.toPem();
export const clientPem: { certificates: string; privateKey: string } = clientSvid.toPem();
export const caPem: string = ca.x509Bundle.toPem();
export const serverAuthz = authorizeMemberOf("example.org");
export const clientAuthz = authorizeId(SERVER_ID);

/** Throws unless `body` is the bench's answer (`{"ok":true,…}`). */
export function checkOk(body: unknown): void {
  if ((body as { ok?: unknown } | null)?.ok !== true) throw new Error("bench: unexpected body");
}

/** Reads a Node response stream (https or http2) to its end and checks it is the bench's answer. */
export function readOk(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    stream.on("data", (c: Uint8Array) => chunks.push(c));
    stream.on("error", reject);
    stream.on("end", () => {
      try {
        checkOk(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });
}
