// What a running proxy prints: one line per event on stdout (ready, rotation) or stderr
// (problems), as text or, with --json, one JSON object per line.
import type { Logger } from "../../core/logger.ts";
import type { Io } from "../command.ts";

/** Prints proxy events; `verbose` adds refused handshakes and per-request problems. */
export interface ProxyEvents {
  /** An event on stdout: `ready`, `rotated`, `stopped`. */
  info(event: string, text: string, fields: Record<string, unknown>): void;
  /** A problem on stderr. */
  problem(event: string, text: string, fields: Record<string, unknown>): void;
  /** A logger for serveMtls/createMtlsClient that routes to the two streams above. */
  readonly logger: Logger;
}

export function proxyEvents(io: Io, json: boolean, verbose: boolean): ProxyEvents {
  const line = (write: (t: string) => void, event: string, text: string, fields: Record<string, unknown>): void => {
    write(json ? `${JSON.stringify({ event, ...fields })}\n` : `${text}\n`);
  };
  const fieldsText = (fields: Record<string, unknown> | undefined): string => {
    const parts = Object.entries(fields ?? {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
    return parts.length ? ` (${parts.join(", ")})` : "";
  };
  const problem = (event: string, text: string, fields: Record<string, unknown>): void => line(io.err, event, `spiffe-ts: ${text}`, fields);
  return {
    info: (event, text, fields) => line(io.out, event, text, fields),
    problem,
    logger: {
      ...(verbose ? { debug: (message: string, fields?: Record<string, unknown>) => problem("debug", `${message}${fieldsText(fields)}`, { message, ...fields }) } : {}),
      warn: (message, fields) => problem("warning", `${message}${fieldsText(fields)}`, { message, ...fields }),
      error: (message, fields) => problem("error", `${message}${fieldsText(fields)}`, { message, ...fields }),
    },
  };
}
