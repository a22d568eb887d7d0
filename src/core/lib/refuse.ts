// Which error a refused value gets, by where it came from (the rule of InvalidArgumentError):
// a member of a factory's options object is a ConfigError, any other argument an
// InvalidArgumentError. Checks shared by both take one of these. Internal.
import { ConfigError } from "../errors/config-error.ts";
import { InvalidArgumentError } from "../errors/invalid-argument-error.ts";

/** Makes the error for the refused value `name`; `message` says what is wrong and what fits. */
export type Refuse = (name: string, message: string) => InvalidArgumentError;

/** A member of a factory's options object: `ConfigError` naming it. */
export const refuseOption: Refuse = (name, message) => new ConfigError(name, message);

/** A positional argument: `InvalidArgumentError` naming it. */
export const refuseArgument: Refuse = (name, message) => new InvalidArgumentError(name, `${name} ${message}`);
