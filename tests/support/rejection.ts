// Assertions on rejections shared by the tests.
import { expect } from "bun:test";
import { InvalidArgumentError } from "../../src/core/errors/invalid-argument-error.ts";
import { SpiffeError } from "../../src/core/errors/spiffe-error.ts";

/** Awaits `p` (or calls it), expects it to fail with an instance of `type`, and returns the error. */
export async function rejectionOf<E extends Error>(p: Promise<unknown> | (() => unknown), type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected a rejection with ${type.name}`);
}

/** Expects `p` to fail with a `SpiffeError` of `code`. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  const err = await rejectionOf(p, SpiffeError);
  expect(err.code).toBe(code);
}

/**
 * Expects `p` to fail with an `InvalidArgumentError` (or the subclass `type`, e.g. `ConfigError`)
 * of code `ERR_INVALID_ARGUMENT` that names `argument`; returns the error.
 */
export async function expectInvalidArgument<E extends InvalidArgumentError = InvalidArgumentError>(
  p: Promise<unknown> | (() => unknown),
  argument: string,
  type: abstract new (...args: never[]) => E = InvalidArgumentError as unknown as abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await rejectionOf(p, type);
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err.code).toBe("ERR_INVALID_ARGUMENT");
  expect(err.argument).toBe(argument);
  return err;
}
