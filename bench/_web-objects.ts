// What the Web objects alone cost per kept-alive request on this runtime, with no I/O and no
// SDK code: the floor that any server handing a handler a real `Request` (whose `signal`
// aborts when the client goes away) and writing the `Response` it returns, and any client
// returning a real `Response`, pays on top of the runtime's own request/response objects.
// bench/mtls.ts sets these next to the native pair's time per request to state the ceiling
// of the kept-alive ratios.
import process from "node:process";

/** CPU microseconds per request of each end's Web objects (the median of a few rounds). */
export interface WebObjectCosts {
  /**
   * Server end: `new Request(url, { method, headers, signal })` following a fresh
   * AbortController, the handler's `new Response(json, { headers })`, reading its headers
   * (`forEach`) and its body (two reads: the chunk, then the end).
   */
  readonly server: number;
  /** Of `server`: what following the AbortController's signal adds to the Request (the same Request without `signal`, subtracted). */
  readonly signal: number;
  /**
   * Client end: `new Response(body, { status, statusText, headers })` for a small JSON
   * answer (the cheaper of a byte body and a ready one-chunk stream) and `.json()`, less what
   * a native client does with the same bytes (decode and `JSON.parse`).
   */
  readonly client: number;
}

const BODY = JSON.stringify({ ok: true, n: 1 });
const BYTES = new TextEncoder().encode(BODY);
const URL_STRING = "https://127.0.0.1:8443/hello";
const REQUEST_HEADERS: [string, string][] = [["user-agent", "bench"], ["accept", "*/*"], ["host", "127.0.0.1:8443"]];
const RESPONSE_HEADERS: [string, string][] = [["content-type", "application/json"], ["content-length", String(BYTES.byteLength)], ["date", new Date().toUTCString()]];
const PER_TURN = 8; // requests per event-loop turn, as with 8 concurrent clients

/** The middle value of `values` (upper median for an even count). */
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU microseconds of this process per call of `op` over one round of `calls`, run PER_TURN at a time per event-loop turn. */
async function perCall(op: () => Promise<unknown>, calls: number): Promise<number> {
  const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
  const batch = (): Promise<unknown[]> => Promise.all(Array.from({ length: PER_TURN }, op));
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i += PER_TURN) {
    await batch();
    if (i % (PER_TURN * 16) === 0) await turn();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

const serverEnd = (withSignal: boolean) => async (): Promise<void> => {
  const request = new Request(URL_STRING, { method: "GET", headers: REQUEST_HEADERS, signal: withSignal ? new AbortController().signal : undefined });
  if (request.signal.aborted) throw new Error("bench: aborted");
  const response = new Response(BODY, { headers: { "content-type": "application/json" } });
  response.headers.forEach(() => {});
  const reader = response.body!.getReader();
  await reader.read();
  await reader.read();
};
const clientBytes = async (): Promise<unknown> => new Response(BYTES, { status: 200, statusText: "", headers: RESPONSE_HEADERS }).json();
const clientChunk = async (): Promise<unknown> =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(BYTES);
        controller.close();
      },
    }),
    { status: 200, statusText: "", headers: RESPONSE_HEADERS },
  ).json();
const nativeClient = async (): Promise<unknown> => JSON.parse(new TextDecoder().decode(BYTES));

/** Measures {@link WebObjectCosts} (a few seconds): every variant once per round, rounds interleaved, medians. */
export async function webObjectCosts(calls = 20_000, rounds = 5): Promise<WebObjectCosts> {
  const variants = { server: serverEnd(true), withoutSignal: serverEnd(false), clientBytes, clientChunk, nativeClient };
  const spent: Record<keyof typeof variants, number[]> = { server: [], withoutSignal: [], clientBytes: [], clientChunk: [], nativeClient: [] };
  for (const op of Object.values(variants)) await perCall(op, calls / 4); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, op] of Object.entries(variants) as [keyof typeof variants, () => Promise<unknown>][]) spent[name].push(await perCall(op, calls));
  }
  const server = median(spent.server);
  const client = Math.min(median(spent.clientBytes), median(spent.clientChunk));
  return { server, signal: Math.max(0, server - median(spent.withoutSignal)), client: Math.max(0, client - median(spent.nativeClient)) };
}
