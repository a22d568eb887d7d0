// Bench: kept-alive requests per second through the SDK's integrations for other HTTP clients,
// next to the same client with plain `ca` verification, measured in the same process, same run,
// same certificates, same server:
//   1. `https.request` through createSpiffeAgent({ maxSockets: 4 }) vs through
//      `https.Agent({ keepAlive: true, maxSockets: 4, key, cert, ca })`;
//   2. `undici.request` through createSpiffeDispatcher vs through
//      `new undici.Agent({ connect: { key, cert, ca } })`, over HTTP/1.1 and HTTP/2 (`allowH2`).
//      Not on Bun, where createSpiffeDispatcher is refused (a BENCH_NOTE says so).
//   3. New connections per second (sequential): a fresh createSpiffeAgent / createSpiffeDispatcher
//      per connection (one request, then destroyed / closed), so every request is a full
//      handshake with SPIFFE verification of the server, vs a fresh plain `https.Agent` /
//      `undici.Agent` with `{ key, cert, ca }` per connection, the same way. These catch costs
//      of a connection's start that kept-alive figures never show (a Deno setNoDelay stall of
//      ~45 ms per new connection once went unseen).
// Each sequentially and with 8 concurrent requests, in 7 interleaved pairs of rounds: value and
// baseline are the medians of their rounds, the ratio the median of the pairs' ratios; and the same for
// the process's CPU time per request (client and server; steadier than req/s on a shared machine). The server is the runtime's
// http2.createSecureServer({ allowHTTP1: true }) with native `ca` verification of clients, so
// only the client differs. SPIFFE verification runs once per connection; these figures show
// what the integrations add per request on kept-alive connections.
// Run: `node bench/integrations.ts`, `bun bench/integrations.ts`, `deno run -A bench/integrations.ts`
// (`BENCH_ONLY=kept` or `BENCH_ONLY=new` for one part).
import * as http2 from "node:http2";
import * as https from "node:https";
import * as undici from "undici";
import { IntegrationError } from "../mod.ts";
import { runtimeEntry } from "../tests/support/runtime-entry.ts";
import { FakeX509Source } from "../src/testing/mod.ts";
import { pairedMedians } from "./_stats.ts";
import { ca, caPem, clientAuthz, clientPem, clientSvid, readOk, serverPem } from "./_mtls-fixtures.ts";
const { createSpiffeAgent, createSpiffeDispatcher } = runtimeEntry; // the entry of the runtime running the bench

const SOCKETS = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7); // pairs; the figure is the median pair
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 700);
const BODY = JSON.stringify({ ok: true, n: 1 });
/** Parts to run (comma-separated; default both): kept (kept-alive, 1 and 2), new (new connections, 3). */
const ONLY = new Set((process.env.BENCH_ONLY ?? "kept,new").split(","));

function result(line: Record<string, unknown>): void {
  console.log(`BENCH_RESULT ${JSON.stringify({ bench: "integrations", target: 0.9, unit: "req/s", ...line })}`);
}
/** The figure's CPU time per request (the whole process: client and server), next to the baseline's; steadier than req/s on a shared machine. */
function cpuResult(name: string, baselineName: string, m: { cpuOurs: number; cpuBase: number; cpuRatio: number }): void {
  result({ name: `CPU per request, ${name}`, unit: "µs CPU", better: "lower", target: 1.11, value: r2(m.cpuOurs), baselineName, baseline: r2(m.cpuBase), ratio: r2(m.cpuRatio) });
}
const r2 = (n: number): number => Math.round(n * 100) / 100;

const server = http2.createSecureServer(
  { key: serverPem.privateKey, cert: serverPem.certificates, ca: caPem, requestCert: true, rejectUnauthorized: true, allowHTTP1: true, ALPNProtocols: ["h2", "http/1.1"] },
  (_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(BODY);
  },
);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/hello`;
const clientSource = new FakeX509Source({ svid: clientSvid, bundles: [ca.x509Bundle] });
const baseTls = { key: clientPem.privateKey, cert: clientPem.certificates, ca: caPem, checkServerIdentity: () => undefined };

// ---- 1. https.request through an https.Agent -------------------------------------------------

function get(agent: https.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    https.get(url, { agent }, (res) => readOk(res).then(resolve, reject)).on("error", reject);
  });
}
const spiffeAgent = createSpiffeAgent({ source: clientSource, authorizer: clientAuthz, maxSockets: SOCKETS });
const baseAgent = new https.Agent({ keepAlive: true, maxSockets: SOCKETS, ...baseTls });
for (const conc of ONLY.has("kept") ? [1, 8] : []) {
  const m = await pairedMedians(() => get(spiffeAgent), () => get(baseAgent), conc, ROUNDS, ROUND_MS);
  const what = `https.request through createSpiffeAgent({ maxSockets: ${SOCKETS} }) (${conc === 1 ? "sequential" : `${conc} concurrent`})`;
  const baselineName = `https.request through https.Agent({ keepAlive: true, maxSockets: ${SOCKETS}, key, cert, ca }), same server`;
  result({ name: `kept-alive requests/s, ${what}`, value: r2(m.ours), baselineName, baseline: r2(m.base), ratio: r2(m.ratio) });
  cpuResult(what, baselineName, m);
}
spiffeAgent.destroy();
baseAgent.destroy();

// ---- 2. undici.request through a Dispatcher --------------------------------------------------

async function requestOk(dispatcher: undici.Dispatcher): Promise<void> {
  const { body } = await undici.request(url, { dispatcher });
  const answer = (await body.json()) as { ok?: unknown };
  if (answer.ok !== true) throw new Error("bench: unexpected body");
}
/** Whether createSpiffeDispatcher works on this runtime (it is refused on Bun). */
let dispatcherRefused: unknown;
try {
  void createSpiffeDispatcher({ undici, source: clientSource, authorizer: clientAuthz }).destroy();
} catch (err) {
  dispatcherRefused = err;
}
if (dispatcherRefused instanceof IntegrationError) {
  console.log(`BENCH_NOTE createSpiffeDispatcher is refused here (${dispatcherRefused.code}): no undici figures`);
} else {
  for (const allowH2 of ONLY.has("kept") ? [false, true] : []) {
    const ours = createSpiffeDispatcher({ undici, source: clientSource, authorizer: clientAuthz, allowH2 });
    const base = new undici.Agent({ allowH2, connect: baseTls });
    for (const conc of [1, 8]) {
      const m = await pairedMedians(() => requestOk(ours), () => requestOk(base), conc, ROUNDS, ROUND_MS);
      const what = `undici.request through createSpiffeDispatcher({ allowH2: ${allowH2} }) (${conc === 1 ? "sequential" : `${conc} concurrent`})`;
      const baselineName = `undici.request through new undici.Agent({ allowH2: ${allowH2}, connect: { key, cert, ca } }), same server`;
      result({ name: `kept-alive requests/s, ${what}`, value: r2(m.ours), baselineName, baseline: r2(m.base), ratio: r2(m.ratio) });
      cpuResult(what, baselineName, m);
    }
    await ours.close();
    await base.close();
  }
}

// ---- 3. new connections ----------------------------------------------------------------------

/** One request through a client made for it, closed after: a new connection (and handshake) each time. */
async function throughFresh<C>(make: () => C, send: (client: C) => Promise<void>, close: (client: C) => Promise<void> | void): Promise<void> {
  const client = make();
  try {
    await send(client);
  } finally {
    await close(client);
  }
}
if (ONLY.has("new")) {
  const NEW = [
    {
      what: "https.request through a fresh createSpiffeAgent() per connection, destroyed after its one request (sequential)",
      ours: () => throughFresh(() => createSpiffeAgent({ source: clientSource, authorizer: clientAuthz }), get, (a) => a.destroy()),
      baselineName: "https.request through a fresh https.Agent({ key, cert, ca }) per connection, destroyed after its one request, same server",
      base: () => throughFresh(() => new https.Agent(baseTls), get, (a) => a.destroy()),
    },
    ...(dispatcherRefused instanceof IntegrationError
      ? []
      : [
          {
            what: "undici.request through a fresh createSpiffeDispatcher() per connection, closed after its one request (sequential)",
            ours: () => throughFresh(() => createSpiffeDispatcher({ undici, source: clientSource, authorizer: clientAuthz }), requestOk, (d) => d.close()),
            baselineName: "undici.request through a fresh new undici.Agent({ connect: { key, cert, ca } }) per connection, closed after its one request, same server",
            base: () => throughFresh(() => new undici.Agent({ connect: baseTls }), requestOk, (d) => d.close()),
          },
        ]),
  ];
  for (const n of NEW) {
    const m = await pairedMedians(n.ours, n.base, 1, ROUNDS, ROUND_MS);
    result({ name: `new connections/s, ${n.what}`, unit: "conn/s", value: r2(m.ours), baselineName: n.baselineName, baseline: r2(m.base), ratio: r2(m.ratio) });
    result({ name: `CPU per new connection, ${n.what}`, unit: "µs CPU", better: "lower", target: 1.11, value: r2(m.cpuOurs), baselineName: n.baselineName, baseline: r2(m.cpuBase), ratio: r2(m.cpuRatio) });
  }
}

await new Promise<void>((resolve) => {
  server.close(() => resolve());
  setTimeout(resolve, 1000);
});
process.exit(0);
