// The root's WorkloadApiClient over a transport it is given: an in-memory Connect router
// (no socket, no node:*), and a transport factory (gets the parsed address, is closed with
// the client). Every call carries the workload.spiffe.io security header whatever the transport.
import { describe, expect, test } from "bun:test";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { SpiffeWorkloadAPI } from "../../gen/workload_pb.ts";
import { ConfigError, WorkloadApiClient, type WorkloadApiConnection, WorkloadApiError, X509Source } from "../../mod.ts";
import { createTestCa } from "../../src/testing/mod.ts";
import { concatBytes } from "../../src/testing/lib/concat-bytes.ts";

async function agent(options: { deny?: boolean } = {}) {
  const ca = await createTestCa({ trustDomain: "example.org" });
  const svid = await ca.issueX509Svid({ id: "spiffe://example.org/web" });
  const headers: (string | null)[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(SpiffeWorkloadAPI, {
      async *fetchX509SVID(_req, ctx) {
        headers.push(ctx.requestHeader.get("workload.spiffe.io"));
        if (options.deny) throw new ConnectError("no identity issued", Code.PermissionDenied);
        yield { svids: [{ spiffeId: svid.id.toString(), x509Svid: concatBytes(svid.certificates), x509SvidKey: svid.privateKey, bundle: concatBytes(ca.x509Authorities) }] };
      },
    });
  });
  return { transport, headers };
}

describe("WorkloadApiClient over a given transport", () => {
  test("an in-memory Connect transport: calls work and carry the security header; sources run on it", async () => {
    const { transport, headers } = await agent();
    await using client = new WorkloadApiClient({ transport });
    expect(client.address).toBeUndefined();
    expect((await client.fetchX509Context()).defaultSvid.id.toString()).toBe("spiffe://example.org/web");
    await using source = await X509Source.create({ transport, timeoutMs: 5_000 });
    expect(source.getX509Svid().id.toString()).toBe("spiffe://example.org/web");
    expect(headers.length).toBeGreaterThanOrEqual(2);
    expect(headers.every((h) => h === "true")).toBe(true);
  });

  test("gRPC statuses from the transport map to the usual codes", async () => {
    const { transport } = await agent({ deny: true });
    await using client = new WorkloadApiClient({ transport, address: "unix:///run/agent.sock" });
    let denied: unknown;
    try {
      await client.fetchX509Context();
    } catch (err) {
      denied = err;
    }
    expect(denied).toBeInstanceOf(WorkloadApiError);
    expect((denied as WorkloadApiError).code).toBe("ERR_WORKLOAD_API_PERMISSION_DENIED");
    expect((denied as WorkloadApiError).message).toContain("unix:///run/agent.sock");
  });

  test("a factory gets the parsed address (option or SPIFFE_ENDPOINT_SOCKET) and is closed with the client", async () => {
    const { transport } = await agent();
    const opened: string[] = [];
    let closed = 0;
    const factory = (address: { kind: string }): WorkloadApiConnection => {
      opened.push(address.kind);
      return { transport, endpoint: "in-memory agent", close: () => closed++ };
    };
    const client = new WorkloadApiClient({ transport: factory, env: { SPIFFE_ENDPOINT_SOCKET: "tcp://127.0.0.1:8081" } });
    expect(opened).toEqual(["tcp"]);
    expect(client.endpoint).toBe("in-memory agent");
    expect((await client.fetchX509Context()).svids.length).toBe(1);
    await client.close();
    expect(closed).toBe(1);
    let missing: unknown;
    try {
      new WorkloadApiClient({ transport: factory, env: {} });
    } catch (err) {
      missing = err;
    }
    expect((missing as WorkloadApiError).code).toBe("ERR_WORKLOAD_API_ADDRESS_MISSING");
    let bad: unknown;
    try {
      new WorkloadApiClient({ transport: () => ({}) as never, address: "unix:///a.sock" });
    } catch (err) {
      bad = err;
    }
    expect(bad).toBeInstanceOf(ConfigError);
  });
});
