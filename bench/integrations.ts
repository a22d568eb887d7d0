// Bench: kept-alive requests per second through the SDK's integrations for other HTTP clients,
// next to the same client with plain `ca` verification, measured in the same process, same run,
// same certificates, same server:
//   1. `https.request` through createSpiffeAgent({ maxSockets: 4 }) vs through
//      `https.Agent({ keepAlive: true, maxSockets: 4, key, cert, ca })`;
//   2. `undici.request` through createSpiffeDispatcher vs through
//      `new undici.Agent({ connect: { key, cert, ca } })`, over HTTP/1.1 and HTTP/2 (`allowH2`).
//      Not on Bun, where createSpiffeDispatcher is refused (a BENCH_NOTE says so).
// Each sequentially and with 8 concurrent requests, in 7 interleaved pairs of rounds: value and
// baseline are the medians of their rounds, the ratio the median of the pairs' ratios; and the same for
// the process's CPU time per request (client and server; steadier than req/s on a shared machine). The server is the runtime's
// http2.createSecureServer({ allowHTTP1: true }) with native `ca` verification of clients, so
// only the client differs. SPIFFE verification runs once per connection; these figures show
// what the integrations add per request on kept-alive connections.
// Run: `node bench/integrations.ts`, `bun bench/integrations.ts`, `deno run -A bench/integrations.ts`.
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
for (const conc of [1, 8]) {
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
let dispatcherRefused: unknown;
try {
  void createSpiffeDispatcher({ undici, source: clientSource, authorizer: clientAuthz }).destroy();
} catch (err) {
  dispatcherRefused = err;
}
if (dispatcherRefused instanceof IntegrationError) {
  console.log(`BENCH_NOTE createSpiffeDispatcher is refused here (${dispatcherRefused.code}): no undici figures`);
} else {
  for (const allowH2 of [false, true]) {
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

await new Promise<void>((resolve) => {
  server.close(() => resolve());
  setTimeout(resolve, 1000);
});
process.exit(0);
