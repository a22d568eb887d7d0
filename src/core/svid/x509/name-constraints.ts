// Name constraints along a certification path (RFC 5280 §4.2.1.10, §6.1.3 (b)-(c),
// §6.1.4 (g)), written from the RFC: permitted subtrees INTERSECT down the path (a name must be
// inside at least one subtree of its form of every CA that has permitted subtrees of that
// form), excluded subtrees UNITE, and EVERY name of a certificate is checked: its subject DN
// and the emailAddress attributes in it, and every subjectAltName. Not exported.
import type { CertificateInfo } from "../../lib/certificate.ts";
import { type DistinguishedName, emailAddressesOf, formatName, nameWithin } from "../../lib/x509/distinguished-name.ts";
import type { GeneralName, OtherForm } from "../../lib/x509/general-names.ts";
import { X509SvidError } from "../../errors/x509-svid-error.ts";
import type { VerificationBudget } from "./verification-budget.ts";

/** The permitted and excluded subtrees in force at one point of a path. */
export class NameConstraintState {
  /** One list per CA that carried permittedSubtrees (the intersection is kept as the list of lists). */
  readonly #permitted: (readonly GeneralName[])[] = [];
  readonly #excluded: GeneralName[] = [];

  /** §6.1.4 (g): add the constraints of a CA certificate of the path (or of the trust anchor). */
  add(cert: CertificateInfo): void {
    const nc = cert.nameConstraints;
    if (!nc) return;
    if (nc.permitted) this.#permitted.push(nc.permitted);
    if (nc.excluded) this.#excluded.push(...nc.excluded);
  }

  /** §6.1.3 (b)-(c): every name of `cert` is within the permitted and outside the excluded subtrees. */
  check(cert: CertificateInfo, what: string, budget: VerificationBudget): void {
    if (this.#permitted.length === 0 && this.#excluded.length === 0) return;
    const names: Subject[] = [];
    if (cert.subject.length > 0) names.push({ type: "dn", name: cert.subject });
    for (const email of emailAddressesOf(cert.subject)) names.push({ type: "email", value: email });
    names.push(...cert.subjectAltNames);
    for (const name of names) {
      const problem = this.#problem(name, budget);
      if (problem) throw new X509SvidError("ERR_X509_SVID_NAME_CONSTRAINTS", `${what}: ${describe(name)} ${problem}`);
    }
  }

  #problem(name: Subject, budget: VerificationBudget): string | undefined {
    // Every subtree looked at counts against the budget, whatever its form; a directoryName
    // comparison counts once per RDN it compares.
    for (const subtree of this.#excluded) {
      budget.nameChecks(weight(subtree));
      if (subtree.type !== name.type) continue;
      if (matches(name, subtree, "excluded")) return `is in an excluded subtree (${describe(subtree)})`;
    }
    for (const permitted of this.#permitted) {
      let constrained = false;
      let inside = false;
      for (const subtree of permitted) {
        budget.nameChecks(weight(subtree));
        if (subtree.type !== name.type || (subtree.type === "other" && name.type === "other" && subtree.form !== name.form)) continue;
        constrained = true;
        if (matches(name, subtree, "permitted")) {
          inside = true;
          break;
        }
      }
      // §6.1.4 (g)(i): a CA that did not constrain this form leaves it unconstrained.
      if (constrained && !inside) return `is outside the permitted subtrees (${permitted.filter((t) => t.type === name.type).map(describe).join(", ")})`;
    }
    return undefined;
  }
}

type Subject = GeneralName;

function weight(subtree: GeneralName): number {
  return subtree.type === "dn" ? Math.max(1, subtree.name.length) : 1;
}

/**
 * True when `name` is inside `subtree` (same form). An unparseable name under a constraint of
 * its form is treated as inside (excluded) and outside (permitted): either way it is refused.
 */
function matches(name: Subject, subtree: GeneralName, list: "permitted" | "excluded"): boolean {
  const unparseable = list === "excluded";
  switch (name.type) {
    case "dns": {
      if (subtree.type !== "dns") return false;
      const domain = domainOf(name, name.value, true);
      return domain === undefined ? unparseable : dnsWithin(domain, constraintOf(subtree, subtree.value));
    }
    case "uri": {
      if (subtree.type !== "uri") return false;
      const host = hostOf(name);
      return host === undefined ? unparseable : hostWithin(host, constraintOf(subtree, subtree.value), list);
    }
    case "email": {
      if (subtree.type !== "email") return false;
      return mailboxWithin(name, subtree) ?? unparseable;
    }
    case "ip":
      return subtree.type === "ip" && ipWithin(name.bytes, subtree.bytes);
    case "dn":
      return subtree.type === "dn" && nameWithin(name.name, subtree.name);
    case "other":
      // Forms the SDK does not interpret: §4.2.1.10 lets an application reject a certificate
      // whose name of a constrained form it cannot process. Permitted: never inside; excluded: always.
      return subtree.type === "other" && subtree.form === name.form && list === "excluded";
  }
}

// Names and constraints are decoded once per parsed certificate (they are immutable), so a
// comparison is a few string operations.
const domains = new WeakMap<object, string | null>();
const constraints = new WeakMap<object, Constraint>();

/** A domain constraint: "" matches all; `subdomainsOnly` for a leading period; `base` undefined when malformed. */
interface Constraint {
  readonly all: boolean;
  readonly subdomainsOnly: boolean;
  readonly base: string | undefined;
}

/** The lowercased domain of a name (cached on `key`), or undefined when it is not a valid domain. */
function domainOf(key: object, domain: string, wildcardAllowed: boolean): string | undefined {
  let d = domains.get(key);
  if (d === undefined) {
    d = isDomain(domain, wildcardAllowed) ? domain.toLowerCase() : null;
    domains.set(key, d);
  }
  return d ?? undefined;
}

function constraintOf(key: object, text: string): Constraint {
  let c = constraints.get(key);
  if (!c) {
    const subdomainsOnly = text.startsWith(".");
    const base = subdomainsOnly ? text.slice(1) : text;
    c = { all: text === "", subdomainsOnly, base: isDomain(base, false) ? base.toLowerCase() : undefined };
    constraints.set(key, c);
  }
  return c;
}

/**
 * A DNS name (letters, digits, "-", "_" and a leading "*" label allowed); a trailing dot is not
 * accepted.
 */
function isDomain(domain: string, wildcardAllowed: boolean): boolean {
  if (domain.length === 0 || domain.length > 253) return false;
  const labels = domain.split(".");
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label === "*" && i === 0 && wildcardAllowed) continue;
    if (label.length === 0 || label.length > 63 || !/^[A-Za-z0-9_-]+$/.test(label)) return false;
  }
  return true;
}

/**
 * dNSName constraints (§4.2.1.10): "any DNS name that can be constructed by simply adding zero or
 * more labels to the left-hand side of the name satisfies the name constraint". A leading
 * period (not defined for dNSName; Go and NSS read it so) requires at least one added label;
 * an empty constraint matches every name.
 */
function dnsWithin(domain: string, c: Constraint): boolean {
  if (c.all) return true;
  if (c.base === undefined) return false;
  if (domain === c.base) return !c.subdomainsOnly;
  return domain.endsWith(`.${c.base}`);
}

/**
 * URI constraints apply to the host (§4.2.1.10): "host.example.com" matches exactly that host,
 * ".example.com" any host below it. In an EXCLUDED subtree the SDK also excludes the hosts
 * below "host.example.com" (as Go reads URI constraints): stricter than the RFC, never looser.
 */
function hostWithin(host: string, c: Constraint, list: "permitted" | "excluded"): boolean {
  if (c.all) return true;
  if (c.base === undefined) return false;
  if (c.subdomainsOnly) return host !== c.base && host.endsWith(`.${c.base}`);
  return host === c.base || (list === "excluded" && host.endsWith(`.${c.base}`));
}

const hosts = new WeakMap<object, string | null>();

/**
 * The host of a URI name (RFC 3986 authority without userinfo and port), lowercased; undefined
 * when the URI has no authority, its host is an IP literal (§4.2.1.10: the constraint is a
 * domain; Go refuses such URIs under URI constraints too) or not a valid domain.
 */
function hostOf(name: Extract<GeneralName, { type: "uri" }>): string | undefined {
  let h = hosts.get(name);
  if (h === undefined) {
    h = null;
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(name.value);
    if (m) {
      let authority = m[1]!;
      const at = authority.lastIndexOf("@");
      if (at >= 0) authority = authority.slice(at + 1);
      const colon = authority.indexOf(":");
      const host = colon >= 0 ? authority.slice(0, colon) : authority;
      // an IPv6 literal ("[" …) or an IPv4 literal is not a domain
      if (!host.startsWith("[") && !/^[0-9.]+$/.test(host) && isDomain(host, false)) h = host.toLowerCase();
    }
    hosts.set(name, h);
  }
  return h ?? undefined;
}

const mailboxes = new WeakMap<object, { local: string; domain: string } | null>();

function mailboxOf(key: object, mailbox: string): { local: string; domain: string } | undefined {
  let m = mailboxes.get(key);
  if (m === undefined) {
    const at = mailbox.lastIndexOf("@");
    const domain = at > 0 ? mailbox.slice(at + 1) : "";
    m = at > 0 && isDomain(domain, false) ? { local: mailbox.slice(0, at), domain: domain.toLowerCase() } : null;
    mailboxes.set(key, m);
  }
  return m ?? undefined;
}

/**
 * rfc822Name constraints (§4.2.1.10): "user@host" is that mailbox (local part compared exactly),
 * "host" every mailbox on that host, ".domain" every mailbox on a host below it.
 * undefined when the name is not a mailbox.
 */
function mailboxWithin(name: Extract<GeneralName, { type: "email" }>, subtree: Extract<GeneralName, { type: "email" }>): boolean | undefined {
  const mailbox = mailboxOf(name, name.value);
  if (!mailbox) return undefined;
  if (subtree.value === "") return true;
  if (subtree.value.includes("@")) {
    const c = mailboxOf(subtree, subtree.value);
    return c !== undefined && c.local === mailbox.local && c.domain === mailbox.domain;
  }
  const c = constraintOf(subtree, subtree.value);
  if (c.base === undefined) return false;
  return c.subdomainsOnly ? mailbox.domain.endsWith(`.${c.base}`) : mailbox.domain === c.base;
}

/** iPAddress constraints: address and mask of the same family; the name is inside when it equals the address under the mask. */
function ipWithin(ip: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== ip.length * 2) return false;
  for (let i = 0; i < ip.length; i++) {
    const mask = constraint[ip.length + i]!;
    if ((ip[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}

function describe(name: GeneralName): string {
  switch (name.type) {
    case "dns":
      return `DNS name "${name.value}"`;
    case "uri":
      return `URI "${name.value}"`;
    case "email":
      return `email "${name.value}"`;
    case "ip":
      return `IP ${Array.from(name.bytes).join(".")}`;
    case "dn":
      return `directory name "${formatName(name.name as DistinguishedName)}"`;
    case "other":
      return `${name.form as OtherForm} name`;
  }
}

