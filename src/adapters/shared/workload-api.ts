// The Workload API client and sources of the runtime entries: the root's transport-agnostic
// classes with the default transport (gRPC over node:http2 to SPIFFE_ENDPOINT_SOCKET or the
// address option) filled in, so `X509Source.create()` needs no argument.
import { type BundleSourceOptions, BundleSource as WebBundleSource } from "../../workloadapi/bundle-source.ts";
import { type JwtSourceOptions, JwtSource as WebJwtSource } from "../../workloadapi/jwt-source.ts";
import { WorkloadApiClient as WebWorkloadApiClient, type WorkloadApiClientOptions } from "../../workloadapi/workload-api-client.ts";
import { type X509SourceOptions, X509Source as WebX509Source } from "../../workloadapi/x509-source.ts";
import { connectWorkloadApi } from "./workload-api-transport.ts";

/** `options` with the default transport when none is given (anything else passes unchanged, to be refused by the class). */
function withDefaultTransport<O extends WorkloadApiClientOptions>(options: O): O {
  if (typeof options !== "object" || options === null || options.transport !== undefined) return options;
  return { ...options, transport: connectWorkloadApi };
}

/**
 * The Workload API client (see the root's `WorkloadApiClient` for every method), connecting
 * by default to `address` or `SPIFFE_ENDPOINT_SOCKET` over gRPC on `node:http2` (a Unix
 * socket or TCP), the same on Node.js, Bun and Deno.
 *
 * Exported from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @example
 * ```ts
 * import { WorkloadApiClient } from "@spiffe-ts/sdk/node";
 * await using client = new WorkloadApiClient(); // SPIFFE_ENDPOINT_SOCKET
 * const { defaultSvid } = await client.fetchX509Context();
 * ```
 */
export class WorkloadApiClient extends WebWorkloadApiClient {
  /**
   * A client of the Workload API at `options.address` (default `SPIFFE_ENDPOINT_SOCKET`)
   * over this runtime's node:http2 transport, unless `options.transport` is given.
   *
   * @throws {WorkloadApiError} an `ERR_WORKLOAD_API_ADDRESS_*` code when the address (or
   *   `SPIFFE_ENDPOINT_SOCKET`) is missing or invalid.
   * @throws {ConfigError} `ERR_INVALID_ARGUMENT` naming a refused option.
   */
  constructor(options: WorkloadApiClientOptions = {}) {
    super(withDefaultTransport(options));
  }
}

/**
 * The workload's live X.509-SVID and bundles (see the root's `X509Source`), connecting by
 * default to `SPIFFE_ENDPOINT_SOCKET` (or `address`) like {@link WorkloadApiClient}.
 *
 * Exported from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @example
 * ```ts
 * import { X509Source } from "@spiffe-ts/sdk/node";
 * await using source = await X509Source.create({ timeoutMs: 30_000 });
 * console.log(source.getX509Svid().id.toString());
 * ```
 */
export class X509Source extends WebX509Source {
  /**
   * Connects to the Workload API and resolves once the first X.509 context arrived.
   *
   * @throws {WorkloadApiError} as the root's `X509Source.create`.
   */
  static override create(options: X509SourceOptions = {}): Promise<X509Source> {
    return super.create(withDefaultTransport(options));
  }
}

/**
 * The workload's JWT-SVIDs and live JWT bundles (see the root's `JwtSource`), connecting by
 * default to `SPIFFE_ENDPOINT_SOCKET` (or `address`) like {@link WorkloadApiClient}.
 *
 * Exported from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @example
 * ```ts
 * import { JwtSource } from "@spiffe-ts/sdk/node";
 * await using source = await JwtSource.create({ timeoutMs: 30_000 });
 * const svid = await source.fetchJwtSvid({ audience: "spiffe://example.org/api" });
 * ```
 */
export class JwtSource extends WebJwtSource {
  /**
   * Connects to the Workload API and resolves once the first JWT bundles arrived.
   *
   * @throws {WorkloadApiError} as the root's `JwtSource.create`.
   */
  static override create(options: JwtSourceOptions = {}): Promise<JwtSource> {
    return super.create(withDefaultTransport(options));
  }
}

/**
 * The live X.509 and JWT bundles the workload trusts (see the root's `BundleSource`),
 * connecting by default to `SPIFFE_ENDPOINT_SOCKET` (or `address`) like {@link WorkloadApiClient}.
 *
 * Exported from `@spiffe-ts/sdk/node`, `/bun` and `/deno`, identically.
 *
 * @example
 * ```ts
 * import { BundleSource } from "@spiffe-ts/sdk/node";
 * await using bundles = await BundleSource.create({ timeoutMs: 30_000 });
 * ```
 */
export class BundleSource extends WebBundleSource {
  /**
   * Connects to the Workload API and resolves once both the X.509 and the JWT bundles arrived.
   *
   * @throws {WorkloadApiError} as the root's `BundleSource.create`.
   */
  static override create(options: BundleSourceOptions = {}): Promise<BundleSource> {
    return super.create(withDefaultTransport(options));
  }
}
