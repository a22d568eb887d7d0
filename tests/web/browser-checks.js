// The checks run against the browser bundle of @spiffe-ts/sdk (mod.ts bundled with esbuild
// --platform=browser): in headless Chromium and in a Deno Worker without permissions. Plain
// JavaScript, so the page and the worker load it as is. `sdk` is the bundle's namespace,
// `fx` the fixtures the test CA made for this run; each check returns a detail or throws.

/** Runs every check; resolves to [{ name, ok, detail }]. */
export async function runChecks(sdk, fx) {
  const td = fx.trustDomain;
  const x509Bundle = sdk.X509Bundle.parse(td, fx.bundlePem);
  const jwtBundle = sdk.JwtBundle.parse(td, fx.jwks);

  /** Resolves to the error's code when `promise` rejects with an instance of `type`, else throws. */
  async function rejectsWith(promise, type) {
    try {
      await promise;
    } catch (err) {
      if (err instanceof type) return err.code;
      throw new Error(`rejected with ${err?.name}: ${err?.message}, not a ${type.name}`);
    }
    throw new Error("was accepted");
  }

  const checks = {
    "an X.509-SVID chain (leaf, intermediate) verifies against the X.509 bundle": async () => {
      const { id, verifiedChain } = await sdk.verifyX509Svid(fx.chainPem, x509Bundle);
      if (id.toString() !== fx.x509Id) throw new Error(`id ${id}`);
      return `${id} (${verifiedChain.length} certificates)`;
    },
    "an X.509-SVID of another CA is rejected": async () => {
      const code = await rejectsWith(sdk.verifyX509Svid(fx.foreignChainPem, x509Bundle), sdk.X509SvidError);
      if (!code.startsWith("ERR_X509_SVID_")) throw new Error(code);
      return code;
    },
    "a JWT-SVID validates against the JWT bundle": async () => {
      const svid = await sdk.JwtSvid.parseAndValidate(fx.token, jwtBundle, fx.audience);
      if (svid.id.toString() !== fx.jwtId) throw new Error(`id ${svid.id}`);
      return `${svid.id} for ${svid.audience.join(",")}`;
    },
    "a tampered JWT-SVID (payload changed, signature kept) is rejected": async () => {
      const code = await rejectsWith(sdk.JwtSvid.parseAndValidate(fx.tamperedToken, jwtBundle, fx.audience), sdk.JwtSvidError);
      if (code !== "ERR_JWT_SVID_SIGNATURE") throw new Error(code);
      return code;
    },
    "a SPIFFE bundle (JWKS) gives both bundles; a BundleSet serves them": async () => {
      const set = new sdk.BundleSet([sdk.SpiffeBundle.parse(td, fx.spiffeBundle)]);
      const { id } = await sdk.verifyX509Svid(fx.chainPem, set);
      const svid = await sdk.JwtSvid.parseAndValidate(fx.token, set, fx.audience);
      return `${id}, ${svid.id}`;
    },
    "the Workload API client without a transport refuses with a ConfigError": async () => {
      try {
        new sdk.WorkloadApiClient();
      } catch (err) {
        if (err instanceof sdk.ConfigError && err.option === "transport") return err.code;
        throw err;
      }
      throw new Error("was accepted");
    },
  };

  const results = [];
  for (const [name, check] of Object.entries(checks)) {
    try {
      results.push({ name, ok: true, detail: String(await check()) });
    } catch (err) {
      results.push({ name, ok: false, detail: String(err?.stack ?? err) });
    }
  }
  return results;
}
