// The Web-PKI certificate a server presents in mode "mtls-web" (go-spiffe's
// MTLSWebServerConfig): fixed PEM, or a source that announces renewals. Internal to src/tls.
import { ConfigError } from "../core/errors/config-error.ts";
import type { WebCertificate, WebCertificateSource } from "../http/tls-mode.ts";

function isPem(v: unknown, label: RegExp): boolean {
  return typeof v === "string" && label.test(v);
}

function isWebCertificate(v: unknown): v is WebCertificate {
  const c = v as Partial<WebCertificate> | null;
  return typeof c === "object" && c !== null && isPem(c.key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/) && isPem(c.cert, /-----BEGIN CERTIFICATE-----/);
}

/** @throws {ConfigError} unless `v` is a {@link WebCertificate} or a {@link WebCertificateSource}. */
export function checkWebCertificate(v: unknown): void {
  if (isWebCertificate(v)) return;
  if (typeof v === "object" && v !== null && typeof (v as WebCertificateSource).getCertificate === "function") return;
  throw new ConfigError("certificate", 'mode "mtls-web" needs the Web-PKI certificate to present: { key, cert } as PEM, or { getCertificate(), onUpdate? }');
}

/** The current certificate of `v`, and a way to follow its renewals. */
export function webCertificateOf(v: WebCertificate | WebCertificateSource): {
  current(): WebCertificate | undefined;
  follow(onChange: (next: WebCertificate | undefined) => void): () => void;
} {
  if (isWebCertificate(v)) return { current: () => v, follow: () => () => {} };
  const read = (): WebCertificate | undefined => {
    try {
      const c = v.getCertificate();
      return isWebCertificate(c) ? c : undefined;
    } catch {
      return undefined;
    }
  };
  if (!read()) throw new ConfigError("certificate", "getCertificate() must return { key, cert } as PEM");
  return {
    current: read,
    follow: (onChange) => (typeof v.onUpdate === "function" ? v.onUpdate(() => onChange(read())) : () => {}),
  };
}
