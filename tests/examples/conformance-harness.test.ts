// The conformance harness (examples/conformance-harness.ts) speaks contract v1 on every
// runtime: readiness lines, the X.509 port, and each control endpoint's envelope.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { authorizeAny, X509Svid } from "../../mod.ts";

import { createTestCa, FakeX509Source, startWorkloadApiServer, type TestCa, type WorkloadApiServer } from "../../src/testing/mod.ts";
import { type ExampleProcess, startExample } from "./example-process.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
const { serveMtls } = runtimeEntry; // the entry of the runtime running the test (its fixes included)

const HARNESS_ID = "spiffe://example.org/harness";
let dir = "";
let ca: TestCa;
let otherCa: TestCa;
let agent: WorkloadApiServer;
let harness: ExampleProcess;
let x509Port = 0;
let controlPort = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "spiffe-ts-harness-"));
  ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
  otherCa = await createTestCa({ trustDomain: "other.org" });
  agent = await startWorkloadApiServer({ socketPath: join(dir, "agent.sock"), ca, workloads: [{ id: HARNESS_ID, hint: "h" }] });
  harness = startExample("examples/conformance-harness.ts", { SPIFFE_ENDPOINT_SOCKET: agent.address });
  await harness.waitFor(/^READY$/m, 30_000);
  x509Port = Number((await harness.waitFor(/^SPIFFE_X509_PORT=(\d+)$/m))[1]);
  controlPort = Number((await harness.waitFor(/^SPIFFE_CONTROL_PORT=(\d+)$/m))[1]);
}, 60_000);

afterAll(async () => {
  await harness?.stop("SIGTERM");
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Connects to the X.509 port with `issuer`'s SVID for `id`; answers what the harness wrote. */
async function presentTo(issuer: TestCa, id: string): Promise<string> {
  const svid = await issuer.issueX509Svid({ id });
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: x509Port, key: svid.privateKeyPem, cert: svid.certificatesPem, rejectUnauthorized: false });
    let data = "";
    socket.on("data", (d: Uint8Array) => (data += new TextDecoder().decode(d)));
    socket.on("error", () => {});
    socket.on("close", () => resolve(data));
  });
}

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: controlPort, method, path, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe("conformance harness (contract v1)", () => {
  test("prints the version and both ports before READY", () => {
    const lines = harness.stdout().trim().split("\n");
    expect(lines.at(-1)).toBe("READY");
    expect(lines.slice(0, -1).sort()).toEqual(["SPIFFE_CONTROL_PORT=" + controlPort, "SPIFFE_HARNESS_VERSION=1", "SPIFFE_X509_PORT=" + x509Port].sort());
  });

  test("X.509 port: a verified client gets its SPIFFE ID back; an unknown trust domain gets nothing", async () => {
    expect(await presentTo(ca, "spiffe://example.org/client")).toBe("spiffe://example.org/client\n");
    expect(await presentTo(otherCa, "spiffe://other.org/client")).toBe("");
  });

  test("/v1/jwt/validate: 200 for a valid token, 422 for a rejected one, 500 for a bad request", async () => {
    const { token } = await ca.issueJwtSvid({ id: "spiffe://example.org/caller", audience: "conformance" });
    const good = await call("POST", "/v1/jwt/validate", { token, audience: "conformance" });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ status: "ok", spiffe_id: "spiffe://example.org/caller", claims: { sub: "spiffe://example.org/caller" } });
    const wrongAudience = await call("POST", "/v1/jwt/validate", { token, audience: "someone-else" });
    expect([wrongAudience.status, wrongAudience.body.status]).toEqual([422, "rejected"]);
    expect((wrongAudience.body.message as string).includes(token)).toBe(false);
    const bad = await call("POST", "/v1/jwt/validate", { token: 42 });
    expect([bad.status, bad.body.status]).toEqual([500, "error"]);
  });

  test("/v1/jwt/fetch: 200 with the SVIDs, 500 for a bad request", async () => {
    const fetched = await call("POST", "/v1/jwt/fetch", { audience: ["a", "b"], spiffe_id: "" });
    expect(fetched.status).toBe(200);
    const svids = fetched.body.svids as Array<{ spiffe_id: string; token: string; hint: string }>;
    expect(svids.map((s) => [s.spiffe_id, s.hint])).toEqual([[HARNESS_ID, "h"]]);
    expect(svids[0]!.token.split(".")).toHaveLength(3);
    const bad = await call("POST", "/v1/jwt/fetch", { audience: "not-a-list" });
    expect([bad.status, bad.body.status]).toEqual([500, "error"]);
  });

  test("/v1/x509/dial: 200 with the server's ID, 422 for an untrusted server, 500 when it cannot connect", async () => {
    const serve = async (issuer: TestCa, id: string) => {
      const issued = await issuer.issueX509Svid({ id });
      const source = new FakeX509Source({ svid: await X509Svid.parse(issued.certificates, issued.privateKey), bundles: [ca.x509Bundle, otherCa.x509Bundle] });
      return serveMtls({ source, authorizer: authorizeAny(), port: 0, hostname: "127.0.0.1", fetch: () => new Response("x") });
    };
    const trusted = await serve(ca, "spiffe://example.org/server");
    const untrusted = await serve(otherCa, "spiffe://other.org/server");
    try {
      const ok = await call("POST", "/v1/x509/dial", { address: `127.0.0.1:${trusted.port}` });
      expect(ok).toEqual({ status: 200, body: { status: "ok", spiffe_id: "spiffe://example.org/server" } });
      const refused = await call("POST", "/v1/x509/dial", { address: `127.0.0.1:${untrusted.port}` });
      expect([refused.status, refused.body.status]).toEqual([422, "rejected"]);
    } finally {
      await trusted.close();
      await untrusted.close();
    }
    const closed = await call("POST", "/v1/x509/dial", { address: `127.0.0.1:${trusted.port}` });
    expect([closed.status, closed.body.status]).toEqual([500, "error"]);
  });

  test("unknown operations are 501 unsupported; /v1/info names the SDK and runtime", async () => {
    expect(await call("POST", "/v1/something/new", {})).toEqual({ status: 501, body: { status: "unsupported" } });
    const info = await call("GET", "/v1/info");
    expect(info.body).toMatchObject({ sdk: "@spiffe-ts/sdk", language: "typescript" });
    expect(["node", "bun", "deno"]).toContain(info.body.runtime);
  });
});
