import { ConfigError } from "../core/errors/config-error.ts";

/** One thing wrong with a configuration: where (`path`, e.g. `"timeouts.idle-ms"`) and what. */
export interface ConfigProblem {
  /** Dotted path of the field in the configuration file (or `""` for the file as a whole). */
  readonly path: string;
  /** What was wrong and what was expected; names the environment variable or file it came from. */
  readonly message: string;
}

/**
 * A configuration was refused by `loadConfig`; `problems` lists every problem found, not
 * only the first. Code `ERR_INVALID_ARGUMENT` (it is a `ConfigError`).
 *
 * Exported from `@spiffe-ts/sdk/config`.
 *
 * @example
 * ```ts
 * import { ConfigLoadError, loadConfig } from "@spiffe-ts/sdk/config";
 * try {
 *   await loadConfig();
 * } catch (err) {
 *   if (err instanceof ConfigLoadError) for (const p of err.problems) console.error(`${p.path}: ${p.message}`);
 * }
 * ```
 */
export class ConfigLoadError extends ConfigError {
  /** Every problem found, in schema key order. Never empty. */
  readonly problems: readonly ConfigProblem[];

  /**
   * Creates the error from every problem `loadConfig` found.
   *
   * @param problems Every problem found; the first names the error's `option`.
   * @param options `cause`: the underlying error, if one problem came from one.
   */
  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super(problems[0]?.path || "(config)", `${problems.length} problem(s):\n${problems.map((p) => `  - ${p.path || "(config)"}: ${p.message}`).join("\n")}`, options);
    this.problems = problems;
  }
}
