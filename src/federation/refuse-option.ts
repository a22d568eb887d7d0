// How the federation functions report a refused option (internal). `fetchBundle` is a call:
// its options are arguments (InvalidArgumentError naming `options.<name>`); `watchBundle`,
// `FederatedBundleSource.create`, `createBundleEndpointHandler` and `httpsSpiffe` create
// something: their options are configuration (ConfigError naming `<name>`).
import { ConfigError } from "../core/errors/config-error.ts";
import { InvalidArgumentError } from "../core/errors/invalid-argument-error.ts";

/** Makes the error for the refused option `name`: what is wrong and what is accepted. */
export type RefuseOption = (name: string, message: string, cause?: unknown) => InvalidArgumentError;

/** For a call's options (`fetchBundle`): `InvalidArgumentError` naming `options.<name>`. */
export const refuseArgument: RefuseOption = (name, message, cause) =>
  new InvalidArgumentError(`options.${name}`, `options.${name}: ${message}`, cause === undefined ? undefined : { cause });

/** For a factory's options (`watchBundle`, …): `ConfigError` naming `<name>`. */
export const refuseOption: RefuseOption = (name, message, cause) => new ConfigError(name, message, cause === undefined ? undefined : { cause });
