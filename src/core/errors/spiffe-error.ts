const KINDS = Symbol.for("@spiffe-ts/sdk/error-kinds");

/**
 * Base class of every error the SDK throws on purpose. Branch on `code` (stable across
 * releases), not on the message.
 *
 * `instanceof` also works across two copies of the package (npm + JSR, or two versions),
 * because it checks a brand instead of the prototype chain.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example Branching on the code
 * ```ts
 * import { SpiffeError, SpiffeId } from "@spiffe-ts/sdk";
 * try {
 *   SpiffeId.parse("spiffe://Example.org/web");
 * } catch (err) {
 *   if (err instanceof SpiffeError) console.log(err.code); // "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS"
 * }
 * ```
 */
export class SpiffeError<Code extends string = string> extends Error {
  /** Stable machine-readable code, e.g. `ERR_SPIFFE_ID_WRONG_SCHEME`. */
  readonly code: Code;

  /**
   * Creates an SDK error with its stable `code`.
   *
   * @param code The stable machine-readable code, e.g. `ERR_SPIFFE_ID_WRONG_SCHEME`.
   * @param message What failed, for people.
   * @param options `cause`: the underlying error, if any.
   */
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** Names of this error's class and its SDK ancestors; the brand behind `instanceof`. */
  get [KINDS](): readonly string[] {
    const kinds: string[] = [];
    for (let c = this.constructor; c && c !== Error; c = Object.getPrototypeOf(c)) kinds.push(c.name);
    return kinds;
  }

  /**
   * `instanceof` for SDK errors: true for instances of this class and its subclasses, also
   * when they come from another copy of the package (checks the brand of class names).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== "object" || value === null) return false;
    const kinds = (value as { [KINDS]?: unknown })[KINDS];
    return Array.isArray(kinds) && kinds.includes(this.name);
  }
}
