/**
 * `@spiffe-ts/sdk/config`: configuration for SPIFFE services from environment variables and
 * a YAML or JSON file, validated at start-up with every problem listed at once. A separate
 * entry so that `@spiffe-ts/sdk` stays free of the YAML parser and schema validator, which are
 * optional peer dependencies: install `valibot` (and `yaml` for YAML files) to use
 * `loadConfig`; without them it throws `MissingDependencyError` naming the package.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@spiffe-ts/sdk/config";
 * const config = await loadConfig(); // SPIFFE_TS_CONFIG, SPIFFE_ENDPOINT_SOCKET, SPIFFE_TS_LISTEN, …
 * ```
 *
 * @module
 */
export { CONFIG_ENV, loadConfig } from "./load-config.ts";
export type { ConfigEnvKind, LoadConfigOptions, SpiffeConfig } from "./load-config.ts";
export type { PeerPolicy } from "./peer-policy.ts";
export { ConfigLoadError } from "./config-load-error.ts";
export type { ConfigProblem } from "./config-load-error.ts";
export type { ListenAddress } from "./listen-address.ts";
export { MissingDependencyError } from "../core/errors/missing-dependency-error.ts";
export type { MissingDependencyErrorCode } from "../core/errors/missing-dependency-error.ts";
