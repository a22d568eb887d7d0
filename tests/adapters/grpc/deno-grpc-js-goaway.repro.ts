// Why the Deno entry refuses createSpiffeChannelCredentials: a repro without any SDK code
// (not part of `npm test`; run it by hand). A plain-text @grpc/grpc-js client calls a
// Connect gRPC server on node:http2; each round, the server closes its sessions gracefully
// (HTTP/2 GOAWAY) while 20 calls are in flight.
//
//   deno run -A tests/adapters/grpc/deno-grpc-js-goaway.repro.ts        → Deno 2.9.6: the process
//     stalls within a few rounds (its main thread spins; the 1 s ticker below stops; no
//     exit); CLIENT=connect (Connect's gRPC client instead) finishes all 30 rounds.
//   node tests/adapters/grpc/deno-grpc-js-goaway.repro.ts (Node 24), bun …  → all 30 rounds.
// With the calls finished before the server closes (no GOAWAY during calls), Deno finishes too.
import { create, toBinary } from "@bufbuild/protobuf";
import { type ConnectRouter, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { GreeterService, GreetRequestSchema } from "../../../examples/grpc/gen/greeter_pb.ts";

const ROUNDS = 30;
const path = "/spiffets.examples.greeter.v1.GreeterService/Greet";
const useConnect = process.env.CLIENT === "connect";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
setInterval(() => console.log(`tick ${Date.now() - started} ms`), 1000).unref();

for (let round = 0; round < ROUNDS; round++) {
  const routes = (router: ConnectRouter) => router.service(GreeterService, { greet: async (req) => (await sleep(Number(req.name)), { greeting: "hi" }) });
  const server = http2.createServer(connectNodeAdapter({ routes }));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  let calls: Promise<unknown>[];
  let closeClient = () => {};
  if (useConnect) {
    const client = createClient(GreeterService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    calls = Array.from({ length: 20 }, (_, i) => client.greet({ name: String(i % 2 ? 5 : 300) }, { timeoutMs: 2000 }).catch(() => {}));
  } else {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const request = (ms: number) => Buffer.from(toBinary(GreetRequestSchema, create(GreetRequestSchema, { name: String(ms) })));
    const bytes = (b: Buffer) => b;
    calls = Array.from({ length: 20 }, (_, i) =>
      new Promise((resolve) => client.makeUnaryRequest(path, bytes, bytes, request(i % 2 ? 5 : 300), { deadline: Date.now() + 2000 }, resolve)));
    closeClient = () => client.close();
  }
  await sleep(20);
  for (const s of sessions) s.close(); // GOAWAY while calls are in flight
  server.close();
  setTimeout(() => { for (const s of sessions) s.destroy(); }, 50);
  await Promise.all(calls);
  closeClient();
  console.log(`round ${round} done after ${Date.now() - started} ms`);
}
console.log(`all ${ROUNDS} rounds done`);
process.exit(0);
