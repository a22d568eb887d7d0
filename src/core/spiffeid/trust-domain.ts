import { SpiffeIdError } from "../errors/spiffe-id-error.ts";
import { checkIdLength, checkPath, checkString, checkTrustDomainName, SCHEME_PREFIX } from "./id-rules.ts";

/**
 * A SPIFFE trust domain name, validated per the SPIFFE-ID specification (§2.1): lowercase
 * letters, digits, `.`, `-`, `_`; no port, no userinfo; at most 255 bytes.
 *
 * Exported from `@spiffe-ts/sdk`.
 *
 * @example
 * ```ts
 * import { TrustDomain } from "@spiffe-ts/sdk";
 * const td = TrustDomain.parse("example.org");
 * td.name;        // "example.org"
 * td.idString();  // "spiffe://example.org"
 * TrustDomain.parse("spiffe://example.org/web").name; // "example.org"
 * ```
 */
export class TrustDomain {
  /** The trust domain name, e.g. `example.org`. */
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
    Object.freeze(this);
  }

  /**
   * Parses a trust domain name (`example.org`) or takes the trust domain of a SPIFFE ID
   * (`spiffe://example.org`, `spiffe://example.org/any/path`).
   *
   * @throws {SpiffeIdError} with the `code` of the rule that failed.
   */
  static parse(nameOrId: string): TrustDomain {
    checkString(nameOrId, "trust domain");
    checkIdLength(nameOrId);
    if (!nameOrId.includes(":/")) {
      if (nameOrId.includes("/")) {
        throw new SpiffeIdError(
          "ERR_SPIFFE_ID_TRUST_DOMAIN_CHARS",
          `a trust domain name has no path; use "example.org" or "spiffe://example.org", got ${
            JSON.stringify(nameOrId.slice(0, 80))
          }`,
        );
      }
      checkTrustDomainName(nameOrId, nameOrId);
      return new TrustDomain(nameOrId);
    }
    if (!nameOrId.startsWith(SCHEME_PREFIX)) {
      throw new SpiffeIdError(
        "ERR_SPIFFE_ID_WRONG_SCHEME",
        `expected "example.org" or "spiffe://example.org", got ${JSON.stringify(nameOrId.slice(0, 80))}`,
      );
    }
    const rest = nameOrId.slice(SCHEME_PREFIX.length);
    const slash = rest.indexOf("/");
    const name = slash < 0 ? rest : rest.slice(0, slash);
    checkTrustDomainName(name, nameOrId);
    if (slash >= 0) checkPath(rest.slice(slash), nameOrId);
    return new TrustDomain(name);
  }

  /** Like {@link TrustDomain.parse}, but returns `false` instead of throwing. */
  static canParse(nameOrId: string): boolean {
    try {
      TrustDomain.parse(nameOrId);
      return true;
    } catch {
      return false;
    }
  }

  /** @internal Builds from a name the caller has already validated. */
  static fromValidatedName(name: string): TrustDomain {
    return new TrustDomain(name);
  }

  /** The trust domain's own SPIFFE ID as a string: `spiffe://<name>`. */
  idString(): string {
    return SCHEME_PREFIX + this.name;
  }

  /** True when `other` names the same trust domain (a `TrustDomain` or a name string). */
  equals(other: TrustDomain | string): boolean {
    return typeof other === "string" ? other === this.name : other.name === this.name;
  }

  /** The name, e.g. `example.org`. */
  toString(): string {
    return this.name;
  }

  /** The name, so `JSON.stringify` shows `"example.org"`. */
  toJSON(): string {
    return this.name;
  }
}
