// X509SVIDResponse / X509BundlesResponse → our types, with the Workload API spec's
// "discard the whole message" rule (§4.5) and SVID verification against the response's own
// bundle. Generated types stay in this module's private functions.
import type { X509BundlesResponse, X509SVIDResponse } from "../../gen/workload_pb.ts";
import { X509Bundle } from "../core/bundle/x509-bundle.ts";
import { SpiffeError } from "../core/errors/spiffe-error.ts";
import { WorkloadApiError } from "../core/errors/workload-api-error.ts";
import { bytesEqual } from "../core/lib/bytes.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { verifyX509Svid } from "../core/svid/x509/verify-x509-svid.ts";
import { X509Svid } from "../core/svid/x509/x509-svid.ts";
import { sameByteList, sameByteMap } from "./same-bytes.ts";

/**
 * Everything the Workload API's X.509-SVID stream delivers at one point in time: the
 * workload's X.509-SVIDs, the X.509 bundles of its own trust domain(s) and of federated
 * trust domains, and CRLs (kept, not used for verification).
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export interface X509Context {
  /** All SVIDs, in the agent's order (the first of several with the same hint kept). Never empty. */
  readonly svids: readonly X509Svid[];
  /** The SVID to use: the first one, or the one the `picker` option chose. */
  readonly defaultSvid: X509Svid;
  /** X.509 bundles by trust domain name: own trust domain(s) and federated ones. */
  readonly bundles: ReadonlyMap<string, X509Bundle>;
  /** DER certificate revocation lists as sent by the agent (not used for verification). */
  readonly crls: readonly Uint8Array[];
}

/**
 * Chooses the default SVID among those of a response; `undefined` rejects the response.
 *
 * Exported (as a type) from `@spiffe-ts/sdk`.
 */
export type X509SvidPicker = (svids: readonly X509Svid[]) => X509Svid | undefined;

/** Options for turning a response into an X509Context (internal). */
export interface X509ContextOptions {
  readonly now?: () => Date;
  readonly picker?: X509SvidPicker | undefined;
}

/**
 * Validates and converts one X509SVIDResponse.
 *
 * @throws {WorkloadApiError} `ERR_WORKLOAD_API_BAD_RESPONSE` (the X.509-SVID or bundle
 *   error as `cause`) when any part is missing or invalid.
 */
export async function toX509Context(resp: X509SVIDResponse, options: X509ContextOptions = {}): Promise<X509Context> {
  if (resp.svids.length === 0) throw bad("the response has no SVIDs");
  const now = options.now?.() ?? new Date();
  const own = new Map<string, X509Bundle>();
  const svids: X509Svid[] = [];
  const hints = new Set<string>();
  for (const [i, m] of resp.svids.entries()) {
    const at = `SVID ${i + 1}`;
    if (m.spiffeId === "") throw bad(`${at} has an empty spiffe_id`);
    if (m.x509Svid.length === 0) throw bad(`${at} has an empty x509_svid`);
    if (m.x509SvidKey.length === 0) throw bad(`${at} has an empty x509_svid_key`);
    if (m.bundle.length === 0) throw bad(`${at} has an empty bundle`);
    const id = wrap(`${at}: invalid spiffe_id`, () => SpiffeId.parse(m.spiffeId));
    // The key ↔ certificate check (in X509Svid.parse) and the chain verification each wait on
    // Web Crypto: they run together. Problems are still reported in this order: the SVID, its
    // ID, the bundle, the verification.
    let bundle: X509Bundle | undefined;
    let bundleError: unknown;
    try {
      bundle = X509Bundle.parse(id.trustDomain, m.bundle);
    } catch (err) {
      bundleError = err;
    }
    const trusted = bundle;
    const verifying = trusted && wrapAsync(`${at} (${id}) does not verify against the bundle in the same response`, () => verifyX509Svid(m.x509Svid, trusted, { now }));
    verifying?.catch(() => {}); // awaited below unless an earlier problem is reported
    const svid = await wrapAsync(`${at} (${id})`, () => X509Svid.parse(m.x509Svid, m.x509SvidKey, { hint: m.hint }));
    if (!svid.id.equals(id)) throw bad(`${at}: spiffe_id "${id}" differs from the certificate's URI SAN "${svid.id}"`);
    if (!bundle) throw bad(`${at}: bundle of "${id.trustDomain.name}": ${describe(bundleError)}`, bundleError);
    await verifying;
    if (!own.has(id.trustDomain.name)) own.set(id.trustDomain.name, bundle);
    if (svid.hint !== "" && hints.has(svid.hint)) continue; // spec §5.2.1: the first with a hint wins
    hints.add(svid.hint);
    svids.push(svid);
  }
  const bundles = new Map(own);
  for (const [td, bundle] of parseBundleMap(resp.federatedBundles, "federated bundle")) {
    if (!own.has(td)) bundles.set(td, bundle);
  }
  const picked = options.picker ? wrapPick(options.picker, svids) : svids[0]!;
  return { svids, defaultSvid: picked, bundles, crls: resp.crl.map((c) => c.slice()) };
}

/**
 * Validates and converts one X509BundlesResponse into bundles by trust domain name.
 *
 * @throws {WorkloadApiError} `ERR_WORKLOAD_API_BAD_RESPONSE`.
 */
export function toX509Bundles(resp: X509BundlesResponse): ReadonlyMap<string, X509Bundle> {
  const bundles = parseBundleMap(resp.bundles, "bundle");
  if (bundles.size === 0) throw bad("the response has no bundles");
  return bundles;
}

/** Whether two X509SVIDResponses carry the same content (map order ignored): an unchanged response is not an update. */
export function sameX509SvidResponse(a: X509SVIDResponse, b: X509SVIDResponse): boolean {
  const sameSvids =
    a.svids.length === b.svids.length &&
    a.svids.every((s, i) => {
      const t = b.svids[i]!;
      return s.spiffeId === t.spiffeId && s.hint === t.hint && bytesEqual(s.x509Svid, t.x509Svid) && bytesEqual(s.x509SvidKey, t.x509SvidKey) && bytesEqual(s.bundle, t.bundle);
    });
  return sameSvids && sameByteList(a.crl, b.crl) && sameByteMap(a.federatedBundles, b.federatedBundles);
}

/** Whether two X509BundlesResponses carry the same content (map order ignored). */
export function sameX509BundlesResponse(a: X509BundlesResponse, b: X509BundlesResponse): boolean {
  return sameByteList(a.crl, b.crl) && sameByteMap(a.bundles, b.bundles);
}

function parseBundleMap(map: Record<string, Uint8Array>, what: string): Map<string, X509Bundle> {
  const out = new Map<string, X509Bundle>();
  for (const key of Object.keys(map).sort()) {
    const der = map[key]!;
    const td = wrap(`${what} key ${JSON.stringify(key)} is not a trust domain`, () => TrustDomain.parse(key));
    if (der.length === 0) throw bad(`${what} of "${td.name}" is empty`);
    if (out.has(td.name)) throw bad(`${what} of "${td.name}" appears twice`);
    out.set(td.name, wrap(`${what} of "${td.name}"`, () => X509Bundle.parse(td, der)));
  }
  return out;
}

function wrapPick(picker: X509SvidPicker, svids: readonly X509Svid[]): X509Svid {
  let picked: X509Svid | undefined;
  try {
    picked = picker(svids);
  } catch (err) {
    throw bad(`the picker threw (${describe(err)})`, err);
  }
  if (picked === undefined) throw bad(`the picker chose none of the ${svids.length} SVIDs (${svids.map((s) => `${s.id}${s.hint ? ` hint "${s.hint}"` : ""}`).join(", ")})`);
  if (!svids.includes(picked)) throw bad("the picker returned an SVID that is not in the response");
  return picked;
}

/** `ERR_WORKLOAD_API_BAD_RESPONSE` for a message that must be discarded. */
export function bad(detail: string, cause?: unknown): WorkloadApiError {
  return new WorkloadApiError("ERR_WORKLOAD_API_BAD_RESPONSE", `discarded a Workload API response: ${detail}`, cause === undefined ? undefined : { cause });
}

function describe(err: unknown): string {
  return err instanceof SpiffeError ? `${err.code}: ${err.message}` : err instanceof Error ? `${err.name}: ${err.message}` : typeof err;
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw bad(`${what}: ${describe(err)}`, err);
  }
}

async function wrapAsync<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw bad(`${what}: ${describe(err)}`, err);
  }
}
