// The configuration file's schema (valibot), shared by the file and the environment: both
// are merged into one raw object first, then validated once so every problem is reported.
import * as v from "valibot";
import { parseWorkloadApiAddress } from "../core/workloadapi/endpoint-address.ts";
import { SpiffeId } from "../core/spiffeid/spiffe-id.ts";
import { TrustDomain } from "../core/spiffeid/trust-domain.ts";
import { type ListenAddress, parseListenAddress } from "./listen-address.ts";

function errorText(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const ms = v.pipe(v.number("expected a number of milliseconds"), v.integer("expected a whole number of milliseconds"), v.minValue(0, "expected 0 or more milliseconds"));
const positiveMs = v.pipe(v.number("expected a number of milliseconds"), v.integer("expected a whole number of milliseconds"), v.minValue(1, "expected 1 or more milliseconds"));
const count = v.pipe(v.number("expected a count"), v.integer("expected a whole number"), v.minValue(1, "expected 1 or more"));

const listenAddress = v.pipe(
  v.string("expected a listen address string such as \"0.0.0.0:8443\""),
  v.rawTransform(({ dataset, addIssue, NEVER }): ListenAddress => {
    const parsed = parseListenAddress(dataset.value);
    if (typeof parsed === "string") {
      addIssue({ message: parsed });
      return NEVER;
    }
    return parsed;
  }),
);

const workloadApiAddress = v.pipe(
  v.string("expected a Workload API address such as \"unix:///run/spire/sockets/agent.sock\""),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = errorText(() => parseWorkloadApiAddress(dataset.value));
    if (problem) addIssue({ message: problem });
  }),
);

const trustDomain = v.pipe(
  v.string("expected a trust domain name such as \"example.org\""),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = errorText(() => TrustDomain.parse(dataset.value));
    if (problem) addIssue({ message: problem });
  }),
);

const spiffeId = v.pipe(
  v.string("expected a SPIFFE ID such as \"spiffe://example.org/web\""),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = errorText(() => SpiffeId.parse(dataset.value));
    if (problem) addIssue({ message: problem });
  }),
);

const peers = v.union(
  [
    v.literal("any"),
    v.pipe(
      v.strictObject(
        {
          ids: v.optional(v.array(spiffeId, "expected a list of SPIFFE IDs")),
          "trust-domain": v.optional(trustDomain),
          "trust-domains": v.optional(v.array(trustDomain, "expected a list of trust domain names")),
        },
        "expected only the keys ids, trust-domain and trust-domains",
      ),
      v.check((p) => (p.ids?.length ?? 0) + (p["trust-domain"] === undefined ? 0 : 1) + (p["trust-domains"]?.length ?? 0) > 0, "expected at least one SPIFFE ID or trust domain"),
    ),
  ],
  "expected \"any\" or { ids: [SPIFFE IDs], trust-domains: [NAMES] } (either list may be left out; trust-domain: NAME for one)",
);

/** The configuration file's schema (internal). Keys are kebab-case, as in the file. */
export const configSchema = v.strictObject(
  {
    "workload-api": v.optional(
      v.strictObject({ address: v.optional(workloadApiAddress), "timeout-ms": v.optional(positiveMs) }, "expected an object with address and timeout-ms"),
    ),
    listen: v.optional(v.array(listenAddress, "expected a list of listen addresses")),
    health: v.optional(listenAddress),
    timeouts: v.optional(
      v.strictObject(
        { "handshake-ms": v.optional(ms), "headers-ms": v.optional(ms), "request-ms": v.optional(ms), "idle-ms": v.optional(ms) },
        "expected an object with handshake-ms, headers-ms, request-ms, idle-ms",
      ),
    ),
    pool: v.optional(
      v.strictObject(
        { "max-idle": v.optional(count), "max-idle-per-origin": v.optional(count), "max-per-origin": v.optional(count), "idle-timeout-ms": v.optional(positiveMs) },
        "expected an object with max-idle, max-idle-per-origin, max-per-origin, idle-timeout-ms",
      ),
    ),
    peers: v.optional(peers),
  },
  "expected a mapping with workload-api, listen, health, timeouts, pool, peers",
);

/** The validated file shape (internal). */
export type ConfigFile = v.InferOutput<typeof configSchema>;

/** Runs the schema; every issue as `{ path, message }` (internal). */
export function validateConfig(raw: unknown): { value: ConfigFile } | { issues: Array<{ path: string; message: string }> } {
  const result = v.safeParse(configSchema, raw);
  if (result.success) return { value: result.output };
  return {
    issues: result.issues.map((issue) => {
      const path = v.getDotPath(issue) ?? "";
      return { path, message: issue.kind === "schema" && issue.type === "strict_object" ? `unknown key (${issue.message})` : issue.message };
    }),
  };
}
