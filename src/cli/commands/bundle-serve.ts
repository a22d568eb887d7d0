import { readFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { listen } from "../../adapters/shared/listen.ts";
import { toWebRequest } from "../../adapters/shared/web-request.ts";
import { writeWebResponse } from "../../adapters/shared/web-response.ts";
import type { WorkloadApiError } from "../../core/errors/workload-api-error.ts";
import { TrustDomain } from "../../core/spiffeid/trust-domain.ts";
import { createBundleEndpointHandler } from "../../federation/bundle-endpoint-handler.ts";
import type { MtlsServer } from "../../http/serve-mtls-types.ts";
import { BundleSource } from "../../adapters/shared/workload-api.ts";
import { CliError, type Command, EXIT, parseDuration, stringFlag } from "../command.ts";
import { parseListenAddress } from "../proxy/listen-address.ts";
import { proxyEvents } from "../proxy/proxy-events.ts";
import { waitForSignal } from "../proxy/wait-for-signal.ts";
import { SOURCE_HELP, SOURCE_OPTIONS, x509SourceFromFlags } from "../proxy/x509-source-from-flags.ts";
import { runtimeEntry } from "../runtime-entry.ts";
import { toCliError } from "../workload-api.ts";

/**
 * `spiffe-ts bundle serve`: a SPIFFE bundle endpoint (SPIFFE Federation §5) serving the
 * trust domain bundle the Workload API gives this workload, with the `https_spiffe` profile
 * (TLS with the workload's X.509-SVID) or `https_web` (a Web-PKI certificate from files).
 */
export const bundleServe: Command = {
  name: ["bundle", "serve"],
  summary: "serve this trust domain's bundle as a SPIFFE bundle endpoint (federation), https_spiffe or https_web",
  usage: "--listen ADDR [--profile https_spiffe|https_web] [--cert FILE --key FILE] [--trust-domain TD] [flags]",
  help: `  --listen ADDR      where to serve: HOST:PORT, [IPv6]:PORT or :PORT (all interfaces)
  --profile NAME     https_spiffe (default): TLS with this workload's X.509-SVID (rotated without
                     restart); https_web: TLS with the Web-PKI certificate in --cert/--key
  --cert FILE        https_web: PEM certificate chain (leaf first)
  --key FILE         https_web: PEM private key
  --trust-domain TD  whose bundle to serve; default: the trust domain of this workload's SVID
                     (required with https_web)
  --refresh-hint DURATION  spiffe_refresh_hint when the agent gives none (default 5m)
  --path PATH        serve only at this path, 404 elsewhere (default: every path)
${SOURCE_HELP}
Clients fetch it with fetchBundle / watchBundle, go-spiffe's federation.FetchBundle, or a SPIRE
server's federation configuration. GET and HEAD only; the bundle is read from the Workload
API on every request (X.509 and JWT authorities). Prints a ready line (--json: JSON events)
and runs until SIGINT/SIGTERM.`,
  options: {
    ...SOURCE_OPTIONS,
    listen: { type: "string" },
    profile: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
    "trust-domain": { type: "string" },
    "refresh-hint": { type: "string" },
    path: { type: "string" },
  },
  async run(args, io) {
    const listenText = stringFlag(args, "listen");
    if (listenText === undefined) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `missing --listen; usage: spiffe-ts bundle serve ${this.usage}`);
    const listen = parseListenAddress("listen", listenText, "0.0.0.0");
    const profile = stringFlag(args, "profile") ?? "https_spiffe";
    if (profile !== "https_spiffe" && profile !== "https_web") throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--profile: expected https_spiffe or https_web, got ${JSON.stringify(profile)}`);
    const certFile = stringFlag(args, "cert");
    const keyFile = stringFlag(args, "key");
    if (profile === "https_web" && (certFile === undefined || keyFile === undefined)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--profile https_web needs --cert and --key (the endpoint's Web-PKI certificate)");
    if (profile === "https_spiffe" && (certFile !== undefined || keyFile !== undefined)) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--cert/--key are for --profile https_web; https_spiffe presents the workload's X.509-SVID");
    const tdText = stringFlag(args, "trust-domain");
    if (profile === "https_web" && tdText === undefined) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", "--profile https_web needs --trust-domain");
    let trustDomain: TrustDomain | undefined;
    try {
      trustDomain = tdText === undefined ? undefined : TrustDomain.parse(tdText);
    } catch (err) {
      throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--trust-domain: ${err instanceof Error ? err.message : String(err)}`);
    }
    const refreshHintSeconds = Math.ceil(parseDuration("refresh-hint", stringFlag(args, "refresh-hint") ?? "5m") / 1000);
    const path = stringFlag(args, "path");
    if (path !== undefined && !path.startsWith("/")) throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--path must start with "/", got ${JSON.stringify(path)}`);
    const web = profile === "https_web" ? { cert: readPem(certFile!, "cert"), key: readPem(keyFile!, "key") } : undefined;
    const events = proxyEvents(io, args.json, false);

    const svid = profile === "https_spiffe" ? await x509SourceFromFlags(args, io, events, "bundle serve") : undefined;
    const onError = (err: WorkloadApiError): void => events.problem("workload-api", `Workload API: ${err.message} (serving the last bundles)`, { code: err.code, message: err.message });
    const address = stringFlag(args, "address");
    let bundles: BundleSource;
    try {
      bundles = await BundleSource.create({ ...(address === undefined ? { env: io.env } : { address }), timeoutMs: parseDuration("timeout", stringFlag(args, "timeout") ?? "30s"), signal: io.signal, onError });
    } catch (err) {
      await svid?.close();
      throw toCliError(err);
    }
    trustDomain ??= svid!.source.getX509Svid().id.trustDomain;
    const bundleHandler = createBundleEndpointHandler({ trustDomain, source: bundles, refreshHintSeconds, logger: events.logger });
    const handler = (request: Request): Promise<Response> | Response =>
      path === undefined || new URL(request.url).pathname === path ? bundleHandler(request) : new Response("not found\n", { status: 404 });

    const closeSources = async (): Promise<void> => {
      await bundles.close();
      await svid?.close();
    };
    let server: { url: string; close(): Promise<void> };
    try {
      server = svid
        ? wrapMtls(await runtimeEntry.serveMtls({ mode: "tls", source: svid.source, port: listen.port, hostname: listen.hostname, logger: events.logger, fetch: handler }))
        : await serveWebPki(handler, web!, listen.port, listen.hostname);
    } catch (err) {
      await closeSources();
      const e = toCliError(err);
      throw new CliError(e.exitCode === EXIT.invalid ? EXIT.usage : e.exitCode, e.code, `cannot listen on ${listenText}: ${e.message}`);
    }
    const url = `${server.url.replace(/\/$/, "")}${path ?? "/"}`;
    const presenting = svid ? `, presenting ${svid.source.getX509Svid().id}` : "";
    events.info("ready", `bundle serve: ${url} serves the bundle of "${trustDomain.name}" (${profile}${presenting})`, {
      url,
      trustDomain: trustDomain.name,
      profile,
      endpointId: svid ? svid.source.getX509Svid().id.toString() : null,
    });
    await waitForSignal(io.signal);
    await server.close();
    await closeSources();
    return EXIT.ok;
  },
};

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--${flag}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function wrapMtls(server: MtlsServer): { url: string; close(): Promise<void> } {
  return { url: server.url.href, close: () => server.close({ timeoutMs: 5000 }) };
}

/** The https_web endpoint: node:https (all three runtimes) with the Web-PKI certificate. */
async function serveWebPki(handler: (request: Request) => Promise<Response> | Response, tls: { cert: string; key: string }, port: number, hostname: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: HttpsServer = createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, (req, res) => {
    const controller = new AbortController();
    res.once("close", () => controller.abort());
    Promise.resolve()
      .then(() => handler(toWebRequest(req, `${hostname}:${port}`, controller.signal)))
      .then((response) => writeWebResponse(response, res, { head: req.method === "HEAD", http2: false }))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  const bound = await listen(server, port, hostname);
  const host = hostname.includes(":") ? `[${hostname}]` : hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  return {
    url: `https://${host}:${bound}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
