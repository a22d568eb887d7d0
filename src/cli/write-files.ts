// Writes an X509Context to a directory, each file atomically (temp file + rename), so a
// reader never sees a half-written file.
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { X509Context } from "../workloadapi/x509-context.ts";

/** File names written by `x509 fetch --write` and `x509 watch --write`. */
export const FILES = { svid: "svid.pem", key: "svid_key.pem", bundle: "bundle.pem", federated: (td: string): string => `federated_bundle.${td}.pem` };

let counter = 0;

/** Writes `data` to `path` atomically with `mode`. */
export async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${counter++}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode); // the umask may have narrowed or the file may have existed
  await rename(tmp, path);
}

/** Writes the default SVID, its key (0600), its trust domain's bundle and federated bundles; returns the paths. */
export async function writeX509Context(dir: string, context: X509Context): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const svid = context.defaultSvid;
  const pem = svid.toPem();
  const own = svid.id.trustDomain.name;
  const written: string[] = [];
  const put = async (name: string, data: string, mode: number): Promise<void> => {
    const path = join(dir, name);
    await writeAtomic(path, data, mode);
    written.push(path);
  };
  await put(FILES.key, pem.privateKey, 0o600);
  await put(FILES.svid, pem.certificates, 0o644);
  const bundle = context.bundles.get(own);
  if (bundle) await put(FILES.bundle, bundle.toPem(), 0o644);
  for (const [td, b] of context.bundles) if (td !== own) await put(FILES.federated(td), b.toPem(), 0o644);
  return written;
}

/** A JSON summary of an X509Context (no private key). */
export function x509ContextJson(context: X509Context): Record<string, unknown> {
  return {
    spiffeId: context.defaultSvid.id.toString(),
    expiresAt: context.defaultSvid.expiresAt.toISOString(),
    svids: context.svids.map((s) => s.toJSON()),
    bundles: Object.fromEntries([...context.bundles].map(([td, b]) => [td, b.toPem()])),
  };
}

/** One human-readable line per SVID and bundle. */
export function x509ContextText(context: X509Context): string {
  const lines = context.svids.map((s) => `SVID ${s.id.toString()}${s.hint ? ` (hint ${s.hint})` : ""} expires ${s.expiresAt.toISOString()}${s === context.defaultSvid ? " [default]" : ""}`);
  for (const [td, b] of context.bundles) lines.push(`bundle ${td}: ${b.authorities.length} authorit${b.authorities.length === 1 ? "y" : "ies"}`);
  return `${lines.join("\n")}\n`;
}
