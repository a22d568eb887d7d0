import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { listen as listenOn } from "../../adapters/shared/listen.ts";
import { runtimeEntry } from "../runtime-entry.ts";
import { requestClosedEarly } from "../../adapters/shared/body-closed-early.ts";
import { readableToWeb } from "../../adapters/shared/readable-to-web.ts";
import { withRequestTarget } from "../../adapters/shared/request-target.ts";
import { writeWebResponse } from "../../adapters/shared/web-response.ts";
import type { MtlsClient } from "../../http/mtls-client-types.ts";
import { CliError, type Command, EXIT, parseDuration, stringFlag } from "../command.ts";
import { forwardedHeaders } from "../proxy/forwarded-headers.ts";
import { isLoopback, parseListenAddress, parseOriginFlag } from "../proxy/listen-address.ts";
import { describePeerPolicy, peerPolicyAuthorizer } from "../../config/peer-policy.ts";
import { peerPolicyOf } from "../proxy/peer-policy.ts";
import { type ProxyEvents, proxyEvents } from "../proxy/proxy-events.ts";
import { waitForSignal } from "../proxy/wait-for-signal.ts";
import { SOURCE_HELP, SOURCE_OPTIONS, x509SourceFromFlags } from "../proxy/x509-source-from-flags.ts";

/**
 * `spiffe-ts proxy client`: a plain-HTTP listener on loopback that forwards each request to a
 * SPIFFE mTLS upstream, presenting this workload's SVID and verifying the upstream's.
 */
export const proxyClient: Command = {
  name: ["proxy", "client"],
  summary: "let a plain-HTTP app call a SPIFFE mTLS service: listen on loopback, forward over mTLS",
  usage: "--listen 127.0.0.1:PORT --upstream https://HOST:PORT (--expect-id ID | --expect-td TD | --expect-any)... [flags]",
  help: `  --listen ADDR      loopback address for the app to call: 127.0.0.1:PORT, [::1]:PORT or localhost:PORT
                     (anything else is refused: whoever reaches it speaks with this workload's identity)
  --upstream URL     the mTLS service, https://HOST:PORT; its certificate is checked as an X.509-SVID
                     against the bundle of its trust domain, not against a host name
  --expect-id ID     accept an upstream with this SPIFFE ID (repeatable)
  --expect-td TD     accept an upstream of this trust domain (repeatable)
  --expect-any       accept any upstream the trust bundles verify
  --upstream-timeout DURATION  time for the upstream to start answering (default 60s; 0 = none) → else 504
  --verbose          also log debug details (e.g. refused connections) on stderr
${SOURCE_HELP}
An upstream that fails verification or the policy gets no request: the app receives 502 with
the reason. Bodies are streamed both ways; connections to the upstream are pooled and use
HTTP/2 when offered (HTTP/1.1 on Deno). The SVID rotates without restart. Prints a ready line
(with --json: JSON events, one per line) and runs until SIGINT/SIGTERM.
Not forwarded: protocol upgrades (WebSocket) and HTTP trailers (so not gRPC).`,
  options: {
    ...SOURCE_OPTIONS,
    listen: { type: "string" },
    upstream: { type: "string" },
    "expect-id": { type: "string", multiple: true },
    "expect-td": { type: "string", multiple: true },
    "expect-any": { type: "boolean" },
    "upstream-timeout": { type: "string" },
    verbose: { type: "boolean" },
  },
  async run(args, io) {
    const listenText = stringFlag(args, "listen");
    const upstreamText = stringFlag(args, "upstream");
    if (listenText === undefined || upstreamText === undefined) {
      throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `missing ${listenText === undefined ? "--listen" : "--upstream"}; usage: spiffe-ts proxy client ${this.usage}`);
    }
    const listen = parseListenAddress("listen", listenText, "127.0.0.1");
    if (!isLoopback(listen.hostname)) {
      throw new CliError(EXIT.usage, "ERR_CLI_USAGE", `--listen: ${JSON.stringify(listen.hostname)} is not a loopback address; the proxy client speaks with this workload's identity for whoever reaches it, so it listens only on 127.0.0.1, ::1 or localhost`);
    }
    const upstream = parseOriginFlag("upstream", upstreamText, "https:");
    const policy = peerPolicyOf(args, { ids: "expect-id", trustDomains: "expect-td", any: "expect-any" });
    const authorizer = peerPolicyAuthorizer(policy);
    const responseTimeoutMs = parseDuration("upstream-timeout", stringFlag(args, "upstream-timeout") ?? "60s");
    const verbose = args.values.verbose === true;
    const events = proxyEvents(io, args.json, verbose);

    const { source, close: closeSource } = await x509SourceFromFlags(args, io, events, "proxy client");
    // Per-request timeouts are ours (until the response starts); the body may stream for long.
    const client = runtimeEntry.createMtlsClient({ source, authorizer, timeoutMs: 0, logger: events.logger });
    const server = createServer((req, res) => void forward(req, res, { client, upstream, responseTimeoutMs, events }));
    server.on("clientError", (_err, socket) => socket.destroy());
    try {
      await listenOn(server, listen.port, listen.hostname);
    } catch (err) {
      await client.close();
      await closeSource();
      const code = typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : "ERR_CLI_FAILURE";
      throw new CliError(EXIT.failure, code, `cannot listen on ${listenText}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const address = server.address() as AddressInfo;
    const listenUrl = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}/`;
    const svid = source.getX509Svid();
    events.info("ready", `proxy client: ${listenUrl} → ${upstream.origin}, expecting ${describePeerPolicy(policy)}; presenting ${svid.id} (serial ${svid.serialNumber})`, {
      listen: listenUrl,
      port: address.port,
      upstream: upstream.origin,
      expect: describePeerPolicy(policy),
      spiffeId: svid.id.toString(),
      serialNumber: svid.serialNumber,
    });
    await waitForSignal(io.signal);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), 10_000).unref();
    });
    await client.close();
    await closeSource();
    return EXIT.ok;
  },
};

interface ForwardContext {
  readonly client: MtlsClient;
  readonly upstream: URL;
  readonly responseTimeoutMs: number;
  readonly events: ProxyEvents;
}

/** Forwards one request from the app to the upstream and streams the answer back. */
async function forward(req: IncomingMessage, res: ServerResponse, { client, upstream, responseTimeoutMs, events }: ForwardContext): Promise<void> {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new Error("the app went away"));
  });
  const url = withRequestTarget(upstream, req.url ?? "/");
  const method = req.method ?? "GET";
  const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  let timedOut = false;
  const timer = responseTimeoutMs > 0 ? setTimeout(() => ((timedOut = true), controller.abort(new Error("timeout"))), responseTimeoutMs) : undefined;
  try {
    const response = await client.fetch(url, {
      method,
      headers: forwardedHeaders(req.rawHeaders),
      ...(hasBody ? { body: readableToWeb(req, { closedEarly: () => requestClosedEarly(controller.signal) }) } : {}),
      signal: controller.signal,
    });
    clearTimeout(timer);
    const headers = forwardedHeaders(response.headers);
    await writeWebResponse(new Response(response.body, { status: response.status, statusText: response.statusText, headers }), res, { head: method === "HEAD", http2: false });
  } catch (err) {
    clearTimeout(timer);
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const status = timedOut ? 504 : 502;
    const message = timedOut ? `${upstream.origin} sent no response within ${responseTimeoutMs} ms` : err instanceof Error ? err.message : String(err);
    events.problem("upstream", `proxy client: ${method} ${url.pathname} → ${upstream.origin}: ${message}`, { status, method, upstream: upstream.origin, message });
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
    res.end(`spiffe-ts proxy: ${message}\n`);
  }
}

