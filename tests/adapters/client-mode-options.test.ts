// Every SPIFFE client factory takes the same options by mode (ClientModeOptions): the type
// checker asks for an `authorizer` where one runs ("mtls", "tls") and refuses one where none
// would ("mtls-web"), and so does the factory at run time (ConfigError naming the option).
// The `@ts-expect-error` lines are checked by `npm test`'s type check: if a type stopped
// refusing, tsc reports the unused directive.
import { describe, expect, test } from "bun:test";
import { authorizeAny, type ClientModeOptions, ConfigError, X509Bundle } from "../../mod.ts";
import { expectInvalidArgument } from "../support/rejection.ts";
import { runtime, runtimeEntry } from "../support/runtime-entry.ts";
import { createPki, sourceFor } from "./mtls-fixtures.ts";
const { connectMtls, createMtlsClient, createSpiffeAgent, createSpiffeDispatcher } = runtimeEntry;

const pki = await createPki();
const source = await sourceFor(pki.inter, "spiffe://example.org/client", [pki.bundle]);
const bundlesOnly = X509Bundle.fromCertificates("example.org", [pki.root.der]);

/** The ConfigError `option` a factory call throws (or rejects with). */
async function refusedOption(call: () => unknown): Promise<string | undefined> {
  try {
    await call();
  } catch (err) {
    return err instanceof ConfigError ? err.option : `not a ConfigError: ${String(err)}`;
  }
  return undefined;
}

describe("ClientModeOptions, shared by createMtlsClient, createSpiffeAgent, createSpiffeDispatcher and connectMtls", () => {
  test('mode "mtls" without an authorizer: a type error, and refused at run time', async () => {
    // @ts-expect-error: mode "mtls" needs an authorizer
    expect(await refusedOption(() => createMtlsClient({ source }))).toBe("authorizer");
    // @ts-expect-error: mode "mtls" needs an authorizer
    expect(await refusedOption(() => createSpiffeAgent({ source }))).toBe("authorizer");
    // @ts-expect-error: mode "mtls" needs an authorizer
    expect(await refusedOption(() => connectMtls("127.0.0.1", 1, { source }))).toBe("authorizer");
    if (runtime !== "bun") {
      // (Bun refuses createSpiffeDispatcher itself: tests/adapters/spiffe-dispatcher.test.ts)
      // @ts-expect-error: mode "mtls" needs an authorizer
      expect(await refusedOption(() => createSpiffeDispatcher({ source }))).toBe("authorizer");
    }
  });

  test('mode "tls" takes a bundle-only source and needs an authorizer', async () => {
    // @ts-expect-error: mode "tls" needs an authorizer
    expect(await refusedOption(() => createSpiffeAgent({ mode: "tls", source: bundlesOnly }))).toBe("authorizer");
    const agent = createSpiffeAgent({ mode: "tls", source: bundlesOnly, authorizer: authorizeAny() });
    agent.destroy();
  });

  test('mode "mtls-web" refuses an authorizer (none would run) and takes ca', async () => {
    // @ts-expect-error: mode "mtls-web" has no authorizer
    expect(await refusedOption(() => createSpiffeAgent({ mode: "mtls-web", source, authorizer: authorizeAny() }))).toBe("authorizer");
    // @ts-expect-error: ca is for mode "mtls-web" only
    expect(await refusedOption(() => connectMtls("127.0.0.1", 1, { source, authorizer: authorizeAny(), ca: "x" }))).toBe("ca");
    createSpiffeAgent({ mode: "mtls-web", source, ca: pki.bundle.toPem() }).destroy();
  });

  test("one ClientModeOptions value serves every client", async () => {
    const identity: ClientModeOptions = { source, authorizer: authorizeAny() };
    const client = createMtlsClient({ ...identity, timeoutMs: 5000 });
    const agent = createSpiffeAgent({ ...identity, maxSockets: 4 });
    await client.close();
    agent.destroy();
    // the options type-check and pass; the positional port is what is refused
    expect(await expectInvalidArgument(connectMtls("127.0.0.1", 0, identity), "port")).not.toBeInstanceOf(ConfigError);
  });
});
