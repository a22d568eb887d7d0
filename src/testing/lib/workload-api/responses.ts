// Response building of the development Workload API server: SVIDs issued by the test CA (kept
// until a rotation), the CA's and the federated bundles, JWT-SVIDs, and the keys that
// ValidateJWTSVID checks against.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type JWTBundlesResponse,
  JWTBundlesResponseSchema,
  type JWTSVIDResponse,
  JWTSVIDResponseSchema,
  type X509BundlesResponse,
  X509BundlesResponseSchema,
  type X509SVIDResponse,
  X509SVIDResponseSchema,
} from "../../../../gen/workload_pb.ts";
import { JwtBundle } from "../../../core/bundle/jwt-bundle.ts";
import { X509Bundle } from "../../../core/bundle/x509-bundle.ts";
import type { IssuedX509Svid, TestCa } from "../../test-ca.ts";
import type { FederatedBundle } from "../../workload-api-types.ts";
import { concatBytes } from "../concat-bytes.ts";
import type { AnyJwk } from "../jws.ts";
import type { SelectedWorkload } from "./workload-selection.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";

/** Builds every response from the test CA and the federated bundles. */
export class ResponseBuilder {
  readonly #ca: TestCa;
  readonly #svidTtlMs: number;
  readonly #jwtSvidTtlMs: number;
  #issued = new Map<string, Promise<IssuedX509Svid>>();
  #federated: readonly FederatedBundle[] = [];
  #unsubscribeFederated: (() => void)[] = [];

  constructor(ca: TestCa, svidTtlMs: number, jwtSvidTtlMs: number) {
    this.#ca = ca;
    this.#svidTtlMs = svidTtlMs;
    this.#jwtSvidTtlMs = jwtSvidTtlMs;
  }

  get federatedBundles(): readonly FederatedBundle[] {
    return this.#federated;
  }

  /** Replaces the federated bundles; `onChange` is called when a federated test CA rotates. */
  setFederatedBundles(bundles: readonly FederatedBundle[], onChange: () => void): void {
    if (!Array.isArray(bundles) || bundles.some((b) => !isFederatedBundle(b))) {
      throw new InvalidArgumentError("federatedBundles", "federated bundles must be an array of TestCa, X509Bundle or JwtBundle");
    }
    this.dispose();
    this.#federated = [...bundles];
    this.#unsubscribeFederated = this.#federated.flatMap((b) => (b instanceof X509Bundle || b instanceof JwtBundle ? [] : [b.onChange(onChange)]));
  }

  /** Forgets the issued SVIDs and issues new ones for `workloads`. */
  async rotate(workloads: readonly SelectedWorkload[]): Promise<void> {
    this.#issued = new Map();
    await Promise.all(workloads.map((w) => this.#issue(w)));
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribeFederated) unsubscribe();
    this.#unsubscribeFederated = [];
  }

  async x509Svid(workloads: readonly SelectedWorkload[]): Promise<X509SVIDResponse> {
    if (workloads.length === 0) throw noIdentity();
    const svids = await Promise.all(workloads.map((w) => this.#issue(w)));
    const bundle = concatBytes(this.#ca.x509Authorities);
    return create(X509SVIDResponseSchema, {
      svids: svids.map((s) => ({ spiffeId: s.id.toString(), x509Svid: concatBytes(s.certificates), x509SvidKey: s.privateKey, bundle, hint: s.hint ?? "" })),
      federatedBundles: this.#federatedX509(),
    });
  }

  async x509Bundles(workloads: readonly SelectedWorkload[]): Promise<X509BundlesResponse> {
    if (workloads.length === 0) throw noIdentity();
    return create(X509BundlesResponseSchema, {
      bundles: { ...this.#federatedX509(), [this.#ca.trustDomain.idString()]: concatBytes(this.#ca.x509Authorities) },
    });
  }

  async jwtBundles(workloads: readonly SelectedWorkload[]): Promise<JWTBundlesResponse> {
    if (workloads.length === 0) throw noIdentity();
    const bundles: Record<string, Uint8Array> = {};
    for (const [td, json] of this.#federatedJwks()) bundles[td] = standardJwks(json);
    bundles[this.#ca.trustDomain.idString()] = standardJwks(this.#ca.jwksJson());
    return create(JWTBundlesResponseSchema, { bundles });
  }

  async jwtSvids(workloads: readonly SelectedWorkload[], audience: readonly string[]): Promise<JWTSVIDResponse> {
    if (workloads.length === 0) throw noIdentity();
    const svids = await Promise.all(
      workloads.map(async (w) => {
        const jwt = await this.#ca.issueJwtSvid({ id: w.id, audience, ttlMs: this.#jwtSvidTtlMs });
        return { spiffeId: jwt.id.toString(), svid: jwt.token, hint: w.hint ?? "" };
      }),
    );
    return create(JWTSVIDResponseSchema, { svids });
  }

  /** The JWT keys of `trustDomainId` that ValidateJWTSVID uses (federated ones only when `federated`). */
  jwtKeysFor(trustDomainId: string, federated: boolean): readonly AnyJwk[] | undefined {
    const own = trustDomainId === this.#ca.trustDomain.idString();
    const json = own ? this.#ca.jwksJson() : federated ? this.#federatedJwks().get(trustDomainId) : undefined;
    if (json === undefined) return undefined;
    const parsed = JSON.parse(json) as { keys?: unknown };
    return Array.isArray(parsed.keys) ? (parsed.keys as AnyJwk[]) : [];
  }

  #issue(w: SelectedWorkload): Promise<IssuedX509Svid> {
    const key = JSON.stringify([w.id.toString(), w.hint ?? null, w.dnsSans ?? []]);
    let svid = this.#issued.get(key);
    if (!svid) {
      svid = this.#ca.issueX509Svid({
        id: w.id,
        ttlMs: this.#svidTtlMs,
        ...(w.hint === undefined ? {} : { hint: w.hint }),
        ...(w.dnsSans === undefined ? {} : { dnsSans: w.dnsSans }),
      });
      this.#issued.set(key, svid);
      svid.catch(() => this.#issued.delete(key));
    }
    return svid;
  }

  #federatedX509(): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const b of this.#federated) {
      if (b instanceof JwtBundle) continue;
      out[b.trustDomain.idString()] = concatBytes(b instanceof X509Bundle ? b.authorities : b.x509Authorities);
    }
    return out;
  }

  #federatedJwks(): Map<string, string> {
    const out = new Map<string, string>();
    for (const b of this.#federated) {
      if (b instanceof X509Bundle) continue;
      out.set(b.trustDomain.idString(), b instanceof JwtBundle ? b.toJson() : b.jwksJson());
    }
    return out;
  }
}

/** PermissionDenied, as SPIRE answers a caller without identity. */
export function noIdentity(): ConnectError {
  return new ConnectError("no identity issued", Code.PermissionDenied);
}

/** A JWKS as SPIRE serves it on the Workload API: `keys` only, without the SPIFFE `use` member. */
function standardJwks(json: string): Uint8Array {
  const parsed = JSON.parse(json) as { keys?: unknown };
  const keys = Array.isArray(parsed.keys) ? (parsed.keys as Record<string, unknown>[]).map(({ use: _use, ...jwk }) => jwk) : [];
  return new TextEncoder().encode(JSON.stringify({ keys }));
}

function isFederatedBundle(b: unknown): b is FederatedBundle {
  if (b instanceof X509Bundle || b instanceof JwtBundle) return true;
  return typeof b === "object" && b !== null && typeof (b as TestCa).issueX509Svid === "function" && typeof (b as TestCa).onChange === "function";
}
