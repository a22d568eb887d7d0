// deploy/: the Kubernetes manifests parse and agree with each other and with the
// registration script; probes use the plain health port, never the mTLS one; the
// Dockerfiles copy files that exist and carry everything the entry point imports; the
// scripts pass `bash -n` (and shellcheck when installed). The proxy sidecars' args are parsed
// with the CLI's own parser and checks. No Docker engine is used.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { type Command, type ParsedArgs, listFlag, parseCommandArgs, parseDuration, stringFlag } from "../../src/cli/command.ts";
import { COMMANDS } from "../../src/cli/main.ts";
import { isLoopback, parseListenAddress, parseOriginFlag } from "../../src/cli/proxy/listen-address.ts";
import { peerPolicyOf } from "../../src/cli/proxy/peer-policy.ts";
import { packageEntries } from "../support/package-entries.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), "utf8");
const filesIn = (dir: string, ext: string): string[] => readdirSync(join(root, dir)).filter((f) => f.endsWith(ext)).map((f) => `${dir}/${f}`);

type Json = Record<string, unknown>;
const SOCKET_ENV = "SPIFFE_ENDPOINT_SOCKET";

/** Every document of every manifest, parsed strictly (a YAML error fails the test). */
function manifests(): Array<{ file: string; doc: Json }> {
  return filesIn("deploy/k8s", ".yaml").flatMap((file) =>
    parseAllDocuments(read(file)).map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
      return { file, doc: d.toJS() as Json };
    }),
  );
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; csi?: { driver: string }; hostPath?: { path: string } }>;
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean };
}
const deployments = (): Array<{ file: string; name: string; namespace: string; pod: PodSpec }> =>
  manifests()
    .filter(({ doc }) => doc.kind === "Deployment")
    .map(({ file, doc }) => ({
      file,
      name: (doc.metadata as Json).name as string,
      namespace: (doc.metadata as Json).namespace as string,
      pod: ((doc.spec as Json).template as Json).spec as PodSpec,
    }));
const deployment = (name: string): ReturnType<typeof deployments>[number] => deployments().find((d) => d.name === name)!;
const envOf = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value;
/** The trust domain of the examples (`register.sh`'s default). */
const TRUST_DOMAIN = "example.org";
/** The SPIFFE ID SPIRE gives a Deployment's pods (register.sh: namespace + service account). */
const idOf = (d: { namespace: string; pod: PodSpec }): string => `spiffe://${TRUST_DOMAIN}/ns/${d.namespace}/sa/${d.pod.serviceAccountName}`;
/** Containers of this repository's images (they get the Workload API socket); the rest are the apps. */
const isSpiffeTs = (c: Container): boolean => c.image.startsWith("spiffe-ts-");

/** A `spiffe-ts-proxy` container's args as the CLI parses them (the image's ENTRYPOINT is the CLI). */
function cliOf(c: Container): { command: Command; args: ParsedArgs } | undefined {
  if (!c.image.startsWith("spiffe-ts-proxy:")) return undefined;
  const argv = c.args ?? [];
  const command = COMMANDS.find((cmd) => cmd.name.every((w, i) => argv[i] === w));
  if (!command) throw new Error(`${c.name}: args ${JSON.stringify(argv.slice(0, 2))} name no spiffe-ts command`);
  return { command, args: parseCommandArgs(command, argv.slice(command.name.length)) };
}
const proxies = (name: string): Array<{ command: string; args: ParsedArgs }> =>
  deployment(name).pod.containers.flatMap((c) => {
    const cli = cliOf(c);
    return cli ? [{ command: cli.command.name.join(" "), args: cli.args }] : [];
  });

/** The container's mTLS and health ports: SERVER_ADDRESS/HEALTH_ADDRESS, or a proxy server's --listen/--health. */
function listenPorts(c: Container): { mtls: number; health: number } {
  const cli = cliOf(c);
  if (cli?.command.name.join(" ") === "proxy server") {
    const port = (flag: string): number => {
      const text = stringFlag(cli.args, flag);
      return text === undefined ? Number.NaN : parseListenAddress(flag, text, "0.0.0.0").port;
    };
    return { mtls: port("listen"), health: port("health") };
  }
  return { mtls: Number(/:(\d+)$/.exec(envOf(c, "SERVER_ADDRESS") ?? "")?.[1]), health: Number(/:(\d+)$/.exec(envOf(c, "HEALTH_ADDRESS") ?? "")?.[1]) };
}

describe("deploy/k8s manifests", () => {
  test("parse, and hold the server, client, legacy-app and legacy-caller Deployments, their Services and ServiceAccounts", () => {
    const kinds = manifests()
      .filter(({ doc }) => doc.kind !== "Kustomization")
      .map(({ doc }) => `${doc.kind}/${(doc.metadata as Json | undefined)?.name ?? ""}`);
    expect(kinds.sort()).toEqual(
      [
        "Namespace/spiffe-demo",
        "Deployment/spiffe-server",
        "Service/spiffe-server",
        "ServiceAccount/spiffe-server",
        "Deployment/spiffe-client",
        "ServiceAccount/spiffe-client",
        "Deployment/legacy-app",
        "Service/legacy-app",
        "ServiceAccount/legacy-app",
        "Deployment/legacy-caller",
        "ServiceAccount/legacy-caller",
      ].sort(),
    );
    for (const d of deployments()) expect({ d: d.name, namespace: d.namespace, sa: d.pod.serviceAccountName }).toEqual({ d: d.name, namespace: "spiffe-demo", sa: d.name });
    const kustomization = parseAllDocuments(read("deploy/k8s/kustomization.yaml"))[0]!.toJS() as { resources: string[] };
    expect(kustomization.resources.sort()).toEqual(filesIn("deploy/k8s", ".yaml").map((f) => f.slice("deploy/k8s/".length)).filter((f) => f !== "kustomization.yaml").sort());
  });

  test("every probe is an httpGet on the plain health port, never on the mTLS port", () => {
    let probes = 0;
    for (const { name, pod } of deployments()) {
      for (const c of pod.containers) {
        const byName = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
        const { health, mtls } = listenPorts(c);
        for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
          if (!probe) continue;
          probes++;
          const get = probe.httpGet as { port: string | number; path: string; scheme?: string } | undefined;
          expect({ name, httpGet: get !== undefined, scheme: get?.scheme ?? "HTTP" }).toEqual({ name, httpGet: true, scheme: "HTTP" });
          const port = typeof get!.port === "string" ? byName.get(get!.port) : get!.port;
          expect({ name, port }).toEqual({ name, port: health });
          expect(port).not.toBe(mtls);
          expect(["/healthz", "/readyz"]).toContain(get!.path);
        }
      }
    }
    expect(probes).toBeGreaterThanOrEqual(4); // the server and the legacy-app proxy have liveness and readiness probes
    for (const name of ["spiffe-server", "legacy-app"]) {
      const probed = deployment(name).pod.containers.filter((c) => c.readinessProbe);
      expect({ name, readyz: probed.map((c) => (c.readinessProbe!.httpGet as Json).path) }).toEqual({ name, readyz: ["/readyz"] });
    }
  });

  test("each Service exposes only the mTLS port, where its pods accept mTLS", () => {
    const services = manifests().filter(({ doc }) => doc.kind === "Service");
    expect(services.map(({ doc }) => (doc.metadata as Json).name).sort()).toEqual(["legacy-app", "spiffe-server"]);
    for (const { doc } of services) {
      const name = (doc.metadata as Json).name as string;
      const spec = doc.spec as { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> };
      expect({ name, targets: spec.ports.map((p) => p.targetPort) }).toEqual({ name, targets: ["mtls"] });
      const pod = deployment(name).pod;
      const target = pod.containers.flatMap((c) => (c.ports ?? []).filter((p) => p.name === "mtls").map((p) => ({ c, port: p.containerPort })));
      expect({ name, containers: target.length }).toEqual({ name, containers: 1 });
      expect({ name, port: target[0]!.port }).toEqual({ name, port: listenPorts(target[0]!.c).mtls });
    }
  });

  test("SPIFFE_ENDPOINT_SOCKET is a unix:// path inside a mount of the CSI driver's volume", () => {
    for (const { name, pod } of deployments()) {
      for (const c of pod.containers.filter(isSpiffeTs)) {
        const address = envOf(c, SOCKET_ENV);
        expect({ name, scheme: address?.startsWith("unix:///") }).toEqual({ name, scheme: true });
        const socketDir = dirname(address!.slice("unix://".length));
        const mount = c.volumeMounts?.find((m) => normalize(m.mountPath) === socketDir);
        expect({ name, mounted: mount !== undefined }).toEqual({ name, mounted: true });
        const volume = pod.volumes?.find((v) => v.name === mount!.name);
        expect({ name, driver: volume?.csi?.driver }).toEqual({ name, driver: "csi.spiffe.io" });
      }
    }
  });

  test("only the spiffe-ts containers get the Workload API socket; the unmodified apps get neither it nor the volume", () => {
    const apps = deployments().flatMap(({ pod }) => pod.containers.filter((c) => !isSpiffeTs(c)));
    expect(apps.map((c) => c.image.split(":")[0]).sort()).toEqual(["curlimages/curl", "hashicorp/http-echo"]);
    for (const c of apps) {
      expect({ c: c.name, socket: envOf(c, SOCKET_ENV), mounts: c.volumeMounts ?? [] }).toEqual({ c: c.name, socket: undefined, mounts: [] });
    }
  });

  test("offer a commented hostPath alternative for clusters without the CSI driver", () => {
    const files = [...new Set(deployments().map((d) => d.file))];
    expect(files.sort()).toEqual(["deploy/k8s/client.yaml", "deploy/k8s/server.yaml", "deploy/k8s/sidecar-client.yaml", "deploy/k8s/sidecar.yaml"]);
    for (const file of files) {
      // uncomment the block and read it as YAML: a volume of the same name, from the node
      const block = /^(\s*)# - name: spiffe-workload-api\n(?:\1#.*\n)+/m.exec(read(file))?.[0] ?? "";
      const volume = parseAllDocuments(block.replace(/^(\s*)# ?/gm, "$1"))[0]?.toJS() as Array<{ name: string; hostPath?: { path: string } }> | null;
      expect({ file, volume: volume?.[0] }).toEqual({ file, volume: { name: "spiffe-workload-api", hostPath: { path: "/run/spire/agent-sockets", type: "Directory" } } });
    }
  });

  test("run as non-root", () => {
    for (const { name, pod } of deployments()) expect({ name, nonRoot: pod.securityContext?.runAsNonRoot }).toEqual({ name, nonRoot: true });
  });

  test("every container: no privilege escalation, read-only root filesystem, no capabilities", () => {
    for (const { name, pod } of deployments()) {
      for (const c of pod.containers) {
        const s = c.securityContext;
        expect({ name, c: c.name, escalation: s?.allowPrivilegeEscalation, readOnly: s?.readOnlyRootFilesystem, drop: s?.capabilities?.drop }).toEqual({ name, c: c.name, escalation: false, readOnly: true, drop: ["ALL"] });
      }
    }
  });
});

describe("deploy/k8s proxy sidecars", () => {
  test("the proxy containers run the image's CLI with a command line the CLI accepts", () => {
    const all = deployments().flatMap(({ name, pod }) => pod.containers.filter((c) => c.image.startsWith("spiffe-ts-proxy:")).map((c) => ({ name, c })));
    expect(all.map(({ name }) => name).sort()).toEqual(["legacy-app", "legacy-caller"]);
    for (const { name, c } of all) {
      expect({ name, command: c.command }).toEqual({ name, command: undefined }); // keep the ENTRYPOINT (bun src/cli/main.ts)
      const { command, args } = cliOf(c)!; // throws on an unknown flag or a missing/extra argument, as the CLI would
      const isServer = command.name.join(" ") === "proxy server";
      // the checks the command's run() makes before it touches the Workload API
      const listen = parseListenAddress("listen", stringFlag(args, "listen")!, isServer ? "0.0.0.0" : "127.0.0.1");
      if (!isServer) expect({ name, loopback: isLoopback(listen.hostname) }).toEqual({ name, loopback: true }); // the proxy client refuses anything else
      if (isServer) parseOriginFlag("target", stringFlag(args, "target")!, "http:");
      else parseOriginFlag("upstream", stringFlag(args, "upstream")!, "https:");
      const names = isServer ? { ids: "allow", trustDomains: "allow-td", any: "allow-any" } : { ids: "expect-id", trustDomains: "expect-td", any: "expect-any" };
      expect({ name, policy: peerPolicyOf(args, names).kind }).toEqual({ name, policy: "allow" }); // named peers only
      expect({ name, timeoutMs: parseDuration("timeout", stringFlag(args, "timeout") ?? "30s") }).toEqual({ name, timeoutMs: 60_000 }); // as long as the startupProbe allows
      expect({ name, any: args.values[names.any], trustDomains: listFlag(args, names.trustDomains) }).toEqual({ name, any: undefined, trustDomains: [] }); // named peers only
    }
  });

  test("legacy-app: a proxy server on :8443 with health on :8081, in front of an app that listens on loopback only", () => {
    expect(proxies("legacy-app").map((p) => p.command)).toEqual(["proxy server"]);
    const { args } = proxies("legacy-app")[0]!;
    expect(parseListenAddress("listen", stringFlag(args, "listen")!, "0.0.0.0")).toEqual({ hostname: "0.0.0.0", port: 8443 });
    expect(parseListenAddress("health", stringFlag(args, "health")!, "0.0.0.0")).toEqual({ hostname: "0.0.0.0", port: 8081 });
    const target = parseOriginFlag("target", stringFlag(args, "target")!, "http:");
    expect(isLoopback(target.hostname)).toBe(true);

    const apps = deployment("legacy-app").pod.containers.filter((c) => !isSpiffeTs(c));
    expect(apps.map((c) => c.image)).toEqual(["hashicorp/http-echo:1.0.0"]);
    const app = apps[0]!;
    const listens = [...(app.command ?? []), ...(app.args ?? [])].flatMap((a) => /^--?listen=(.*)$/.exec(a)?.[1] ?? []);
    expect(listens.length).toBe(1);
    const listen = parseListenAddress("listen", listens[0]!, "0.0.0.0"); // http-echo's default is all interfaces
    expect({ loopback: isLoopback(listen.hostname), port: listen.port }).toEqual({ loopback: true, port: Number(target.port) });
    expect(app.ports).toBeUndefined(); // the app declares no port: the Service and the kubelet reach only the proxy
    expect([app.livenessProbe, app.readinessProbe, app.startupProbe]).toEqual([undefined, undefined, undefined]); // the kubelet cannot reach 127.0.0.1
  });

  test("docs/deployment.md shows each proxy sidecar's args as they are in the manifests", () => {
    const doc = read("docs/deployment.md");
    for (const name of ["legacy-app", "legacy-caller"]) {
      const proxy = deployment(name).pod.containers.find((c) => cliOf(c))!;
      expect({ name, shown: doc.includes(`\nspiffe-ts ${proxy.args!.join(" ")}\n`) }).toEqual({ name, shown: true });
    }
  });

  test("legacy-app allows exactly the Deployment that calls it (least privilege)", () => {
    const { args } = proxies("legacy-app")[0]!;
    expect(listFlag(args, "allow")).toEqual([idOf(deployment("legacy-caller"))]);
  });

  test("legacy-caller: its app calls only the proxy client's loopback listener, which expects legacy-app at its Service", () => {
    expect(proxies("legacy-caller").map((p) => p.command)).toEqual(["proxy client"]);
    const { args } = proxies("legacy-caller")[0]!;
    const listen = parseListenAddress("listen", stringFlag(args, "listen")!, "127.0.0.1");
    expect(isLoopback(listen.hostname)).toBe(true);
    const app = deployment("legacy-caller").pod.containers.find((c) => !isSpiffeTs(c))!;
    const urls = [...(app.command ?? []), ...(app.args ?? [])].join(" ").match(/\bhttps?:\/\/[^\s'"]+/g) ?? [];
    expect(urls.map((u) => new URL(u).origin)).toEqual([`http://${listen.hostname}:${listen.port}`]);

    const upstream = parseOriginFlag("upstream", stringFlag(args, "upstream")!, "https:");
    const service = manifests().find(({ doc }) => doc.kind === "Service" && (doc.metadata as Json).name === "legacy-app")!.doc;
    const servicePorts = (service.spec as { ports: Array<{ port: number }> }).ports.map((p) => p.port);
    expect({ host: upstream.hostname, port: Number(upstream.port) }).toEqual({ host: `legacy-app.${(service.metadata as Json).namespace as string}.svc`, port: servicePorts[0]! });
    expect(listFlag(args, "expect-id")).toEqual([idOf(deployment("legacy-app"))]);
  });
});

describe("deploy/spire/register.sh", () => {
  const script = join(root, "deploy/spire/register.sh");
  const bash = (...args: string[]) => spawnSync("bash", [script, ...args], { encoding: "utf8", env: { ...process.env, SPIRE_SERVER: "spire-server" } });

  test("prints usage with --help", () => {
    const r = bash("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: deploy/spire/register.sh");
  });

  test("rejects unknown arguments and a trust domain with a scheme (exit 2)", () => {
    expect(bash("--bogus").status).toBe(2);
    const r = bash("--trust-domain", "spiffe://example.org", "--dry-run");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("invalid trust domain");
  });

  test("registers exactly the IDs the manifests expect, selected by namespace and service account", () => {
    const r = bash("--dry-run");
    expect(r.status).toBe(0);
    const entries = r.stdout.trim().split("\n");
    expect(entries[0]).toContain("-node -selector k8s_psat:cluster:");
    const registered = entries.slice(1).map((l) => /-spiffeID (\S+) /.exec(l)?.[1]);
    // one entry per Deployment, for the ID its namespace and service account select
    expect(registered.sort()).toEqual(deployments().map(idOf).sort());
    for (const d of deployments()) {
      const line = entries.find((l) => l.includes(`-spiffeID ${idOf(d)} `));
      expect(line).toContain(`-selector k8s:ns:${d.namespace} -selector k8s:sa:${d.pod.serviceAccountName}`);
    }
    // every peer ID a manifest names (env of the examples, --allow/--expect-id of the proxies) is registered
    const named = deployments().flatMap(({ pod }) =>
      pod.containers.flatMap((c) => {
        const cli = cliOf(c);
        return [envOf(c, "ALLOWED_CLIENT_ID"), envOf(c, "EXPECTED_SERVER_ID"), ...(cli ? [...listFlag(cli.args, "allow"), ...listFlag(cli.args, "expect-id")] : [])].filter((id): id is string => id !== undefined);
      }),
    );
    expect(named.length).toBe(4); // ALLOWED_CLIENT_ID, EXPECTED_SERVER_ID, legacy-app's --allow, legacy-caller's --expect-id
    for (const id of named) expect(registered).toContain(id);
  });

  test("parameters reach the entries", () => {
    const r = bash("--dry-run", "--trust-domain", "prod.example", "--namespace", "apps", "--server-sa", "api", "--client-sa", "web", "--app-sa", "old", "--caller-sa", "older");
    expect(r.stdout).toContain("-spiffeID spiffe://prod.example/ns/apps/sa/api -parentID spiffe://prod.example/ns/spire/sa/spire-agent -selector k8s:ns:apps -selector k8s:sa:api");
    expect(r.stdout).toContain("-spiffeID spiffe://prod.example/ns/apps/sa/web ");
    expect(r.stdout).toContain("-spiffeID spiffe://prod.example/ns/apps/sa/old -parentID spiffe://prod.example/ns/spire/sa/spire-agent -selector k8s:ns:apps -selector k8s:sa:old");
    expect(r.stdout).toContain("-spiffeID spiffe://prod.example/ns/apps/sa/older ");
  });
});

describe("deploy/ shell scripts", () => {
  const scripts = ["deploy/spire/register.sh"];

  test("pass bash -n and start with set -euo pipefail", () => {
    for (const s of scripts) {
      const r = spawnSync("bash", ["-n", join(root, s)], { encoding: "utf8" });
      expect({ s, status: r.status, stderr: r.stderr }).toEqual({ s, status: 0, stderr: "" });
      expect(read(s)).toContain("\nset -euo pipefail\n");
    }
  });

  test("pass shellcheck when it is installed", () => {
    if (spawnSync("sh", ["-c", "command -v shellcheck"]).status !== 0) {
      console.log("note: shellcheck is not installed; skipped the shellcheck assertion");
      return;
    }
    for (const s of scripts) {
      const r = spawnSync("shellcheck", [join(root, s)], { encoding: "utf8" });
      expect({ s, status: r.status, stdout: r.stdout }).toEqual({ s, status: 0, stdout: "" });
    }
  });
});

describe("deploy/docker", () => {
  const dockerfiles = filesIn("deploy/docker", ".Dockerfile");
  const dependencies = Object.keys((JSON.parse(read("package.json")) as { dependencies: Json }).dependencies);

  /** Sources of the COPY instructions that copy from the build context (the repository root). */
  const copiedPaths = (text: string): string[] =>
    [...text.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));

  /** The entry point's relative import graph (the files the image needs) and its bare imports. */
  function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      for (const m of read(file).matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
        const spec = m[1]!;
        if (spec.startsWith(".")) visit(relative(root, join(root, dirname(file), spec)));
        else if (packageEntries[spec]) {
          // the package's own name: Bun resolves it through tsconfig.json `paths` to the sources
          files.add("tsconfig.json");
          visit(packageEntries[spec]);
        }
        else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    };
    visit(entry);
    return { files, packages };
  }

  test("there is one for the server, one for the client and one for the proxy sidecars (the CLI)", () => {
    expect(dockerfiles.sort()).toEqual(["deploy/docker/client.Dockerfile", "deploy/docker/proxy.Dockerfile", "deploy/docker/server.Dockerfile"]);
    expect(JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(read("deploy/docker/proxy.Dockerfile"))![1]!)).toEqual(["bun", "src/cli/main.ts"]);
  });

  test("every spiffe-ts image the manifests use is the tag a Dockerfile's build line gives", () => {
    const tags = new Map(dockerfiles.map((f) => [/docker build -f (\S+) -t (\S+) \./.exec(read(f))?.[2], f]));
    const used = new Set(deployments().flatMap(({ pod }) => pod.containers.filter(isSpiffeTs).map((c) => c.image)));
    expect([...used].sort()).toEqual(["spiffe-ts-client:0.1.0", "spiffe-ts-proxy:0.1.0", "spiffe-ts-server:0.1.0"]);
    for (const image of used) expect({ image, dockerfile: tags.has(image) }).toEqual({ image, dockerfile: true });
    for (const [, f] of tags) expect({ f, tag: /docker build -f (\S+) /.exec(read(f))?.[1] }).toEqual({ f, tag: f }); // each names itself
    expect(tags.size).toBe(dockerfiles.length);
  });

  for (const file of dockerfiles) {
    test(`${file}: copies files that exist, runs as a non-root user, installs production dependencies only`, () => {
      const text = read(file);
      const copied = copiedPaths(text);
      expect(copied.length).toBeGreaterThan(0);
      for (const path of copied) expect({ path, exists: existsSync(join(root, path)) }).toEqual({ path, exists: true });
      expect(text).toMatch(/^USER (?!0\b|root\b)\S+/m);
      expect(text).toContain("npm ci --omit=dev");
      expect(text).not.toMatch(/^COPY\s+(\.|node_modules\/?)\s/m); // never the whole context or the dev node_modules
    });

    test(`${file}: the image holds every file its entry point imports, and only production packages`, () => {
      const text = read(file);
      const entry = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(text)![1]!) as string[];
      const script = entry.find((a) => a.endsWith(".ts"))!;
      const copied = copiedPaths(text).map((p) => p.replace(/\/$/, ""));
      const { files, packages } = importGraph(script);
      expect(files.size).toBeGreaterThan(10);
      for (const f of files) expect({ f, copied: copied.some((c) => f === c || f.startsWith(`${c}/`)) }).toEqual({ f, copied: true });
      for (const p of packages) expect(dependencies).toContain(p);
    });
  }
});
