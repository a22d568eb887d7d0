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
    // Every subtree looked at counts against the budget, whatever its form.
    budget.nameChecks(this.#excluded.length);
    for (const subtree of this.#excluded) {
      if (subtree.type !== name.type) continue;
      if (matches(name, subtree, "excluded")) return `is in an excluded subtree (${describe(subtree)})`;
    }
    for (const permitted of this.#permitted) {
      budget.nameChecks(permitted.length);
      const ofForm = permitted.filter((s) => s.type === name.type && (s.type !== "other" || name.type !== "other" || s.form === name.form));
      if (ofForm.length === 0) continue; // §6.1.4 (g)(i): that CA did not constrain this form
      if (!ofForm.some((s) => matches(name, s, "permitted"))) return `is outside the permitted subtrees (${ofForm.map(describe).join(", ")})`;
    }
    return undefined;
  }
}

type Subject = GeneralName;

/**
 * True when `name` is inside `subtree` (same form). An unparseable name under a constraint of
 * its form is treated as inside (excluded) and outside (permitted): either way it is refused.
 */
function matches(name: Subject, subtree: GeneralName, list: "permitted" | "excluded"): boolean {
  const unparseable = list === "excluded";
  switch (name.type) {
    case "dns": {
      if (subtree.type !== "dns") return false;
      const labels = domainLabels(name.value, true);
      return labels ? dnsWithin(labels, subtree.value) : unparseable;
    }
    case "uri": {
      if (subtree.type !== "uri") return false;
      const host = uriHost(name.value);
      if (!host) return unparseable;
      return hostWithin(host, subtree.value, list);
    }
    case "email": {
      if (subtree.type !== "email") return false;
      return mailboxWithin(name.value, subtree.value) ?? unparseable;
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

/**
 * The labels of a DNS name (letters, digits, "-", "_" and a leading "*" label allowed), lowercased;
 * undefined when malformed. A trailing dot is not accepted.
 */
function domainLabels(domain: string, wildcardAllowed: boolean): string[] | undefined {
  if (domain.length === 0 || domain.length > 253) return undefined;
  const labels = domain.toLowerCase().split(".");
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label === "*" && i === 0 && wildcardAllowed) continue;
    if (label.length === 0 || label.length > 63 || !/^[a-z0-9_-]+$/.test(label)) return undefined;
  }
  return labels;
}

/**
 * dNSName constraints (§4.2.1.10): "any DNS name that can be constructed by simply adding zero or
 * more labels to the left-hand side of the name satisfies the name constraint". A leading
 * period (not defined for dNSName; Go and NSS read it so) requires at least one added label;
 * an empty constraint matches every name.
 */
function dnsWithin(labels: readonly string[], constraint: string): boolean {
  if (constraint === "") return true;
  const subdomainsOnly = constraint.startsWith(".");
  const base = domainLabels(subdomainsOnly ? constraint.slice(1) : constraint, false);
  if (!base) return false;
  if (labels.length < base.length || (subdomainsOnly && labels.length === base.length)) return false;
  const offset = labels.length - base.length;
  return base.every((l, i) => labels[offset + i] === l);
}

/**
 * URI constraints apply to the host (§4.2.1.10): "host.example.com" matches exactly that host,
 * ".example.com" any host below it. In an EXCLUDED subtree the SDK also excludes the hosts
 * below "host.example.com" (as Go reads URI constraints): stricter than the RFC, never looser.
 */
function hostWithin(host: string, constraint: string, list: "permitted" | "excluded"): boolean {
  if (constraint === "") return true;
  const labels = domainLabels(host, false);
  if (!labels) return list === "excluded";
  if (constraint.startsWith(".")) return dnsWithin(labels, constraint);
  const base = domainLabels(constraint, false);
  if (!base) return false;
  if (labels.join(".") === base.join(".")) return true;
  return list === "excluded" && dnsWithin(labels, `.${base.join(".")}`);
}

/**
 * The host of a URI (RFC 3986 authority without userinfo and port), lowercased; undefined when
 * the URI has no authority or its host is an IP literal (§4.2.1.10: the constraint is a domain;
 * Go refuses such URIs under URI constraints too).
 */
function uriHost(uri: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return undefined;
  let authority = m[1]!;
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith("[")) return undefined; // IPv6 literal
  const colon = authority.indexOf(":");
  const host = (colon >= 0 ? authority.slice(0, colon) : authority).toLowerCase();
  if (host === "" || /^[0-9.]+$/.test(host)) return undefined; // empty, or an IPv4 literal
  return host;
}

/**
 * rfc822Name constraints (§4.2.1.10): "user@host" is that mailbox (local part compared exactly),
 * "host" every mailbox on that host, ".domain" every mailbox on a host below it.
 * undefined when the name is not a mailbox.
 */
function mailboxWithin(mailbox: string, constraint: string): boolean | undefined {
  const at = mailbox.lastIndexOf("@");
  if (at <= 0) return undefined;
  const local = mailbox.slice(0, at);
  const labels = domainLabels(mailbox.slice(at + 1), false);
  if (!labels) return undefined;
  if (constraint === "") return true;
  const cAt = constraint.lastIndexOf("@");
  if (cAt >= 0) {
    const cLabels = domainLabels(constraint.slice(cAt + 1), false);
    return cLabels !== undefined && constraint.slice(0, cAt) === local && cLabels.join(".") === labels.join(".");
  }
  if (constraint.startsWith(".")) return dnsWithin(labels, constraint);
  const base = domainLabels(constraint, false);
  return base !== undefined && base.join(".") === labels.join(".");
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

