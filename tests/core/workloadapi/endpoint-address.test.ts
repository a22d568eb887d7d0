import { describe, expect, test } from "bun:test";
import { WorkloadApiError } from "../../../src/core/errors/workload-api-error.ts";
import { SpiffeError } from "../../../src/core/errors/spiffe-error.ts";
import { parseWorkloadApiAddress } from "../../../src/core/workloadapi/endpoint-address.ts";

function codeOf(text: unknown): string {
  try {
    parseWorkloadApiAddress(text as string);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkloadApiError);
    expect(err).toBeInstanceOf(SpiffeError);
    const e = err as WorkloadApiError;
    expect(e.message).toContain("unix:///absolute/path/to/socket");
    expect(e.grpcStatus).toBe(undefined);
    return e.code;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe("parseWorkloadApiAddress: accepted", () => {
  const cases: [string, unknown][] = [
    ["unix:///run/spire/sockets/agent.sock", { kind: "unix", path: "/run/spire/sockets/agent.sock" }],
    ["unix:/run/spire/agent.sock", { kind: "unix", path: "/run/spire/agent.sock" }],
    ["UNIX:///tmp/a.sock", { kind: "unix", path: "/tmp/a.sock" }],
    ["unix:///tmp/with%20space/a.sock", { kind: "unix", path: "/tmp/with space/a.sock" }],
    ["unix:///tmp/a:b@c/x_y-z~.sock", { kind: "unix", path: "/tmp/a:b@c/x_y-z~.sock" }],
    ["tcp://127.0.0.1:8081", { kind: "tcp", host: "127.0.0.1", port: 8081 }],
    ["tcp://0.0.0.0:1", { kind: "tcp", host: "0.0.0.0", port: 1 }],
    ["tcp://255.255.255.255:65535", { kind: "tcp", host: "255.255.255.255", port: 65535 }],
    ["TCP://10.0.0.1:443", { kind: "tcp", host: "10.0.0.1", port: 443 }],
    ["tcp://[::1]:8081", { kind: "tcp", host: "::1", port: 8081 }],
    ["tcp://[2001:DB8::1]:9", { kind: "tcp", host: "2001:db8::1", port: 9 }],
    ["tcp://[1:2:3:4:5:6:7:8]:9", { kind: "tcp", host: "1:2:3:4:5:6:7:8", port: 9 }],
    ["tcp://[::ffff:192.0.2.1]:9", { kind: "tcp", host: "::ffff:192.0.2.1", port: 9 }],
  ];
  for (const [text, want] of cases) {
    test(text, () => {
      expect(parseWorkloadApiAddress(text)).toEqual(want);
    });
  }
});

describe("parseWorkloadApiAddress: rejected", () => {
  const cases: [unknown, string][] = [
    ["", "ERR_WORKLOAD_API_ADDRESS_MISSING"],
    ["   ", "ERR_WORKLOAD_API_ADDRESS_MISSING"],
    [undefined, "ERR_WORKLOAD_API_ADDRESS_SYNTAX"],
    [42, "ERR_WORKLOAD_API_ADDRESS_SYNTAX"],
    ["unix:///tmp/a sock", "ERR_WORKLOAD_API_ADDRESS_SYNTAX"],
    ["unix:///tmp/\u00e9.sock", "ERR_WORKLOAD_API_ADDRESS_SYNTAX"],
    ["unix:///tmp/a.sock\n", "ERR_WORKLOAD_API_ADDRESS_SYNTAX"],
    [`unix:///${"a".repeat(5000)}`, "ERR_WORKLOAD_API_ADDRESS_SYNTAX"],
    ["/run/spire/agent.sock", "ERR_WORKLOAD_API_ADDRESS_SCHEME"],
    ["run/agent.sock", "ERR_WORKLOAD_API_ADDRESS_SCHEME"],
    ["http://127.0.0.1:8081", "ERR_WORKLOAD_API_ADDRESS_SCHEME"],
    ["unixx:///tmp/a.sock", "ERR_WORKLOAD_API_ADDRESS_SCHEME"],
    ["1unix:///tmp/a.sock", "ERR_WORKLOAD_API_ADDRESS_SCHEME"],
    ["unix://host/tmp/a.sock", "ERR_WORKLOAD_API_ADDRESS_AUTHORITY"],
    ["unix://foo", "ERR_WORKLOAD_API_ADDRESS_AUTHORITY"],
    ["unix://:80/tmp/a.sock", "ERR_WORKLOAD_API_ADDRESS_AUTHORITY"],
    ["unix://john:doe@foo/path", "ERR_WORKLOAD_API_ADDRESS_USERINFO"],
    ["unix://@/tmp/a.sock", "ERR_WORKLOAD_API_ADDRESS_USERINFO"],
    ["unix:", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix://", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:///", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:opaque", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:tmp/a.sock", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:///tmp/[a].sock", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:///tmp/%zz.sock", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:///tmp/%C3.sock", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:///tmp/%00.sock", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["unix:///tmp/a.sock?x=1", "ERR_WORKLOAD_API_ADDRESS_QUERY"],
    ["unix:///tmp/a.sock?", "ERR_WORKLOAD_API_ADDRESS_QUERY"],
    ["unix://foo?whatever", "ERR_WORKLOAD_API_ADDRESS_QUERY"],
    ["unix:///tmp/a.sock#frag", "ERR_WORKLOAD_API_ADDRESS_FRAGMENT"],
    ["tcp://1.2.3.4:5?whatever", "ERR_WORKLOAD_API_ADDRESS_QUERY"],
    ["tcp://1.2.3.4:5#whatever", "ERR_WORKLOAD_API_ADDRESS_FRAGMENT"],
    ["tcp:opaque", "ERR_WORKLOAD_API_ADDRESS_AUTHORITY"],
    ["tcp:127.0.0.1:8081", "ERR_WORKLOAD_API_ADDRESS_AUTHORITY"],
    ["tcp://john:doe@1.2.3.4:5", "ERR_WORKLOAD_API_ADDRESS_USERINFO"],
    ["tcp://1.2.3.4:5/path", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["tcp://1.2.3.4:5/", "ERR_WORKLOAD_API_ADDRESS_PATH"],
    ["tcp://", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://:8081", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://localhost:8081", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://foo", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://1.2.3:5", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://1.2.3.256:5", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://01.2.3.4:5", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://::1:8081", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://[::1:8081", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://[::1]x:8081", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://[fe80::1%25eth0]:8081", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://[1:2:3:4:5:6:7]:9", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://[1::2::3]:9", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://[example.org]:9", "ERR_WORKLOAD_API_ADDRESS_HOST"],
    ["tcp://1.2.3.4", "ERR_WORKLOAD_API_ADDRESS_PORT"],
    ["tcp://[::1]", "ERR_WORKLOAD_API_ADDRESS_PORT"],
    ["tcp://1.2.3.4:", "ERR_WORKLOAD_API_ADDRESS_PORT"],
    ["tcp://1.2.3.4:0", "ERR_WORKLOAD_API_ADDRESS_PORT"],
    ["tcp://1.2.3.4:65536", "ERR_WORKLOAD_API_ADDRESS_PORT"],
    ["tcp://1.2.3.4:08081", "ERR_WORKLOAD_API_ADDRESS_PORT"],
    ["tcp://1.2.3.4:http", "ERR_WORKLOAD_API_ADDRESS_PORT"],
    ["tcp://1.2.3.4:+80", "ERR_WORKLOAD_API_ADDRESS_PORT"],
  ];
  for (const [text, code] of cases) {
    test(`${JSON.stringify(text)?.slice(0, 60)} gives ${code}`, () => {
      expect(codeOf(text)).toBe(code);
    });
  }

  test("a bare path suggests the unix form", () => {
    expect(() => parseWorkloadApiAddress("/run/agent.sock")).toThrow('did you mean "unix:///run/agent.sock"');
  });
  test("unix://host/path suggests the three-slash form", () => {
    expect(() => parseWorkloadApiAddress("unix://run/agent.sock")).toThrow('"unix:///run/agent.sock"');
  });
});
