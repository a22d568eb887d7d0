import { SpiffeError } from "./spiffe-error.ts";

/** Why options given to a server, client or source were refused. */
export type ConfigErrorCode = "ERR_CONFIG_INVALID_OPTION";

/**
 * Options were refused when a server, client or source was created (not later, at the
 * first request). `option` names the offending option, e.g. `"timeouts.idleMs"`.
 *
 * Exported from `@spiffe-ts/sdk`.
 */
export class ConfigError extends SpiffeError<ConfigErrorCode> {
  /** The option that was refused. */
  readonly option: string;

  /**
   * Creates the error for a refused option.
   *
   * @param option The refused option, e.g. `"timeouts.idleMs"`.
   * @param message What is wrong with it and what is accepted.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super("ERR_CONFIG_INVALID_OPTION", `invalid option "${option}": ${message}`, options);
    this.option = option;
  }
}
