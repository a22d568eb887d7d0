// Shared fixtures of the gRPC integration suites: a tiny grpc-js service with Buffer
// serializers (no codegen) whose one method answers the caller as the server verified it.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { GreetRequestSchema, GreetResponseSchema } from "../../../examples/grpc/gen/greeter_pb.ts";
import { type Authorizer, authorizeId } from "../../../mod.ts";
import { getPeerIdentity } from "../../../src/adapters/node/mod.ts";
import type { GreetRequest } from "../../../examples/grpc/gen/greeter_pb.ts";
import { hex } from "../mtls-fixtures.ts";

const bytes = (b: Buffer): Buffer => b;

/** `/test.Who/Am`: answers `{ id, leaf }` of the verified caller (JSON), or `{ id: null }`. */
export const whoService = {
  am: { path: "/test.Who/Am", requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes },
  /** Server streaming: one message, the caller. */
  watch: { path: "/test.Who/Watch", requestStream: false, responseStream: true, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes },
  /** Bidirectional: answers each message with the caller. */
  chat: { path: "/test.Who/Chat", requestStream: true, responseStream: true, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes },
} satisfies grpc.ServiceDefinition;

/**
 * GreeterService (examples/grpc/greeter.proto) for grpc-js, with protobuf-es serializers:
 * Connect's gRPC clients call it too. `Greet` answers the caller's ID and its leaf (hex, as `greeting`).
 */
export const greeterService = {
  greet: {
    path: "/spiffets.examples.greeter.v1.GreeterService/Greet",
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: GreetRequest) => Buffer.from(toBinary(GreetRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(GreetRequestSchema, b),
    responseSerialize: (m: { callerSpiffeId: string; greeting: string }) => Buffer.from(toBinary(GreetResponseSchema, create(GreetResponseSchema, m))),
    responseDeserialize: (b: Buffer) => fromBinary(GreetResponseSchema, b),
  },
} satisfies grpc.ServiceDefinition;

function callerOf(call: { readonly metadata: grpc.Metadata }): Buffer {
  const peer = getPeerIdentity(call);
  const caller: Caller = peer ? { id: peer.id.toString(), leaf: hex(peer.certificates[0]!) } : { id: null };
  return Buffer.from(JSON.stringify(caller));
}

export interface Caller {
  readonly id: string | null;
  readonly leaf?: string;
}

/** A grpc-js Server with the Who service; `calls` counts the calls that reached the handler. */
export function whoServer(): { server: grpc.Server; calls: () => number } {
  const server = new grpc.Server();
  let calls = 0;
  server.addService(whoService, {
    am(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      calls++;
      callback(null, callerOf(call));
    },
    watch(call: grpc.ServerWritableStream<Buffer, Buffer>) {
      calls++;
      call.write(callerOf(call));
      call.end();
    },
    chat(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
      calls++;
      call.on("data", () => call.write(callerOf(call)));
      call.on("end", () => call.end());
    },
  });
  server.addService(greeterService, {
    greet(call: grpc.ServerUnaryCall<GreetRequest, unknown>, callback: grpc.sendUnaryData<{ callerSpiffeId: string; greeting: string }>) {
      calls++;
      const peer = getPeerIdentity(call);
      callback(null, { callerSpiffeId: peer?.id.toString() ?? "", greeting: peer ? hex(peer.certificates[0]!) : "" });
    },
  });
  return { server, calls: () => calls };
}

/** Calls `Am` once on a client of its own (own subchannel pool: a new connection), then closes it. */
export function callWho(port: number, credentials: grpc.ChannelCredentials): Promise<Caller> {
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials, { "grpc.use_local_subchannel_pool": 1 });
  return new Promise<Caller>((resolve, reject) => {
    client.makeUnaryRequest(whoService.am.path, bytes, bytes, Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (err, value) => {
      client.close();
      if (err) reject(err);
      else resolve(JSON.parse(value!.toString("utf8")) as Caller);
    });
  });
}

/** Calls `Watch` (server streaming) and `Chat` (bidirectional, one message) on one client; the callers they answered. */
export async function streamWho(port: number, credentials: grpc.ChannelCredentials): Promise<Caller[]> {
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials, { "grpc.use_local_subchannel_pool": 1 });
  const collect = (stream: NodeJS.ReadableStream): Promise<Caller[]> =>
    new Promise((resolve, reject) => {
      const out: Caller[] = [];
      stream.on("data", (b: Buffer) => out.push(JSON.parse(b.toString("utf8")) as Caller));
      stream.on("error", reject);
      stream.on("end", () => resolve(out));
    });
  try {
    const watched = await collect(client.makeServerStreamRequest(whoService.watch.path, bytes, bytes, Buffer.alloc(0), { deadline: Date.now() + 10_000 }));
    const chat = client.makeBidiStreamRequest(whoService.chat.path, bytes, bytes, { deadline: Date.now() + 10_000 });
    const chatted = collect(chat);
    chat.write(Buffer.from("hi"));
    chat.end();
    return [...watched, ...(await chatted)];
  } finally {
    client.close();
  }
}

/** An authorizer that accepts `id` and records the leaf (hex) of every server it sees. */
export function recordingAuthorizer(id: string, seen: string[]): Authorizer {
  const expected = authorizeId(id);
  return (peerId, chain) => {
    seen.push(hex(chain[0]!));
    return expected(peerId, chain);
  };
}
