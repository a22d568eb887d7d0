import { readFile } from "node:fs/promises";
import type { CertificateInfo } from "../../core/lib/certificate.ts";
import { formatName } from "../../core/lib/x509/distinguished-name.ts";
import { describePublicKey } from "../../core/lib/x509/public-key.ts";
import { readChain } from "../../core/svid/x509/read-chain.ts";
import { JwtSvid } from "../../core/svid/jwt/jwt-svid.ts";
import { CliError, type Command, EXIT, printJson } from "../command.ts";
import { toCliError } from "../workload-api.ts";

function describe(info: CertificateInfo): Record<string, unknown> {
  return {
    subject: formatName(info.subject),
    issuer: formatName(info.issuer),
    uriSans: info.uriSans,
    serialNumber: info.serialNumberHex,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    isCa: info.isCa,
    keyType: describePublicKey(info.publicKey),
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
