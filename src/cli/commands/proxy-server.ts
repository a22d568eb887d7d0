import { runtimeEntry } from "../runtime-entry.ts";
import type { MtlsServer } from "../../http/serve-mtls-types.ts";
import { CliError, type Command, EXIT, parseDuration, stringFlag } from "../command.ts";
import { forwardedHeaders } from "../proxy/forwarded-headers.ts";
import { parseListenAddress, parseOriginFlag } from "../proxy/listen-address.ts";
import { describePeerPolicy, peerPolicyAuthorizer } from "../../config/peer-policy.ts";
import { peerPolicyOf } from "../proxy/peer-policy.ts";
import { createPlainHttpUpstream, UpstreamError } from "../proxy/plain-http-upstream.ts";
import { proxyEvents } from "../proxy/proxy-events.ts";
import { waitForSignal } from "../proxy/wait-for-signal.ts";
import { SOURCE_HELP, SOURCE_OPTIONS, x509SourceFromFlags } from "../proxy/x509-source-from-flags.ts";
import { toCliError } from "../workload-api.ts";

/** Default header carrying the verified caller's SPIFFE ID to the app. */
export const CALLER_ID_HEADER = "x-spiffe-caller-id";

/** A header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `spiffe-ts proxy server`: terminates SPIFFE mTLS in front of a plain-HTTP app and forwards
 * each authorized request with the caller's verified SPIFFE ID in a header.
 */
export const proxyServer: Command = {
  name: ["proxy", "server"],
  summary: "terminate SPIFFE mTLS for a plain-HTTP app; the app gets the verified caller ID in a header",
  usage: "--listen ADDR --target http://127.0.0.1:PORT (--allow ID | --allow-td TD | --allow-any)... [flags]",
  help: `  --listen ADDR      where to accept mTLS: HOST:PORT, [IPv6]:PORT or :PORT (all interfaces)
  --target URL       the app, http://HOST:PORT (usually 127.0.0.1; only the app should listen there)
  --allow ID         accept callers with this SPIFFE ID (repeatable)
  --allow-td TD      accept callers of this trust domain (repeatable)
  --allow-any        accept any caller the trust bundles verify
  --id-header NAME   header carrying the caller's verified SPIFFE ID to the app (default ${CALLER_ID_HEADER});
                     any value the caller sent in it is removed first
  --health ADDR      also serve plain-HTTP /healthz and SVID-aware /readyz on ADDR (for probes)
  --upstream-timeout DURATION  time for the app to start answering (default 60s; 0 = none) → else 504
  --verbose          also report refused handshakes on stderr
${SOURCE_HELP}
Verifies every caller's X.509-SVID against the bundle of its trust domain and the policy
before a byte reaches the app; refused callers get no HTTP response. Bodies are streamed
both ways. The SVID rotates without restart. Prints a ready line (with --json: JSON events,
one per line) and runs until SIGINT/SIGTERM, then lets requests in flight finish (10 s).
Not forwarded: protocol upgrades (WebSocket) and HTTP trailers (so not gRPC).`,
  options: {
    ...SOURCE_OPTIONS,
    listen: { type: "string" },
    target: { type: "string" },
    allow: { type: "string", multiple: true },
    "allow-td": { type: "string", multiple: true },
    "allow-any": { type: "boolean" },
    "id-header": { type: "string" },
    health: { type: "string" },
    "upstream-timeout": { type: "string" },
    verbose: { type: "boolean" },
  },
  async run(args, io) {
    const listenText = stringFlag(args, "listen");
    const targetText = stringFlag(args, "target");
    if (listenText === undefined || targetText === undefined) {
      throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `missing ${listenText === undefined ? "--listen" : "--target"}; usage: spiffe-ts proxy server ${this.usage}`);
    }
    const listen = parseListenAddress("listen", listenText, "0.0.0.0");
    const target = parseOriginFlag("target", targetText, "http:");
    const policy = peerPolicyOf(args, { ids: "allow", trustDomains: "allow-td", any: "allow-any" });
    const authorizer = peerPolicyAuthorizer(policy);
    const idHeader = (stringFlag(args, "id-header") ?? CALLER_ID_HEADER).toLowerCase();
    if (!TOKEN.test(idHeader)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--id-header: ${JSON.stringify(idHeader)} is not a header name`);
    if (idHeader === "x-spiffe-id") {
      throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--id-header: X-SPIFFE-ID is reserved for the subject a gateway acts for (getForwardedSubject), not the caller; keep the default or pick another name");
    }
    const healthText = stringFlag(args, "health");
    const health = healthText === undefined ? undefined : parseListenAddress("health", healthText, "0.0.0.0");
    const responseTimeoutMs = parseDuration("upstream-timeout", stringFlag(args, "upstream-timeout") ?? "60s");
    const events = proxyEvents(io, args.json, args.values.verbose === true);

    const { source, close: closeSource } = await x509SourceFromFlags(args, io, events, "proxy server");
    const upstream = createPlainHttpUpstream({ target, responseTimeoutMs });
    let server: MtlsServer;
    try {
      server = await runtimeEntry.serveMtls({
        source,
        authorizer,
        port: listen.port,
        hostname: listen.hostname,
        ...(health ? { health } : {}),
        logger: events.logger,
        fetch: async (request, { peer }) => {
          const headers = forwardedHeaders(request.headers, new Set([idHeader]));
          headers.set("host", new URL(request.url).host);
          headers.set(idHeader, peer.id.toString());
          try {
            return await upstream.send(request, headers);
          } catch (err) {
            if (request.signal.aborted) return new Response(null, { status: 499 }); // the caller went away; nobody reads this
            const status = err instanceof UpstreamError ? err.status : 502;
            const message = err instanceof Error ? err.message : String(err);
            events.problem("upstream", `proxy server: ${request.method} ${new URL(request.url).pathname} from ${peer.id}: ${message}`, { status, method: request.method, caller: peer.id.toString(), message });
            return new Response(`spiffe-ts proxy: ${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
          }
        },
      });
    } catch (err) {
      upstream.close();
      await closeSource();
      const e = toCliError(err);
      throw new CliError(e.exitCode === EXIT.invalid ? EXIT.usage : e.exitCode, e.code, `cannot listen on ${listenText}: ${e.message}`);
    }
    const svid = source.getX509Svid();
    events.info("ready", `proxy server: ${server.url.href} → ${target.origin}, caller ID in ${idHeader}; accepting ${describePeerPolicy(policy)}; presenting ${svid.id} (serial ${svid.serialNumber})${server.healthUrl ? `; health ${server.healthUrl.href}` : ""}`, {
      listen: server.url.href,
      port: server.port,
      target: target.origin,
      idHeader,
      accept: describePeerPolicy(policy),
      spiffeId: svid.id.toString(),
      serialNumber: svid.serialNumber,
      health: server.healthUrl?.href ?? null,
    });
    await waitForSignal(io.signal);
    await server.close({ timeoutMs: 10_000 });
    upstream.close();
    await closeSource();
    return EXIT.ok;
  },
};
