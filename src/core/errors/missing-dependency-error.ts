import { SpiffeError } from "./spiffe-error.ts";

/** Why a feature could not load: an optional package it needs is not installed. */
export type MissingDependencyErrorCode = "ERR_MISSING_DEPENDENCY";

/**
 * A feature needs an optional package that is not installed (e.g. `loadConfig` from
 * `@spiffe-ts/sdk/config` needs `valibot`, and `yaml` for YAML files; `enableTelemetry()`
 * without providers needs `@opentelemetry/api`). `dependency` names the package; the
 * message says how to install it.
 *
 * Exported from `@spiffe-ts/sdk` (and the runtime entries) and `@spiffe-ts/sdk/config`.
 *
 * @example
 * ```ts
 * import { loadConfig, MissingDependencyError } from "@spiffe-ts/sdk/config";
 * try {
 *   await loadConfig();
 * } catch (err) {
 *   if (err instanceof MissingDependencyError) console.error(`npm install ${err.dependency}`);
 * }
 * ```
 */
export class MissingDependencyError extends SpiffeError<MissingDependencyErrorCode> {
  /** The package to install, e.g. `"valibot"`. */
  readonly dependency: string;

  /**
   * Creates the error naming the package to install.
   *
   * @param dependency The package to install, with its supported version range, e.g. `"valibot@^1.5.0"`.
   * @param feature What needs it, e.g. `"loadConfig (@spiffe-ts/sdk/config)"`.
   * @param options `cause`: the runtime's module-not-found error.
   */
  constructor(dependency: string, feature: string, options?: { cause?: unknown }) {
    const name = dependency.replace(/(.)@.*$/, "$1");
    super("ERR_MISSING_DEPENDENCY", `${feature} needs the package "${name}", which is not installed: npm install ${dependency} (Deno: deno add npm:${dependency})`, options);
    this.dependency = name;
  }
}
