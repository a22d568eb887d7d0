import { readFile } from "node:fs/promises";
import type { CertificateInfo } from "../../core/lib/certificate.ts";
import { readChain } from "../../core/svid/x509/read-chain.ts";
import { JwtSvid } from "../../core/svid/jwt/jwt-svid.ts";
import { CliError, type Command, EXIT, printJson } from "../command.ts";
import { toCliError } from "../workload-api.ts";

const NAMES: Record<string, string> = { "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "serialNumber" };
const CURVES: Record<string, string> = { "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384", "1.3.132.0.35": "P-521" };

function nameOf(name: { typesAndValues: Array<{ type: string; value: { valueBlock: { value: unknown } } }> }): string {
  return name.typesAndValues.map((tv) => `${NAMES[tv.type] ?? tv.type}=${String(tv.value.valueBlock.value)}`).join(", ");
}

function keyTypeOf(info: CertificateInfo): string {
  const spki = info.pkijs.subjectPublicKeyInfo;
  const alg = spki.algorithm.algorithmId;
  if (alg === "1.2.840.10045.2.1") {
    const params = spki.algorithm.algorithmParams as { valueBlock?: { toString(): string } } | undefined;
    const curve = params?.valueBlock?.toString() ?? "";
    return `EC ${CURVES[curve] ?? curve}`.trim();
  }
  if (alg === "1.2.840.113549.1.1.1") {
    const modulus = (spki.parsedKey as { modulus?: { valueBlock: { valueHexView: Uint8Array } } } | undefined)?.modulus?.valueBlock.valueHexView;
    return modulus ? `RSA ${(modulus.length - (modulus[0] === 0 ? 1 : 0)) * 8}` : "RSA";
  }
  if (alg === "1.3.101.112") return "Ed25519";
  return alg;
}

function describe(info: CertificateInfo): Record<string, unknown> {
  return {
    subject: nameOf(info.pkijs.subject as never),
    issuer: nameOf(info.pkijs.issuer as never),
    uriSans: info.uriSans,
    serialNumber: info.serialNumberHex,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    isCa: info.isCa,
    keyType: keyTypeOf(info),
  };
}

/** `spiffe-ts inspect FILE`. */
export const inspect: Command = {
  name: ["inspect"],
  summary: "show an X.509-SVID chain (PEM or DER file) or a JWT-SVID (file holding the token) in readable form",
  usage: "[--json] FILE",
  help: `Shows the SPIFFE ID, each certificate's subject, issuer, validity, key type and CA flag;
for a JWT-SVID its ID, audience and expiry (decoded only: its signature is NOT checked).
Exit code 4 when FILE is neither.`,
  options: {},
  positionals: ["FILE"],
  async run(args, io) {
    const file = args.positionals[0]!;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new CliError(EXIT.failure, "ERR_CLI_FILE", `cannot read ${file}: ${(err as { code?: string }).code ?? String(err)}`);
    }
    const text = new TextDecoder().decode(bytes).trim();
    try {
      if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(text)) {
        const svid = JwtSvid.parseInsecure(text);
        const now = new Date();
        const out = { type: "jwt-svid", ...svid.toJSON(), expired: svid.expiresAt < now, signatureVerified: false };
        if (args.json) printJson(io, out);
        else io.out(`JWT-SVID ${out.id}\n  audience: ${out.audience.join(", ")}\n  expires:  ${out.expiresAt}${out.expired ? " (EXPIRED)" : ""}\n  signature NOT verified (use jwt validate)\n`);
        return 0;
      }
      const chain = readChain(text.includes("-----BEGIN") ? text : Uint8Array.from(bytes), file);
      const certs = chain.map(describe);
      const spiffeId = chain[0]!.uriSans.find((u) => u.startsWith("spiffe://"));
      if (args.json) {
        printJson(io, { type: "x509", spiffeId: spiffeId ?? null, certificates: certs });
        return 0;
      }
      const lines = [`X.509 ${spiffeId ? `SVID ${spiffeId}` : "certificates (no SPIFFE ID in the leaf)"}`];
      certs.forEach((c, i) => {
        lines.push(`[${i}] ${i === 0 ? "leaf" : c.isCa ? "CA" : "certificate"}`);
        lines.push(`    subject:  ${c.subject || "(empty)"}`, `    issuer:   ${c.issuer}`);
        if ((c.uriSans as string[]).length > 0) lines.push(`    URI SANs: ${(c.uriSans as string[]).join(", ")}`);
        lines.push(`    serial:   ${c.serialNumber}`, `    valid:    ${c.notBefore} .. ${c.notAfter}`, `    key:      ${c.keyType}`);
      });
      io.out(`${lines.join("\n")}\n`);
      return 0;
    } catch (err) {
      throw toCliError(err);
    }
  },
};
