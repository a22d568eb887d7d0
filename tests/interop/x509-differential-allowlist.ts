// Cases where the SDK accepts a chain that go-spiffe (crypto/x509) rejects and the SDK is
// right: each entry names the cases, says why, and quotes the spec sentence that decides.
// tests/interop/x509-differential.interop.ts fails on any other such case.

/** One allowed "SDK accepts, go-spiffe rejects" difference. */
export interface AllowedDifference {
  /** Matches case names (targeted: "area/rule~ok"; fuzz: "fuzz/<seed>/<n>/<base>/<target>/<mutations>"). */
  readonly pattern: RegExp;
  /** When given, go-spiffe's error must match too (narrows an entry to one reason of Go's). */
  readonly goError?: RegExp;
  /** Why the SDK's acceptance is right and what Go does instead. */
  readonly reason: string;
  /** The quoted spec sentence. */
  readonly spec: string;
}

/** The allow-list; keep it short, every entry must stay justified by its quote. */
export const x509DifferentialAllowlist: readonly AllowedDifference[] = [
  {
    pattern: /^path\/path-length-skips-self-issued~ok$/,
    reason: "crypto/x509 counts every intermediate below a CA against its MaxPathLen (isValid: len(currentChain)-1), self-issued ones included; RFC 5280 counts only non-self-issued intermediates",
    spec: "RFC 5280 §4.2.1.9: \"the pathLenConstraint field ... gives the maximum number of non-self-issued intermediate certificates that may follow this certificate in a valid certification path.\"",
  },
  {
    pattern: /^nc\/self-issued-intermediate-is-exempt~ok$/,
    reason: "crypto/x509's checkChainConstraints checks the SANs of every certificate below a constraining CA, self-issued intermediates included; RFC 5280 skips self-issued intermediates",
    spec: "RFC 5280 §6.1.3 (b): \"If certificate i is self-issued and it is not the final certificate in the path, skip this step for certificate i.\"",
  },
  {
    pattern: /^nc\/directory-name-/,
    goError: /unhandled critical extension/,
    reason:
      "crypto/x509 does not implement directoryName name constraints and so treats a critical nameConstraints extension holding one as an unhandled critical extension; the SDK processes them (and these chains satisfy them)",
    spec: "RFC 5280 §4.2.1.10: \"Applications conforming to this profile MUST be able to process name constraints that are imposed on the directoryName name form and SHOULD be able to process name constraints that are imposed on the rfc822Name, uniformResourceIdentifier, dNSName, and iPAddress name forms.\"",
  },
  {
    pattern: /^nc\/unprocessed-name-form-present~ok$/,
    goError: /unhandled critical extension/,
    reason: "crypto/x509 rejects any critical nameConstraints with a registeredID subtree; RFC 5280 requires processing or rejection only when a name of that form appears below, and the leaf has none",
    spec: "RFC 5280 §4.2.1.10: \"Restrictions apply only when the specified name form is present. If no name of the type is in the certificate, the certificate is acceptable.\"",
  },
];
