// A SPIFFE bundle does not name its trust domain (the endpoint configuration does, SPIFFE
// Federation §5.1), but its X.509 authorities often do: SPIFFE CAs carry the trust domain's
// SPIFFE ID as a URI SAN. An authority naming another trust domain means the endpoint serves
// someone else's bundle, which must never be filed under the configured name (§7.3).
import { parsedAuthoritiesOf } from "../core/bundle/x509-bundle.ts";
import type { SpiffeBundle } from "../core/bundle/spiffe-bundle.ts";
import { FederationError } from "../core/errors/federation-error.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";

/**
 * Refuses `bundle` when one of its X.509 authorities has a SPIFFE ID URI SAN of another
 * trust domain than the bundle's. Authorities without a SPIFFE ID are accepted (the X509-SVID
 * spec does not require one on signing certificates).
 *
 * @throws {FederationError} `ERR_FEDERATION_TRUST_DOMAIN_MISMATCH`.
 */
export function checkBundleTrustDomain(bundle: SpiffeBundle, url: string): void {
  const expected = bundle.trustDomain;
  parsedAuthoritiesOf(bundle.x509Bundle).forEach((authority, index) => {
    for (const uri of authority.uriSans) {
      if (!uri.toLowerCase().startsWith("spiffe://") || !TrustDomain.canParse(uri)) continue;
      const named = TrustDomain.parse(uri);
      if (!named.equals(expected)) {
        throw new FederationError(
          "ERR_FEDERATION_TRUST_DOMAIN_MISMATCH",
          `the bundle from ${url} was configured for trust domain "${expected.name}", but its X.509 authority ${index + 1} is a CA of "${named.name}" (URI SAN ${uri}); refused`,
          { url },
        );
      }
    }
  });
}
