// `npm run test:browser`: bundles the root entry (mod.ts) with esbuild --platform=browser and no
// externals, then runs tests/web/browser-checks.js against that one bundle in real headless
// Chromium (driven over the DevTools protocol on loopback) and in a Deno Worker with no
// permissions. Fixtures come from the test CA, made for this run. Prints each result and
// "N passed, N failed"; exits 1 on any failure, including a Chromium that is missing and
// cannot be installed (`apt-get install -y chromium`). Run with
// `deno run -A --unstable-worker-options` (the Worker's `deno.permissions` option); the
// CHROMIUM environment variable names another Chromium binary.
import { build, stop as stopEsbuild } from "esbuild";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SpiffeBundle } from "../../mod.ts";
import { createTestCa } from "../../src/testing/mod.ts";

interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "spiffe-ts-browser-"));
const results: { where: string; result: CheckResult }[] = [];
const fail = (where: string, name: string, detail: string): void => void results.push({ where, result: { name, ok: false, detail } });

try {
  await bundleRoot();
  writeFileSync(join(work, "fixtures.json"), JSON.stringify(await fixtures()));
  copyFileSync(join(root, "tests/web/browser-checks.js"), join(work, "browser-checks.js"));
  await runAndRecord("deno-worker", runInWorker);
  await runAndRecord("chromium", runInChromium);
} finally {
  await stopEsbuild();
  try {
    rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch (err) {
    console.log(`note: could not remove ${work} (${err instanceof Error ? err.message : String(err)})`);
  }
}

let passed = 0;
let failed = 0;
for (const { where, result } of results) {
  if (result.ok) passed++;
  else failed++;
  console.log(`${result.ok ? "ok  " : "FAIL"} ${where}: ${result.name}${result.ok ? ` (${result.detail})` : `\n     ${result.detail.replaceAll("\n", "\n     ")}`}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

/** Runs one environment; a crash of the harness itself is a failure, never a silent pass. */
async function runAndRecord(where: string, run: () => Promise<CheckResult[]>): Promise<void> {
  try {
    const got = await run();
    if (got.length === 0) fail(where, "the checks ran", "no results");
    for (const result of got) results.push({ where, result });
  } catch (err) {
    fail(where, "the checks ran", err instanceof Error ? err.message : String(err));
  }
}

/** mod.ts → sdk.js for browsers: every import resolved and bundled (a node:* one fails the build). */
async function bundleRoot(): Promise<void> {
  const r = await build({
    entryPoints: [join(root, "mod.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    outfile: join(work, "sdk.js"),
    logLevel: "silent",
  });
  if (r.errors.length > 0) throw new Error(r.errors.map((e) => e.text).join("\n"));
}

/** X.509-SVID chains (leaf + intermediate) of our CA and of a foreign one, a JWT-SVID and a tampered copy. */
async function fixtures(): Promise<Record<string, string>> {
  const ca = await createTestCa({ trustDomain: "example.org", intermediate: true });
  const foreign = await createTestCa({ trustDomain: "example.org", intermediate: true });
  const audience = "spiffe://example.org/api";
  const svid = await ca.issueX509Svid({ id: "spiffe://example.org/browser" });
  const other = await foreign.issueX509Svid({ id: "spiffe://example.org/browser" });
  const jwt = await ca.issueJwtSvid({ id: "spiffe://example.org/caller", audience });
  const [header, payload, signature] = jwt.token.split(".");
  const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(payload!))) as Record<string, unknown>;
  const tampered = toBase64Url(new TextEncoder().encode(JSON.stringify({ ...claims, sub: "spiffe://example.org/admin" })));
  return {
    trustDomain: "example.org",
    bundlePem: ca.x509Bundle.toPem(),
    jwks: ca.jwksJson(),
    spiffeBundle: SpiffeBundle.fromBundles("example.org", { x509: ca.x509Bundle, jwt: ca.jwtBundle }).toJson(),
    chainPem: svid.certificatesPem,
    foreignChainPem: other.certificatesPem,
    x509Id: svid.id.toString(),
    token: jwt.token,
    tamperedToken: `${header}.${tampered}.${signature}`,
    jwtId: jwt.id.toString(),
    audience,
  };
}

function fromBase64Url(text: string): Uint8Array {
  return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The bundle and the checks in a module Worker with no permissions at all. */
async function runInWorker(): Promise<CheckResult[]> {
  const source = `import * as sdk from "./sdk.js";
import { runChecks } from "./browser-checks.js";
const denied = ["read", "write", "net", "env", "run", "ffi", "sys"].filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
self.onmessage = async (e) => self.postMessage([
  { name: "the worker runs without any permission", ok: denied.length === 7, detail: \`denied: \${denied.join(", ")}\` },
  ...(await runChecks(sdk, e.data)),
]);
`;
  if (typeof (globalThis as { Deno?: unknown }).Deno === "undefined") throw new Error("run this script with Deno (npm run test:browser): the Worker check needs Deno's worker permissions");
  writeFileSync(join(work, "worker.js"), source);
  const options = { type: "module" as const, deno: { permissions: "none" as const } };
  const worker = new Worker(pathToFileURL(join(work, "worker.js")), options);
  try {
    return await new Promise<CheckResult[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the worker gave no answer within 60 s")), 60_000);
      worker.onmessage = (e: MessageEvent<CheckResult[]>) => (clearTimeout(timer), resolve(e.data));
      worker.onerror = (e) => (clearTimeout(timer), e.preventDefault(), reject(new Error(`worker error: ${e.message}`)));
      worker.postMessage(JSON.parse(readFileSync(join(work, "fixtures.json"), "utf8")));
    });
  } finally {
    worker.terminate();
  }
}

/** Chromium's path, installing Debian's package when it is missing. */
async function chromiumPath(): Promise<string> {
  const wanted = process.env.CHROMIUM; // a path, to use another build
  const candidates = wanted ? [wanted] : ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = (): string | undefined => candidates.find((p) => tryOr(() => statSync(p).isFile()));
  const existing = found();
  if (existing) return existing;
  console.log("chromium not found; installing it: apt-get install -y chromium");
  const install = spawnSync("apt-get", ["install", "-y", "chromium"], { stdio: "inherit", timeout: 600_000 });
  const installed = found();
  if (!installed) {
    const how = install.error ? `could not run (${install.error.message})` : install.status === 0 ? "did not provide it" : `failed with status ${install.status}`;
    throw new Error(`headless Chromium is needed and is not installed at ${candidates.join(" or ")}; \`apt-get install -y chromium\` ${how} (install Debian's chromium package and run again)`);
  }
  return installed;
}

function tryOr<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Serves the page on loopback, opens it in headless Chromium, reads the results over the DevTools protocol. */
async function runInChromium(): Promise<CheckResult[]> {
  const chromium = await chromiumPath();
  writeFileSync(
    join(work, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>spiffe-ts browser checks</title>
<script type="module">
import * as sdk from "./sdk.js";
import { runChecks } from "./browser-checks.js";
const inChromium = { name: "the page runs in headless Chromium", ok: /HeadlessChrome\\//.test(navigator.userAgent), detail: navigator.userAgent };
window.spiffeResults = fetch("./fixtures.json").then((r) => r.json()).then(async (fx) => [inChromium, ...(await runChecks(sdk, fx))]);
</script>`,
  );
  const types: Record<string, string> = { html: "text/html", js: "text/javascript", json: "application/json" };
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? "/", "http://127.0.0.1").pathname.slice(1) || "index.html";
    const body = /^[a-z-]+\.(html|js|json)$/.test(name) ? tryOr(() => readFileSync(join(work, name))) : undefined;
    if (!body) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": types[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: pagePort } = server.address() as AddressInfo;
  const profile = join(work, "chromium-profile");
  const browser = spawn(
    chromium,
    ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", `--user-data-dir=${profile}`, `http://127.0.0.1:${pagePort}/`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  browser.stderr?.on("data", (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  try {
    const port = await devToolsPort(profile, browser, () => stderr);
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const page = targets.find((t) => t.type === "page");
    if (!page) throw new Error("Chromium has no page target");
    const expression = "new Promise((resolve, reject) => { const poll = () => window.spiffeResults ? window.spiffeResults.then(resolve, reject) : setTimeout(poll, 20); poll(); })";
    // the first evaluation may land in about:blank while the page is still being navigated to
    for (let attempt = 1; ; attempt++) {
      try {
        return (await evaluate(page.webSocketDebuggerUrl, expression)) as CheckResult[];
      } catch (err) {
        if (attempt >= 20 || !(err instanceof Error && /context was destroyed|Cannot find context/.test(err.message))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    const exited = browser.exitCode !== null || browser.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => browser.once("exit", () => resolve()));
    browser.kill("SIGKILL");
    await exited;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The DevTools port Chromium chose (it writes DevToolsActivePort into its profile). */
async function devToolsPort(profile: string, browser: ChildProcess, stderr: () => string): Promise<number> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const port = Number(tryOr(() => readFileSync(join(profile, "DevToolsActivePort"), "utf8"))?.split("\n")[0]);
    if (port > 0) return port;
    if (browser.exitCode !== null || browser.signalCode !== null) throw new Error(`Chromium exited (${browser.exitCode ?? browser.signalCode}) before opening DevTools:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Chromium opened no DevTools port within 30 s:\n${stderr()}`);
}

/** Runtime.evaluate over the page's DevTools WebSocket, awaiting the promise, returning its value. */
function evaluate(url: string, expression: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => (ws.close(), reject(new Error("no answer from the page within 60 s"))), 60_000);
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: "Runtime.evaluate", params: { expression, awaitPromise: true, returnByValue: true } }));
    ws.onerror = () => (clearTimeout(timer), reject(new Error("DevTools WebSocket error")));
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; error?: { message: string }; result?: { result?: { value?: unknown }; exceptionDetails?: { text: string; exception?: { description?: string } } } };
      if (msg.id !== 1) return;
      clearTimeout(timer);
      ws.close();
      if (msg.error) reject(new Error(`DevTools: ${msg.error.message}`));
      else if (msg.result?.exceptionDetails) reject(new Error(`the page threw: ${msg.result.exceptionDetails.exception?.description ?? msg.result.exceptionDetails.text}`));
      else resolve(msg.result?.result?.value);
    };
  });
}
