// One source from several: the workload's X.509-SVID from one source, the bundles peers are
// verified with from a list of bundle sources (go-spiffe passes these as two arguments to
// tlsconfig.MTLSServerConfig; our servers and clients take one `source`).
import { ConfigError } from "../errors/config-error.ts";
import { InvalidArgumentError } from "../errors/invalid-argument-error.ts";
import { describeType } from "../lib/describe-type.ts";
import type { TrustDomain } from "../spiffeid/trust-domain.ts";
import type { X509SvidSource } from "../svid/x509/x509-svid-source.ts";
import { adoptJwtBundle, adoptX509Bundle } from "./adopt-bundle.ts";
import { type JwtBundleSource, type JwtBundleSourceLike, jwtBundleLookup } from "./jwt-bundle-source.ts";
import type { JwtBundle } from "./jwt-bundle.ts";
import { type X509BundleSource, type X509BundleSourceLike, x509BundleLookup } from "./x509-bundle-source.ts";
import type { X509Bundle } from "./x509-bundle.ts";

/**
 * What {@link combineSources} combines.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface CombineSourcesInit {
  /** Where the workload's own X.509-SVID comes from (usually an `X509Source`); rotation is followed through its `onUpdate`. */
  readonly svid?: X509SvidSource;
  /**
   * The bundle sources, asked in this order: for each trust domain the first one that has a
   * bundle of the wanted kind answers (list your own source first if it should win).
   * Each must have `getX509BundleForTrustDomain`, `getJwtBundleForTrustDomain` or
   * `getForTrustDomain`: an `X509Source`, `BundleSource`, `FederatedBundleSource`,
   * `BundleSet`, a bundle, or your own object.
   */
  readonly bundles: readonly (X509BundleSourceLike | JwtBundleSourceLike)[];
}

/**
 * A bundle source made of several: `getX509BundleForTrustDomain` and
 * `getJwtBundleForTrustDomain` ask each source in order.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface CombinedBundleSource extends X509BundleSource, JwtBundleSource {
  /**
   * Calls `listener` after an update of any combined source that announces its updates
   * (`onUpdate`: an `X509Source`, `BundleSource`, `FederatedBundleSource`, …); returns the
   * unsubscribe function. Servers and clients follow it to retire connections verified
   * with an older bundle.
   */
  onUpdate(listener: () => void): () => void;
}

/**
 * A combined source that also holds the workload's X.509-SVID: what `serveMtls`,
 * `createMtlsClient` and every other SPIFFE server or client take as `source`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export interface CombinedSource extends CombinedBundleSource, X509SvidSource {
  /** Calls `listener` after an update (rotation) of the SVID source or of any bundle source that announces its updates; returns the unsubscribe function. */
  onUpdate(listener: () => void): () => void;
}

/**
 * Combines the workload's SVID with bundles from more than one place, e.g. the Workload
 * API's own bundles and a {@link FederatedBundleSource} for a partner whose bundle comes
 * from its bundle endpoint rather than from SPIRE. For each trust domain the first source
 * in `bundles` that has a bundle answers; a source that throws stops the lookup with its
 * error (the peer is refused, never verified against a later source instead). What a
 * source returns is checked as always (only a bundle of exactly the asked trust domain is
 * used).
 *
 * @example mTLS with your own trust domain (SPIRE) and a partner's (bundle endpoint)
 * ```ts
 * import { authorizeMemberOf, combineSources, FederatedBundleSource } from "@spiffe-ts/sdk";
 * import { httpsSpiffe, serveMtls, X509Source } from "@spiffe-ts/sdk/node";
 * const mine = await X509Source.create();
 * const partners = await FederatedBundleSource.create([
 *   { trustDomain: "partner.example", url: "https://bundles.partner.example/", profile: "https_web" },
 * ]);
 * await serveMtls({
 *   source: combineSources({ svid: mine, bundles: [mine, partners] }),
 *   authorizer: authorizeMemberOf("partner.example"),
 *   fetch: () => new Response("hello, partner"),
 * });
 * ```
 * @throws {ConfigError} when `svid` has no `getX509Svid()` or `bundles` is empty or holds something that is not a bundle source.
 */
export function combineSources(init: CombineSourcesInit & { readonly svid: X509SvidSource }): CombinedSource;
/**
 * Without `svid`: only the bundles, combined (a bundle source for `verifyX509Svid`,
 * `JwtSvid.parseAndValidate`, `requireJwtSvid`, …), asked in order as above.
 *
 * @example JWT-SVIDs of your own trust domain and a partner's
 * ```ts
 * import { combineSources, JwtSvid } from "@spiffe-ts/sdk";
 * declare const jwtSource: import("@spiffe-ts/sdk").JwtBundleSource;
 * declare const partners: import("@spiffe-ts/sdk").FederatedBundleSource;
 * declare const token: string;
 * const bundles = combineSources({ bundles: [jwtSource, partners] });
 * const svid = await JwtSvid.parseAndValidate(token, bundles, "spiffe://example.org/api");
 * ```
 * @throws {ConfigError} when `bundles` is empty or holds something that is not a bundle source.
 */
export function combineSources(init: CombineSourcesInit): CombinedBundleSource;
export function combineSources(init: CombineSourcesInit): CombinedBundleSource | CombinedSource {
  if (typeof init !== "object" || init === null) throw new InvalidArgumentError("options", `combineSources needs { svid?, bundles: [...] }, got ${describeType(init)}`);
  const { svid, bundles } = init;
  if (!Array.isArray(bundles) || bundles.length === 0) {
    throw new ConfigError("bundles", "must be a non-empty array of bundle sources (an X509Source, FederatedBundleSource, BundleSet, bundle, …)");
  }
  const x509 = lookups(bundles, x509BundleLookup, adoptJwtBundle);
  const jwt = lookups(bundles, jwtBundleLookup, adoptX509Bundle);
  bundles.forEach((_, i) => {
    if (!x509[i] && !jwt[i]) throw new ConfigError(`bundles[${i}]`, "is not a bundle source: it needs getX509BundleForTrustDomain(td), getJwtBundleForTrustDomain(td) or getForTrustDomain(td)");
  });
  if (svid !== undefined && (typeof svid !== "object" || svid === null || typeof svid.getX509Svid !== "function")) {
    throw new ConfigError("svid", "must provide getX509Svid(), e.g. an X509Source from X509Source.create()");
  }
  const announcing = [...new Set<unknown>([svid, ...bundles])].filter((s): s is { onUpdate(listener: () => void): () => void } =>
    typeof s === "object" && s !== null && typeof (s as { onUpdate?: unknown }).onUpdate === "function");
  const combined: CombinedBundleSource = {
    getX509BundleForTrustDomain: (td) => firstAnswer(x509, td) as X509Bundle | undefined,
    getJwtBundleForTrustDomain: (td) => firstAnswer(jwt, td) as JwtBundle | undefined,
    onUpdate: (listener) => {
      // each source once (the SVID source is usually also a bundle source); no arguments passed on
      const stops = announcing.map((source) => source.onUpdate(() => listener()));
      return () => stops.forEach((stop) => stop());
    },
  };
  if (svid === undefined) return combined;
  return { ...combined, getX509Svid: () => svid.getX509Svid() };
}

type Lookup = (td: TrustDomain) => unknown;

/**
 * Each source's lookup of one kind, or undefined where the source has none. `otherKind`
 * recognises a bundle of the other kind: a generic `getForTrustDomain` that answers with one
 * has no bundle of this kind for that trust domain.
 */
function lookups(sources: readonly unknown[], lookupOf: (source: unknown) => Lookup, otherKind: (value: unknown) => unknown): (Lookup | undefined)[] {
  return sources.map((source) => {
    let get: Lookup;
    try {
      get = lookupOf(source);
    } catch {
      return undefined; // not a source of this kind
    }
    return (td) => {
      const found = get(td);
      return found !== null && found !== undefined && otherKind(found) !== undefined ? undefined : found;
    };
  });
}

/** The first non-empty answer, unchecked (the caller's resolve step checks it). */
function firstAnswer(sources: readonly (Lookup | undefined)[], td: TrustDomain): unknown {
  for (const get of sources) {
    const found = get?.(td);
    if (found !== undefined && found !== null) return found;
  }
  return undefined;
}
