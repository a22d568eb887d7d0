// Option errors of createServerTlsConfig and createClientTlsConfig (and of the runtime
// entries' functions built on them): each is a ConfigError naming the option, raised at
// creation, before anything listens or dials.
import { beforeAll, describe, expect, test } from "bun:test";
import { authorizeAny, ConfigError } from "../../mod.ts";
import { FakeX509Source } from "../../src/testing/fake-x509-source.ts";
import { runtimeEntry } from "../support/runtime-entry.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { createTlsPki, SERVER_ID, sourceOf, type TlsPki } from "./tls-fixtures.ts";
const { connectMtls, createClientTlsConfig, createMtlsClient, createServerTlsConfig, serveMtls } = runtimeEntry;

let pki: TlsPki;
let source: FakeX509Source;
let bundlesOnly: FakeX509Source;
beforeAll(async () => {
  pki = await createTlsPki();
  source = await sourceOf(pki, SERVER_ID);
  bundlesOnly = new FakeX509Source({ bundles: [pki.bundle] });
});

/** The ConfigError `f` throws (synchronously or as a rejection). */
async function configErrorOf(f: () => unknown): Promise<ConfigError> {
  let error: unknown;
  try {
    const made = (await f()) as { close?: () => unknown } | undefined;
    await made?.close?.(); // accepted by mistake: do not leave a server or client running
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const e = error as ConfigError;
  expect(e.code).toBe("ERR_INVALID_ARGUMENT");
  expect(e.message).toContain(`"${e.option}"`);
  return e;
}

describe("createServerTlsConfig", () => {
  test("each invalid option is a ConfigError naming it", async () => {
    const cases: [string, unknown, string][] = [
      ["bad mode", { mode: "mTLS", source, authorizer: authorizeAny() }, "mode"],
      ["empty mode", { mode: "", source, authorizer: authorizeAny() }, "mode"],
      ["non-string mode", { mode: 1, source, authorizer: authorizeAny() }, "mode"],
      ["mtls without authorizer", { source }, "authorizer"],
      ["mtls with a non-function authorizer", { source, authorizer: "spiffe://example.org/client" }, "authorizer"],
      ["mtls-web without authorizer", { mode: "mtls-web", source: bundlesOnly, certificate: pki.web }, "authorizer"],
      ["mtls without source", { authorizer: authorizeAny() }, "source"],
      ["mtls with a bundle-only source", { source: pki.bundle, authorizer: authorizeAny() }, "source"],
      ["tls without source", { mode: "tls" }, "source"],
      ["an authorizer in tls (it would never run)", { mode: "tls", source, authorizer: authorizeAny() }, "authorizer"],
      ["mtls-web with an SVID-only source", { mode: "mtls-web", source: { getX509Svid: () => source.getX509Svid() }, certificate: pki.web, authorizer: authorizeAny() }, "source"],
      ["certificate in mtls", { source, authorizer: authorizeAny(), certificate: pki.web }, "certificate"],
      ["certificate in tls", { mode: "tls", source, certificate: pki.web }, "certificate"],
      ["mtls-web without certificate", { mode: "mtls-web", source: bundlesOnly, authorizer: authorizeAny() }, "certificate"],
      ["mtls-web with a certificate that is not PEM", { mode: "mtls-web", source: bundlesOnly, authorizer: authorizeAny(), certificate: { key: "key", cert: "cert" } }, "certificate"],
      ["mtls-web with a key only", { mode: "mtls-web", source: bundlesOnly, authorizer: authorizeAny(), certificate: { key: pki.web.key } }, "certificate"],
      ["mtls-web with a source whose getCertificate() gives nothing", { mode: "mtls-web", source: bundlesOnly, authorizer: authorizeAny(), certificate: { getCertificate: () => undefined } }, "certificate"],
      ["mtls-web with a source whose getCertificate() throws", { mode: "mtls-web", source: bundlesOnly, authorizer: authorizeAny(), certificate: { getCertificate: () => { throw new Error("no"); } } }, "certificate"],
      ["empty ALPNProtocols", { source, authorizer: authorizeAny(), ALPNProtocols: [] }, "ALPNProtocols"],
      ["ALPNProtocols as a string", { source, authorizer: authorizeAny(), ALPNProtocols: "h2" }, "ALPNProtocols"],
    ];
    for (const [what, options, option] of cases) {
      const error = await configErrorOf(() => createServerTlsConfig(options as never));
      expect(`${what}: ${error.option}`).toBe(`${what}: ${option}`);
    }
  });

  test("no options object: an InvalidArgumentError naming options, not a ConfigError", async () => {
    expect(await expectInvalidArgument(() => createServerTlsConfig(undefined as never), "options")).not.toBeInstanceOf(ConfigError);
  });

  test("a valid config per mode, and the option each mode does not need may be left out", () => {
    const configs = [
      createServerTlsConfig({ source, authorizer: authorizeAny() }),
      createServerTlsConfig({ mode: "tls", source: { getX509Svid: () => source.getX509Svid() } }), // no bundles, no authorizer
      createServerTlsConfig({ mode: "mtls-web", source: pki.bundle, authorizer: authorizeAny(), certificate: pki.web }), // no SVID
    ];
    expect(configs.map((c) => [c.mode, c.authenticatesClients, c.options.requestCert])).toEqual([
      ["mtls", true, true],
      ["tls", false, false],
      ["mtls-web", true, true],
    ]);
    for (const c of configs) c.close();
  });

  test("a source without an SVID now: the source's own error, not a ConfigError; nothing keeps following the source", async () => {
    const empty = new FakeX509Source({ bundles: [pki.bundle] });
    let subscribed = 0;
    const counting = {
      getX509Svid: () => empty.getX509Svid(),
      getX509BundleForTrustDomain: (td: string) => empty.getX509BundleForTrustDomain(td),
      onUpdate(listener: () => void): () => void {
        subscribed++;
        const off = empty.onUpdate(listener);
        return () => {
          subscribed--;
          off();
        };
      },
    };
    const lost: Error[] = [];
    let error: unknown;
    try {
      createServerTlsConfig({ source: counting, authorizer: authorizeAny(), onIdentityLost: (e) => void lost.push(e) });
    } catch (err) {
      error = err;
    }
    expect(error).not.toBeInstanceOf(ConfigError);
    expect((error as { code?: string }).code).toBe("ERR_TESTING_NO_SVID");
    // the server was never made: no listener left on the source, no loss reported for it later
    expect(subscribed).toBe(0);
    empty.setX509Svid(source.getX509Svid());
    empty.setX509Svid(undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(lost).toEqual([]);
  });
});

describe("createClientTlsConfig", () => {
  test("each invalid option is a ConfigError naming it", async () => {
    const cases: [string, unknown, string][] = [
      ["bad mode", { mode: "https", source, authorizer: authorizeAny() }, "mode"],
      ["mtls without authorizer", { source }, "authorizer"],
      ["tls without authorizer", { mode: "tls", source: bundlesOnly }, "authorizer"],
      ["mtls without source", { authorizer: authorizeAny() }, "source"],
      ["tls with an SVID-only source", { mode: "tls", source: { getX509Svid: () => source.getX509Svid() }, authorizer: authorizeAny() }, "source"],
      ["mtls-web without source", { mode: "mtls-web" }, "source"],
      ["mtls-web with a bundle-only source", { mode: "mtls-web", source: pki.bundle }, "source"],
      ["an authorizer in mtls-web (it would never run)", { mode: "mtls-web", source, authorizer: authorizeAny() }, "authorizer"],
      ["ca in mtls", { source, authorizer: authorizeAny(), ca: pki.webCa.pem }, "ca"],
      ["ca in tls", { mode: "tls", source: bundlesOnly, authorizer: authorizeAny(), ca: pki.webCa.pem }, "ca"],
      ["ca that is not PEM", { mode: "mtls-web", source, ca: "webCa" }, "ca"],
      ["empty ca list", { mode: "mtls-web", source, ca: [] }, "ca"],
      ["ca list with a non-string", { mode: "mtls-web", source, ca: [pki.webCa.pem, 3] }, "ca"],
      ["ca as bytes", { mode: "mtls-web", source, ca: new TextEncoder().encode(pki.webCa.pem) }, "ca"],
      ["ca as a private key", { mode: "mtls-web", source, ca: pki.web.key }, "ca"],
    ];
    for (const [what, options, option] of cases) {
      const error = await configErrorOf(() => createClientTlsConfig(options as never));
      expect(`${what}: ${error.option}`).toBe(`${what}: ${option}`);
    }
  });

  test("no options object: an InvalidArgumentError naming options, not a ConfigError", async () => {
    expect(await expectInvalidArgument(() => createClientTlsConfig(null as never), "options")).not.toBeInstanceOf(ConfigError);
  });

  test("valid configs per mode: tls needs no SVID, mtls-web no bundles, authorizer nor ca", () => {
    const configs = [
      createClientTlsConfig({ source, authorizer: authorizeAny() }),
      createClientTlsConfig({ mode: "tls", source: pki.bundle, authorizer: authorizeAny() }),
      createClientTlsConfig({ mode: "mtls-web", source: { getX509Svid: () => source.getX509Svid() } }),
      createClientTlsConfig({ mode: "mtls-web", source, ca: [pki.webCa.pem, pki.otherWebCa.pem] }),
    ];
    expect(configs.map((c) => c.mode)).toEqual(["mtls", "tls", "mtls-web", "mtls-web"]);
    expect(configs.map((c) => c.currentCredentials() !== undefined)).toEqual([true, false, true, true]);
    for (const c of configs) c.close();
  });
});

describe("the runtime entries report the same options", () => {
  test("serveMtls: mode, authorizer, certificate (also one given outside mtls-web)", async () => {
    const base = { port: 0, hostname: "127.0.0.1", fetch: () => new Response("x") };
    expect((await configErrorOf(() => serveMtls({ ...base, mode: "mTLS", source, authorizer: authorizeAny() } as never))).option).toBe("mode");
    expect((await configErrorOf(() => serveMtls({ ...base, source } as never))).option).toBe("authorizer");
    expect((await configErrorOf(() => serveMtls({ ...base, mode: "mtls-web", source: bundlesOnly, authorizer: authorizeAny() } as never))).option).toBe("certificate");
    expect((await configErrorOf(() => serveMtls({ ...base, mode: "mtls", source, authorizer: authorizeAny(), certificate: pki.web } as never))).option).toBe("certificate");
    expect((await configErrorOf(() => serveMtls({ ...base, mode: "tls", source, certificate: pki.web } as never))).option).toBe("certificate");
    expect((await configErrorOf(() => serveMtls({ ...base, mode: "tls", source, authorizer: authorizeAny() } as never))).option).toBe("authorizer");
  });

  test("createMtlsClient and connectMtls: mode, authorizer, ca", async () => {
    expect((await configErrorOf(() => createMtlsClient({ mode: "web", source, authorizer: authorizeAny() } as never))).option).toBe("mode");
    expect((await configErrorOf(() => createMtlsClient({ mode: "tls", source: bundlesOnly } as never))).option).toBe("authorizer");
    expect((await configErrorOf(() => createMtlsClient({ mode: "mtls-web", source, ca: "nope" }))).option).toBe("ca");
    expect((await configErrorOf(() => createMtlsClient({ mode: "mtls-web", source, authorizer: authorizeAny() } as never))).option).toBe("authorizer");
    expect((await configErrorOf(() => connectMtls("127.0.0.1", 1, { mode: "tls", source: bundlesOnly, authorizer: authorizeAny(), ca: pki.webCa.pem } as never))).option).toBe("ca");
    expect((await configErrorOf(() => connectMtls("127.0.0.1", 1, { mode: "mtls-web", source, ca: [] }))).option).toBe("ca");
    expect((await configErrorOf(() => connectMtls("127.0.0.1", 1, { mode: "bad" as never, source, authorizer: authorizeAny() }))).option).toBe("mode");
  });
});
