// Shared fixtures of the gRPC integration suites: a tiny grpc-js service with Buffer
// serializers (no codegen) whose one method answers the caller as the server verified it.
import * as grpc from "@grpc/grpc-js";
import { type Authorizer, authorizeId } from "../../../mod.ts";
import { getPeerIdentity } from "../../../src/adapters/node/mod.ts";
import { hex } from "../mtls-fixtures.ts";

const bytes = (b: Buffer): Buffer => b;

/** `/test.Who/Am`: answers `{ id, leaf }` of the verified caller (JSON), or `{ id: null }`. */
export const whoService = {
  am: { path: "/test.Who/Am", requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes },
} satisfies grpc.ServiceDefinition;

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
      const peer = getPeerIdentity(call);
      const caller: Caller = peer ? { id: peer.id.toString(), leaf: hex(peer.certificates[0]!) } : { id: null };
      callback(null, Buffer.from(JSON.stringify(caller)));
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

/** An authorizer that accepts `id` and records the leaf (hex) of every server it sees. */
export function recordingAuthorizer(id: string, seen: string[]): Authorizer {
  const expected = authorizeId(id);
  return (peerId, chain) => {
    seen.push(hex(chain[0]!));
    return expected(peerId, chain);
  };
}
