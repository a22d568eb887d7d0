// One representative bad call per former "bad argument" spelling (ERR_BUNDLE_INVALID_ARGUMENT,
// ERR_JWT_SVID_INVALID_ARGUMENT, ERR_X509_SVID_INVALID_ARGUMENT, ERR_WORKLOAD_API_BAD_REQUEST,
// ERR_FEDERATION_INVALID_ARGUMENT, ERR_CONFIG_INVALID_OPTION, and the testing entry's
// ERR_TESTING_OPTIONS): each is now ERR_INVALID_ARGUMENT
// with the class the rule gives it (ConfigError for a factory's options, InvalidArgumentError
// otherwise) and the argument it names; a positional argument is never a ConfigError. Plus the
// mTLS client's typed errors, through the entry of the runtime running the test (the
// connection errors of every SDK client: tests/adapters/connection-errors.test.ts).
import { describe, expect, test } from "bun:test";
import {
  authorizeAny,
  authorizeId,
  BundleSet,
  ConfigError,
  fetchBundle,
  InvalidArgumentError,
  JwtBundle,
  JwtSvid,
  MtlsClientError,
  SpiffeError,
  verifyX509Svid,
  watchBundle,
  X509Bundle,
} from "../../../mod.ts";
import { FakeX509Source } from "../../../src/testing/fake-x509-source.ts";
import { createTestCa } from "../../../src/testing/mod.ts";
import { X509Svid } from "../../../src/core/svid/x509/x509-svid.ts";
import { expectInvalidArgument } from "../../support/rejection.ts";
import { runtimeEntry } from "../../support/runtime-entry.ts";

const ca = await createTestCa({ trustDomain: "example.org" });
const issued = await ca.issueX509Svid({ id: "spiffe://example.org/client" });
const source = new FakeX509Source({ svid: await X509Svid.parse(issued.certificatesPem, issued.privateKeyPem), bundles: [ca.x509Bundle] });

/** [former code, the call, the class it must be, the argument it must name]. */
const cases: Array<[string, () => unknown, typeof InvalidArgumentError, string]> = [
  ["ERR_BUNDLE_INVALID_ARGUMENT", () => new BundleSet([42 as unknown as X509Bundle]), InvalidArgumentError, "bundles"],
  ["ERR_BUNDLE_INVALID_ARGUMENT", () => JwtBundle.fromKeys("example.org", null as never), InvalidArgumentError, "keys"],
  ["ERR_JWT_SVID_INVALID_ARGUMENT", () => JwtSvid.parseAndValidate("a.b.c", ca.jwtBundle, ""), InvalidArgumentError, "audience"],
  ["ERR_JWT_SVID_INVALID_ARGUMENT", () => JwtSvid.parseInsecure(7 as unknown as string), InvalidArgumentError, "token"],
  ["ERR_X509_SVID_INVALID_ARGUMENT", () => verifyX509Svid(issued.certificates, ca.x509Bundle, { now: new Date(Number.NaN) }), InvalidArgumentError, "options.now"],
  ["ERR_X509_SVID_INVALID_ARGUMENT", () => verifyX509Svid(issued.certificates, {} as X509Bundle), InvalidArgumentError, "bundleSource"],
  ["ERR_WORKLOAD_API_BAD_REQUEST", () => new runtimeEntry.WorkloadApiClient({ address: "unix:///nonexistent/agent.sock" }).fetchJwtSvid({ audience: "" }), InvalidArgumentError, "options.audience"],
  ["ERR_WORKLOAD_API_BAD_REQUEST", () => new runtimeEntry.WorkloadApiClient({ address: "unix:///nonexistent/agent.sock", backoff: { multiplier: 0 } }), ConfigError, "backoff.multiplier"],
  ["ERR_FEDERATION_INVALID_ARGUMENT", () => fetchBundle("https://bundles.example/", { trustDomain: "example.org", profile: "https_web", timeoutMs: -1 }), InvalidArgumentError, "options.timeoutMs"],
  ["ERR_FEDERATION_INVALID_ARGUMENT", () => watchBundle("https://bundles.example/", { trustDomain: "example.org", profile: "https_web", maxRefreshMs: 0 }), ConfigError, "maxRefreshMs"],
  ["ERR_TESTING_OPTIONS", () => createTestCa({ trustDomain: "example.org", keyAlg: "P-521" as "P-256" }), ConfigError, "keyAlg"],
  ["ERR_TESTING_OPTIONS", () => ca.issueX509Svid({ id: "spiffe://example.org/web", ttlMs: 0 }), InvalidArgumentError, "options.ttlMs"],
  ["ERR_CONFIG_INVALID_OPTION", () => runtimeEntry.createMtlsClient({ source, authorizer: authorizeAny(), timeoutMs: -1 }), ConfigError, "timeoutMs"],
  ["ERR_CONFIG_INVALID_OPTION", () => runtimeEntry.serveMtls({ source, authorizer: authorizeAny(), fetch: () => new Response(), port: -1 }), ConfigError, "port"],
];

describe("bad arguments: one code, ERR_INVALID_ARGUMENT, naming the argument", () => {
  for (const [former, call, type, argument] of cases) {
    test(`formerly ${former}: ${type.name} naming "${argument}"`, async () => {
      const err = await expectInvalidArgument(call, argument, type);
      expect(err).toBeInstanceOf(SpiffeError);
      expect(err.name).toBe(type.name);
      if (err instanceof ConfigError) expect(err.option).toBe(argument);
      else expect(err).not.toBeInstanceOf(ConfigError);
    });
  }

  test("instanceof InvalidArgumentError catches ConfigError, also from another copy of the package", () => {
    const KINDS = Symbol.for("@spiffe-ts/sdk/error-kinds");
    class ForeignConfigError extends Error {
      readonly code = "ERR_INVALID_ARGUMENT";
      get [KINDS](): string[] {
        return ["ConfigError", "InvalidArgumentError", "SpiffeError"];
      }
    }
    expect(new ForeignConfigError("x") instanceof InvalidArgumentError).toBe(true);
    expect(new ForeignConfigError("x") instanceof ConfigError).toBe(true);
    expect(new ConfigError("port", "must be a port") instanceof InvalidArgumentError).toBe(true);
    expect(new InvalidArgumentError("token", "must be a string") instanceof ConfigError).toBe(false);
  });

  test("a message says what was given, never the value (a token here)", async () => {
    const secret = "eyJhbGciOiJFUzI1NiJ9.c2VjcmV0.c2ln";
    const err = await expectInvalidArgument(() => JwtSvid.parseAndValidate(secret, { getForTrustDomain: 1 } as never, "api"), "bundleSource");
    expect(err.message).not.toContain(secret);
    expect(err.message).toContain("got Object");
  });
});

describe("a positional argument is an InvalidArgumentError, never a ConfigError (that is for a member of a factory's options)", () => {
  const good = { source, authorizer: authorizeAny() };
  const positional: Array<[string, () => unknown, string]> = [
    ["attachSpiffe(server)", () => runtimeEntry.attachSpiffe({} as never, good), "server"],
    ["attachSpiffe(server, options)", () => runtimeEntry.attachSpiffe({} as never, null as never), "options"],
    ["connectMtls(host)", () => runtimeEntry.connectMtls("", 443, good), "host"],
    ["connectMtls(host, port)", () => runtimeEntry.connectMtls("127.0.0.1", 0, good), "port"],
    ["createConnectFetchHandler(routes)", () => runtimeEntry.createConnectFetchHandler(null as never), "routes"],
    ["serveGrpcMtls(grpc)", () => runtimeEntry.serveGrpcMtls({} as never, {} as never, good), "grpc"],
    ["createServerTlsOptions(source)", () => runtimeEntry.createServerTlsOptions({} as never, authorizeAny()), "source"],
    ["serveMtls(options)", () => runtimeEntry.serveMtls(null as never), "options"],
    ["createMtlsClient(options)", () => runtimeEntry.createMtlsClient(7 as never), "options"],
  ];
  for (const [call, fn, argument] of positional) {
    test(`${call}: InvalidArgumentError naming "${argument}"`, async () => {
      const err = await expectInvalidArgument(fn, argument);
      expect(err.name).toBe("InvalidArgumentError");
      expect(err).not.toBeInstanceOf(ConfigError);
    });
  }
});

describe("createMtlsClient fails only with typed errors", () => {
  test("a closed client: MtlsClientError ERR_MTLS_CLIENT_CLOSED", async () => {
    const client = runtimeEntry.createMtlsClient({ source, authorizer: authorizeAny() });
    await client.close();
    const err = await client.get("https://127.0.0.1:1/").then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MtlsClientError);
    expect(err).toMatchObject({ name: "MtlsClientError", code: "ERR_MTLS_CLIENT_CLOSED" });
  });

  test("a server that refuses our SVID hangs up: MtlsClientError ERR_MTLS_CLIENT_SERVER_CLOSED", async () => {
    const serverIssued = await ca.issueX509Svid({ id: "spiffe://example.org/server" });
    const serverSource = new FakeX509Source({ svid: await X509Svid.parse(serverIssued.certificatesPem, serverIssued.privateKeyPem), bundles: [ca.x509Bundle] });
    const server = await runtimeEntry.serveMtls({ source: serverSource, authorizer: authorizeId("spiffe://example.org/someone-else"), port: 0, hostname: "127.0.0.1", fetch: () => new Response("hi") });
    try {
      for (const http2 of [false, true]) {
        const client = runtimeEntry.createMtlsClient({ source, authorizer: authorizeAny(), http2 });
        try {
          const err = await client.get(server.url).then(() => undefined, (e: unknown) => e);
          expect({ http2, err }).toMatchObject({ http2, err: { name: "MtlsClientError", code: "ERR_MTLS_CLIENT_SERVER_CLOSED" } });
        } finally {
          await client.close();
        }
      }
    } finally {
      await server.close();
    }
  });

  test("a bad URL, headers or JSON body: InvalidArgumentError naming input, init or body", async () => {
    const client = runtimeEntry.createMtlsClient({ source, authorizer: authorizeAny() });
    try {
      await expectInvalidArgument(client.get("no url at all"), "input");
      await expectInvalidArgument(client.get("http://127.0.0.1:1/"), "input");
      await expectInvalidArgument(client.get("https://127.0.0.1:1/", { headers: { "a b": "c" } }), "init");
      const circular: Record<string, unknown> = {};
      circular["self"] = circular;
      await expectInvalidArgument(client.post("https://127.0.0.1:1/", circular), "body");
    } finally {
      await client.close();
    }
  });
});
