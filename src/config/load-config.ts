import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import type { Authorizer } from "../core/authz/authorizer.ts";
import type { MtlsClientPoolOptions } from "../http/mtls-client-types.ts";
import type { MtlsServerTimeouts } from "../http/serve-mtls-types.ts";
import { type ConfigProblem, ConfigLoadError } from "./config-load-error.ts";
import type { ConfigFile } from "./config-schema.ts";
import type { ListenAddress } from "./listen-address.ts";
import { type PeerPolicy, peerPolicyAuthorizer } from "./peer-policy.ts";
import { importOptional } from "../core/lib/optional-dependency.ts";

// valibot and yaml are optional peer dependencies, loaded on first use (yaml only for YAML files).
const FEATURE = "loadConfig (@spiffe-ts/sdk/config)";
const loadSchema = (): Promise<typeof import("./config-schema.ts")> => importOptional(() => import("./config-schema.ts"), "valibot@^1.5.0", FEATURE);
const loadYaml = (): Promise<typeof import("yaml")> => importOptional(() => import("yaml"), "yaml@^2.9.1", `${FEATURE} reading a YAML file`);

/**
 * A validated configuration, as returned by {@link loadConfig}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk/config`.
 */
export interface SpiffeConfig {
  /** Workload API address (`undefined`: the client reads `SPIFFE_ENDPOINT_SOCKET` itself) and call timeout. */
  readonly workloadApi: { readonly address: string | undefined; readonly timeoutMs: number | undefined };
  /** Addresses to serve mTLS on, in order. */
  readonly listen: readonly ListenAddress[];
  /** Plain-HTTP health address, when configured. */
  readonly health: ListenAddress | undefined;
  /** Server timeouts, ready for `serveMtls({ timeouts })`. */
  readonly timeouts: MtlsServerTimeouts;
  /** Client pool sizes, ready for `createMtlsClient({ pool })`. */
  readonly pool: MtlsClientPoolOptions;
  /** The peer policy as configured (default `{ kind: "any" }` when none is given). */
  readonly peers: PeerPolicy;
  /** The peer policy as an authorizer, ready for `serveMtls({ authorizer })`. */
  readonly authorizer: Authorizer;
  /** The file read, if any (absolute path). */
  readonly file: string | undefined;
}

/**
 * Options of {@link loadConfig}.
 *
 * Exported (as a type) from `@spiffe-ts/sdk/config`.
 */
export interface LoadConfigOptions {
  /** Configuration file (`.yaml`, `.yml` or `.json`). Default: `SPIFFE_TS_CONFIG`, else none. */
  readonly file?: string;
  /** Environment to read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Require a peer policy (no silent `any`). Default false. */
  readonly requirePeers?: boolean;
}

/**
 * How `loadConfig` reads an environment variable's text: as is, as a number, as a
 * comma-separated list, or as a peer policy (`any`, `trust-domain:NAME`, `ids:ID,ID`).
 *
 * Exported (as a type) from `@spiffe-ts/sdk/config`.
 */
export type ConfigEnvKind = "string" | "number" | "list" | "peers";
/**
 * Environment variables, the file path they set, and how their text is read. Environment wins over the file.
 *
 * Exported from `@spiffe-ts/sdk/config`.
 */
export const CONFIG_ENV: ReadonlyArray<readonly [string, readonly string[], ConfigEnvKind]> = [
  ["SPIFFE_ENDPOINT_SOCKET", ["workload-api", "address"], "string"],
  ["SPIFFE_TS_WORKLOAD_API_TIMEOUT_MS", ["workload-api", "timeout-ms"], "number"],
  ["SPIFFE_TS_LISTEN", ["listen"], "list"],
  ["SPIFFE_TS_HEALTH", ["health"], "string"],
  ["SPIFFE_TS_TIMEOUT_HANDSHAKE_MS", ["timeouts", "handshake-ms"], "number"],
  ["SPIFFE_TS_TIMEOUT_HEADERS_MS", ["timeouts", "headers-ms"], "number"],
  ["SPIFFE_TS_TIMEOUT_REQUEST_MS", ["timeouts", "request-ms"], "number"],
  ["SPIFFE_TS_TIMEOUT_IDLE_MS", ["timeouts", "idle-ms"], "number"],
  ["SPIFFE_TS_POOL_MAX_IDLE", ["pool", "max-idle"], "number"],
  ["SPIFFE_TS_POOL_MAX_IDLE_PER_ORIGIN", ["pool", "max-idle-per-origin"], "number"],
  ["SPIFFE_TS_POOL_MAX_PER_ORIGIN", ["pool", "max-per-origin"], "number"],
  ["SPIFFE_TS_POOL_IDLE_TIMEOUT_MS", ["pool", "idle-timeout-ms"], "number"],
  ["SPIFFE_TS_PEERS", ["peers"], "peers"],
];

function envValue(text: string, kind: ConfigEnvKind): unknown {
  const t = text.trim();
  switch (kind) {
    case "string":
      return t;
    case "number":
      return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t; // a non-number stays a string: the schema reports it
    case "list":
      return t.split(",").map((s) => s.trim()).filter((s) => s !== "");
    case "peers": {
      // "any", or parts separated by ";": "ids:A,B", "trust-domains:X,Y", "trust-domain:X".
      if (!/^(ids|trust-domains?):/.test(t)) return t; // "any", or a mistake the schema reports
      const policy: Record<string, unknown> = {};
      for (const part of t.split(";")) {
        const [, key, list] = /^\s*([a-z-]+):(.*)$/.exec(part) ?? [undefined, part.trim(), ""];
        const items = list!.split(",").map((s) => s.trim()).filter((s) => s !== "");
        policy[key!] = key === "trust-domain" ? list!.trim() : items;
      }
      return policy;
    }
  }
}

async function readConfigFile(path: string, problems: ConfigProblem[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    problems.push({ path: "", message: `cannot read config file ${path}: ${(err as { code?: string }).code ?? String(err)}` });
    return undefined;
  }
  if (extname(path).toLowerCase() === ".json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      problems.push({ path: "", message: `${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}` });
      return undefined;
    }
  }
  const { parseDocument } = await loadYaml();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) problems.push({ path: "", message: `${path} is not valid YAML (line ${e.linePos?.[0]?.line ?? "?"}): ${e.message}` });
    return undefined;
  }
  const value = doc.toJS({ maxAliasCount: 50 }) as unknown;
  return value ?? {};
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let obj = target;
  for (const key of path.slice(0, -1)) {
    const next = obj[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) obj[key] = {};
    obj = obj[key] as Record<string, unknown>;
  }
  obj[path[path.length - 1]!] = value;
}

function toPolicy(peers: ConfigFile["peers"]): PeerPolicy {
  if (peers === undefined || peers === "any") return { kind: "any" };
  const trustDomains = [...(peers["trust-domain"] === undefined ? [] : [peers["trust-domain"]]), ...(peers["trust-domains"] ?? [])];
  return { kind: "allow", ids: peers.ids ?? [], trustDomains: [...new Set(trustDomains)] };
}

/**
 * Loads the configuration of a SPIFFE service from environment variables and an optional
 * YAML or JSON file (environment wins), validates all of it, and returns values ready for
 * `X509Source.create`, `serveMtls` and `createMtlsClient`. Call it at start-up: an invalid
 * configuration fails there, with every problem listed at once.
 *
 * File keys: `workload-api: { address, timeout-ms }`, `listen: ["host:port", …]`,
 * `health: "host:port"`, `timeouts: { handshake-ms, headers-ms, request-ms, idle-ms }`,
 * `pool: { max-idle, max-idle-per-origin, max-per-origin, idle-timeout-ms }`,
 * `peers: any | { ids: [SPIFFE IDs], trust-domains: [NAMES] }` (either list may be left out;
 * `trust-domain: NAME` for one). Environment variables:
 * see `CONFIG_ENV` (`SPIFFE_ENDPOINT_SOCKET`, `SPIFFE_TS_LISTEN`, `SPIFFE_TS_PEERS`, …);
 * `SPIFFE_TS_CONFIG` names the file.
 *
 * Exported from `@spiffe-ts/sdk/config`.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@spiffe-ts/sdk/config";
 * const config = await loadConfig({ file: "spiffe.yaml" });
 * config.listen[0]?.port; // 8443
 * config.authorizer;      // from `peers`
 * ```
 *
 * @throws {ConfigLoadError} `ERR_INVALID_ARGUMENT`, with `problems` listing every
 * unreadable file, syntax error, unknown key and invalid value.
 * @throws {MissingDependencyError} `ERR_MISSING_DEPENDENCY` when the optional peer
 * dependency `valibot` (always) or `yaml` (for a YAML file) is not installed.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<SpiffeConfig> {
  const env = options.env ?? process.env;
  const { validateConfig } = await loadSchema();
  const problems: ConfigProblem[] = [];
  const fileName = options.file ?? (env.SPIFFE_TS_CONFIG || undefined);
  const file = fileName === undefined ? undefined : resolve(fileName);
  let raw: unknown = {};
  if (file !== undefined) raw = await readConfigFile(file, problems);
  if (problems.length > 0) throw new ConfigLoadError(problems);

  const fromEnv = new Map<string, string>();
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    const merged = structuredClone(raw) as Record<string, unknown>;
    for (const [name, path, kind] of CONFIG_ENV) {
      const text = env[name];
      if (text === undefined || text.trim() === "") continue;
      setPath(merged, path, envValue(text, kind));
      fromEnv.set(path.join("."), name);
    }
    raw = merged;
  }

  const result = validateConfig(raw);
  if ("issues" in result) {
    for (const issue of result.issues) {
      const envName = [...fromEnv].find(([p]) => issue.path === p || issue.path.startsWith(`${p}.`))?.[1];
      const where = envName ? ` (from environment variable ${envName})` : file ? ` (in ${file})` : "";
      problems.push({ path: issue.path, message: `${issue.message}${where}` });
    }
  }
  if (problems.length === 0 && options.requirePeers && ("value" in result ? result.value.peers === undefined : false)) {
    problems.push({ path: "peers", message: "a peer policy is required: any, or { ids: [...], trust-domains: [...] } (or SPIFFE_TS_PEERS)" });
  }
  if (problems.length > 0 || !("value" in result)) throw new ConfigLoadError(problems);

  const c = result.value;
  const peers = toPolicy(c.peers);
  const t = c.timeouts ?? {};
  const p = c.pool ?? {};
  return {
    workloadApi: { address: c["workload-api"]?.address, timeoutMs: c["workload-api"]?.["timeout-ms"] },
    listen: c.listen ?? [],
    health: c.health,
    timeouts: dropUndefined({ handshakeMs: t["handshake-ms"], headersMs: t["headers-ms"], requestMs: t["request-ms"], idleMs: t["idle-ms"] }),
    pool: dropUndefined({ maxIdle: p["max-idle"], maxIdlePerOrigin: p["max-idle-per-origin"], maxPerOrigin: p["max-per-origin"], idleTimeoutMs: p["idle-timeout-ms"] }),
    peers,
    authorizer: peerPolicyAuthorizer(peers),
    file,
  };
}

function dropUndefined<T extends Record<string, number | undefined>>(o: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}
