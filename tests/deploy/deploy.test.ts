// deploy/: the Kubernetes manifests parse and agree with each other and with the
// registration script; probes use the plain health port, never the mTLS one; the
// Dockerfiles copy files that exist and carry everything the entry point imports; the
// scripts pass `bash -n` (and shellcheck when installed). No Docker engine is used.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

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
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; csi?: { driver: string }; hostPath?: { path: string } }>;
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean };
}
const deployments = (): Array<{ file: string; name: string; pod: PodSpec }> =>
  manifests()
    .filter(({ doc }) => doc.kind === "Deployment")
    .map(({ file, doc }) => ({ file, name: (doc.metadata as Json).name as string, pod: ((doc.spec as Json).template as Json).spec as PodSpec }));
const envOf = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value;

describe("deploy/k8s manifests", () => {
  test("parse, and hold a server and a client Deployment, a Service and their ServiceAccounts", () => {
    const kinds = manifests().map(({ doc }) => `${doc.kind}/${(doc.metadata as Json | undefined)?.name ?? ""}`);
    for (const k of ["Namespace/spiffe-demo", "Deployment/spiffe-server", "Service/spiffe-server", "ServiceAccount/spiffe-server", "Deployment/spiffe-client", "ServiceAccount/spiffe-client"]) {
      expect(kinds).toContain(k);
    }
    const kustomization = parseAllDocuments(read("deploy/k8s/kustomization.yaml"))[0]!.toJS() as { resources: string[] };
    expect(kustomization.resources.sort()).toEqual(filesIn("deploy/k8s", ".yaml").map((f) => f.slice("deploy/k8s/".length)).filter((f) => f !== "kustomization.yaml").sort());
  });

  test("every probe is an httpGet on the plain health port, never on the mTLS port", () => {
    let probes = 0;
    for (const { name, pod } of deployments()) {
      for (const c of pod.containers) {
        const byName = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
        const health = Number(/:(\d+)$/.exec(envOf(c, "HEALTH_ADDRESS") ?? "")?.[1]);
        const mtls = Number(/:(\d+)$/.exec(envOf(c, "SERVER_ADDRESS") ?? "")?.[1]);
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
    expect(probes).toBeGreaterThanOrEqual(2); // the server has liveness and readiness probes
    const server = deployments().find((d) => d.name === "spiffe-server")!.pod.containers[0]!;
    expect((server.readinessProbe!.httpGet as Json).path).toBe("/readyz");
  });

  test("the Service exposes the mTLS port only", () => {
    const service = manifests().find(({ doc }) => doc.kind === "Service")!.doc;
    const ports = (service.spec as { ports: Array<{ port: number; targetPort: string | number }> }).ports;
    expect(ports.map((p) => p.targetPort)).toEqual(["mtls"]);
  });

  test("SPIFFE_ENDPOINT_SOCKET is a unix:// path inside a mount of the CSI driver's volume", () => {
    for (const { name, pod } of deployments()) {
      for (const c of pod.containers) {
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

  test("offer a commented hostPath alternative for clusters without the CSI driver", () => {
    for (const file of ["deploy/k8s/server.yaml", "deploy/k8s/client.yaml"]) {
      // uncomment the block and read it as YAML: a volume of the same name, from the node
      const block = /^(\s*)# - name: spiffe-workload-api\n(?:\1#.*\n)+/m.exec(read(file))?.[0] ?? "";
      const volume = parseAllDocuments(block.replace(/^(\s*)# ?/gm, "$1"))[0]?.toJS() as Array<{ name: string; hostPath?: { path: string } }> | null;
      expect({ file, volume: volume?.[0] }).toEqual({ file, volume: { name: "spiffe-workload-api", hostPath: { path: "/run/spire/agent-sockets", type: "Directory" } } });
    }
  });

  test("run as non-root", () => {
    for (const { name, pod } of deployments()) expect({ name, nonRoot: pod.securityContext?.runAsNonRoot }).toEqual({ name, nonRoot: true });
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
    const [server, client] = ["spiffe-server", "spiffe-client"].map((name) => deployments().find((d) => d.name === name)!);
    const allowedClient = envOf(server!.pod.containers[0]!, "ALLOWED_CLIENT_ID")!;
    const expectedServer = envOf(client!.pod.containers[0]!, "EXPECTED_SERVER_ID")!;
    const namespace = "spiffe-demo";
    for (const [id, sa] of [[expectedServer, server!.pod.serviceAccountName], [allowedClient, client!.pod.serviceAccountName]]) {
      const line = entries.find((l) => l.includes(`-spiffeID ${id} `));
      expect({ id, line: line !== undefined }).toEqual({ id, line: true });
      expect(line).toContain(`-selector k8s:ns:${namespace} -selector k8s:sa:${sa}`);
    }
    expect(entries[0]).toContain("-node -selector k8s_psat:cluster:");
  });

  test("parameters reach the entries", () => {
    const r = bash("--dry-run", "--trust-domain", "prod.example", "--namespace", "apps", "--server-sa", "api", "--client-sa", "web");
    expect(r.stdout).toContain("-spiffeID spiffe://prod.example/ns/apps/sa/api -parentID spiffe://prod.example/ns/spire/sa/spire-agent -selector k8s:ns:apps -selector k8s:sa:api");
    expect(r.stdout).toContain("-spiffeID spiffe://prod.example/ns/apps/sa/web ");
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
        else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    };
    visit(entry);
    return { files, packages };
  }

  test("there is one for the server and one for the client", () => {
    expect(dockerfiles.sort()).toEqual(["deploy/docker/client.Dockerfile", "deploy/docker/server.Dockerfile"]);
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
