// Fault: the Workload API sends broken gRPC frames (truncated, undecodable, compressed
// without negotiation), a non-OK status, a reset mid-message. A raw HTTP/2 stub sends them;
// the source and the client's watch keep the last good SVID, report each problem once (to
// onError and to the logger), do not crash the process, and take the next good answer.
import { beforeAll, describe, expect, test } from "bun:test";
import { WorkloadApiError } from "../../src/core/errors/workload-api-error.ts";
import type { Logger } from "../../src/core/logger.ts";
import { createTestCa, rawX509SvidResponse, type TestCa } from "../../src/testing/mod.ts";
import type { X509Context } from "../../src/workloadapi/x509-context.ts";
import { encodeX509SvidResponse, grpcFrame, type RawGrpcStep, startRawGrpcStub } from "./raw-grpc-stub.ts";
import { delay, waitFor } from "./support.ts";
import { WorkloadApiClient, X509Source } from "../../src/adapters/node/mod.ts";

const BACKOFF = { initialDelayMs: 10, maxDelayMs: 50, jitter: 0 } as const;
const ID = "spiffe://example.org/web";

type LogLine = { level: keyof Logger; message: string; fields: Record<string, unknown> };

function recordingLogger(): { lines: LogLine[]; logger: Logger } {
  const lines: LogLine[] = [];
  const at = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields: { ...fields } });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

/** Collects unhandled rejections and uncaught exceptions while a test runs. */
function watchUnhandled(): { problems: string[]; stop(): void } {
  const problems: string[] = [];
  const on = (err: unknown): void => void problems.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  process.on("unhandledRejection", on);
  process.on("uncaughtException", on);
  return {
    problems,
    stop() {
      process.off("unhandledRejection", on);
      process.off("uncaughtException", on);
    },
  };
}

let ca: TestCa;
let goodA: Uint8Array;
let goodB: Uint8Array;
let serialA: string;
let serialB: string;

beforeAll(async () => {
  ca = await createTestCa({ trustDomain: "example.org" });
  const a = await ca.issueX509Svid({ id: ID });
  const b = await ca.issueX509Svid({ id: ID });
  serialA = a.serialNumber;
  serialB = b.serialNumber;
  goodA = grpcFrame(encodeX509SvidResponse(rawX509SvidResponse(ca, [a])));
  goodB = grpcFrame(encodeX509SvidResponse(rawX509SvidResponse(ca, [b])));
});

/** The faults, in order, each on its own stream after the (unchanged) good answer A. */
const FAULTS: readonly { name: string; codes: readonly string[]; step: (s: Parameters<RawGrpcStep>[0]) => void }[] = [
  {
    name: "length prefix promises more bytes than sent before the stream ends",
    // Deno's node:http2 reports the early end itself ("Premature close")
    codes: ["ERR_WORKLOAD_API_BAD_RESPONSE", "ERR_WORKLOAD_API_CALL_FAILED"],
    step: (s) => {
      s.write(grpcFrame(new Uint8Array(10), { declaredLength: 1_000 }));
      s.end(0);
    },
  },
  {
    name: "undecodable protobuf bytes",
    codes: ["ERR_WORKLOAD_API_BAD_RESPONSE"],
    step: (s) => s.write(grpcFrame(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]))),
  },
  {
    name: "compressed flag with no compression negotiated",
    codes: ["ERR_WORKLOAD_API_BAD_RESPONSE"],
    step: (s) => s.write(grpcFrame(goodB.subarray(5), { compressed: true })),
  },
  {
    name: "trailers with grpc-status 13",
    codes: ["ERR_WORKLOAD_API_CALL_FAILED"],
    step: (s) => s.end(13, "agent exploded"),
  },
  {
    name: "stream reset in the middle of a message",
    // Bun's node:http2 ends the stream instead of failing it: then it is an incomplete frame
    codes: ["ERR_WORKLOAD_API_CALL_FAILED", "ERR_WORKLOAD_API_UNAVAILABLE", "ERR_WORKLOAD_API_BAD_RESPONSE"],
    step: (s) => {
      s.write(goodB.subarray(0, 40));
      setTimeout(() => s.reset(), 20);
    },
  },
];

/**
 * Stream 0: A, then (once `released`) the first fault; streams 1..4: A then one fault each;
 * stream 5: B, held open.
 */
function faultSteps(released: Promise<void>): RawGrpcStep[] {
  return [
    ...FAULTS.map(({ step }, i): RawGrpcStep => async (s) => {
      s.write(goodA);
      if (i === 0) await released;
      step(s);
    }),
    (s) => s.write(goodB),
  ];
}

/** Checks the reports: one per fault, in order, with an allowed code, to onError and to the logger. */
function expectOneReportPerFault(errors: readonly WorkloadApiError[], lines: readonly LogLine[]): void {
  expect(errors.map((e) => e instanceof WorkloadApiError)).toEqual(FAULTS.map(() => true));
  const wrong = errors.flatMap((e, i) => (FAULTS[i]!.codes.includes(e.code) ? [] : [`${FAULTS[i]!.name}: ${e.code} (${e.message})`]));
  expect(wrong).toEqual([]);
  expect(errors[3]!.grpcStatus).toBe(13);
  // a malformed stream is the client's finding, not a status the agent sent
  expect(errors.filter((e) => e.code === "ERR_WORKLOAD_API_BAD_RESPONSE").map((e) => e.grpcStatus)).toEqual(errors.filter((e) => e.code === "ERR_WORKLOAD_API_BAD_RESPONSE").map(() => undefined));
  expect(errors[3]!.message).toContain("agent exploded");
  // the logger gets one line per problem; the same problem again within its interval is only
  // counted (Bun's node:http2 turns the reset into the truncation's "incomplete envelope")
  const distinct = errors.filter((e, i) => errors.findIndex((o) => o.code === e.code && o.message === e.message) === i);
  expect(lines.map((l) => [l.level, l.message, l.fields.method, l.fields.code, l.fields.reason])).toEqual(
    distinct.map((e) => ["warn", "Workload API watch failed; retrying", "FetchX509SVID", e.code, e.message]),
  );
}

describe("malformed gRPC frames from the Workload API", () => {
  test("X509Source keeps the last good SVID, reports each problem once (onError and logger), takes the next good answer", async () => {
    const unhandled = watchUnhandled();
    let release!: () => void;
    const stub = await startRawGrpcStub(faultSteps(new Promise<void>((r) => (release = r))));
    const { lines, logger } = recordingLogger();
    const errors: WorkloadApiError[] = [];
    const heldDuringReports: string[] = [];
    let source: X509Source | undefined;
    try {
      source = await X509Source.create({
        address: stub.address,
        backoff: BACKOFF,
        logger,
        timeoutMs: 5_000,
        onError: (e) => {
          errors.push(e);
          heldDuringReports.push(source?.healthy ? source.getX509Svid().serialNumber : "none");
        },
      });
      const updates: string[] = [];
      source.onUpdate(({ svid }) => updates.push(svid.serialNumber));
      expect(source.getX509Svid().serialNumber).toBe(serialA);
      release();
      await waitFor(() => updates.length > 0, "the good answer after the faults", 5_000);
      await delay(100); // nothing is reported twice, nothing more arrives
      expect(updates).toEqual([serialB]);
      expect(source.getX509Svid().serialNumber).toBe(serialB);
      expect(source.healthy).toBe(true);
      expectOneReportPerFault(errors, lines);
      expect(heldDuringReports).toEqual(FAULTS.map(() => serialA));
      expect(stub.streams).toBe(FAULTS.length + 1);
      expect(unhandled.problems).toEqual([]);
    } finally {
      unhandled.stop();
      await source?.close();
      await stub.close();
    }
  });

  test("the client's watch keeps going the same way: A, each fault reported once, then B", async () => {
    const unhandled = watchUnhandled();
    const stub = await startRawGrpcStub(faultSteps(Promise.resolve()));
    const { lines, logger } = recordingLogger();
    const client = new WorkloadApiClient({ address: stub.address, backoff: BACKOFF, logger });
    const errors: WorkloadApiError[] = [];
    const seen: X509Context[] = [];
    const stop = new AbortController();
    try {
      const done = (async () => {
        for await (const context of client.watchX509Context({ signal: stop.signal, onError: (e) => errors.push(e) })) {
          seen.push(context);
          if (seen.length === 2) return;
        }
      })();
      await done;
      await delay(50);
      expect(seen.map((c) => c.defaultSvid.serialNumber)).toEqual([serialA, serialB]);
      expectOneReportPerFault(errors, lines);
      expect(unhandled.problems).toEqual([]);
    } finally {
      unhandled.stop();
      stop.abort();
      await client.close();
      await stub.close();
    }
  });

  test("a one-shot fetch rejects a truncated frame with a retryable code; the agent's own InvalidArgument stays fatal", async () => {
    const stub = await startRawGrpcStub([
      (s) => {
        s.write(grpcFrame(goodA.subarray(5, 60), { declaredLength: goodA.length - 5 }));
        s.end(0);
      },
      (s) => {
        s.write(goodA);
        s.end(3, "security header missing");
      },
    ]);
    const client = new WorkloadApiClient({ address: stub.address, backoff: BACKOFF });
    try {
      const fetched = await client.fetchX509Context().then(
        () => "resolved",
        (e: unknown) => (e instanceof WorkloadApiError ? e.code : String(e)),
      );
      expect(["ERR_WORKLOAD_API_BAD_RESPONSE", "ERR_WORKLOAD_API_CALL_FAILED"]).toContain(fetched);
      const errors: WorkloadApiError[] = [];
      const seen: string[] = [];
      const thrown = await (async () => {
        for await (const c of client.watchX509Context({ onError: (e) => errors.push(e) })) seen.push(c.defaultSvid.serialNumber);
        return "ended";
      })().catch((e: unknown) => (e instanceof WorkloadApiError ? e.code : String(e)));
      expect(thrown).toBe("ERR_WORKLOAD_API_INVALID_ARGUMENT");
      expect(seen).toEqual([serialA]);
      expect(errors).toEqual([]);
      await delay(100);
      expect(stub.streams).toBe(2); // not retried
    } finally {
      await client.close();
      await stub.close();
    }
  });
});
