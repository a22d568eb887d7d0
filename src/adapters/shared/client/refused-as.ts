import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";

/**
 * `make()`, with what it throws (the runtime's `TypeError` from `new Headers`, `new Request`,
 * `JSON.stringify`) refused as an `InvalidArgumentError` naming `argument`, the original as `cause`.
 */
export function refusedAs<T>(argument: string, what: string, make: () => T): T {
  try {
    return make();
  } catch (cause) {
    throw new InvalidArgumentError(argument, `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
