// deploy/helm/spire-values.yaml against the SPIFFE `spire` Helm chart: every key it sets exists
// in the chart's values (tests/deploy/spire-chart-values.yaml, the chart's key tree trimmed to
// what we set, with its source commit), with a value of the chart default's type; and the values
// docs/deployment.md relies on are set as it says. No cluster and no chart download are needed.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), "utf8");
type Tree = { readonly [key: string]: unknown };

const isMap = (value: unknown): value is Tree => typeof value === "object" && value !== null && !Array.isArray(value);
const kind = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

/** The key paths of `values` the chart does not have, or sets with another type than the chart's default. */
function problems(values: Tree, chart: Tree, at = ""): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = at ? `${at}.${key}` : key;
    if (!Object.hasOwn(chart, key)) return [`${path}: not a value of the chart`];
    const known = chart[key];
    if (isMap(value)) {
      if (!isMap(known)) return [`${path}: the chart's value is a ${kind(known)}, not a map`];
      if (Object.keys(known).length === 0) return [`${path}: the fixture cut this map; extend tests/deploy/spire-chart-values.yaml from the chart`];
      return problems(value, known, path);
    }
    // A null default (e.g. storageClass) accepts any scalar.
    return known === null || kind(value) === kind(known) ? [] : [`${path}: a ${kind(value)}, the chart's default is a ${kind(known)}`];
  });
}

const chart = parse(read("tests/deploy/spire-chart-values.yaml")) as Tree;
const values = parse(read("deploy/helm/spire-values.yaml")) as Tree;
const deploymentDoc = read("docs/deployment.md");
const at = (tree: Tree, path: string): unknown => path.split(".").reduce<unknown>((node, key) => (isMap(node) ? node[key] : undefined), tree);

describe("deploy/helm/spire-values.yaml and the spire chart", () => {
  test("every key it sets is a value of the chart, of the chart default's type", () => {
    expect(problems(values, chart)).toEqual([]);
  });

  test("the check finds a misspelt key, a map where the chart has a scalar, and a wrong type", () => {
    const wrong = { global: { spire: { trustDomian: "example.org", clusterName: { name: "x" } } }, "spire-server": { controllerManager: { enabled: "yes" } } };
    expect(problems(wrong, chart)).toEqual([
      "global.spire.trustDomian: not a value of the chart",
      "global.spire.clusterName: the chart's value is a string, not a map",
      "spire-server.controllerManager.enabled: a string, the chart's default is a boolean",
    ]);
  });

  test("the values docs/deployment.md relies on are set, and the page names them", () => {
    const relied: Array<[string, unknown]> = [
      ["global.spire.trustDomain", "example.org"],
      ["global.spire.clusterName", "demo-cluster"],
      ["spire-server.controllerManager.enabled", true],
      ["spire-server.controllerManager.className", "spiffe-ts-demo"],
      ["spire-server.controllerManager.identities.clusterSPIFFEIDs.default.enabled", false],
      ["spiffe-csi-driver.enabled", true],
    ];
    for (const [path, expected] of relied) expect([path, at(values, path)]).toEqual([path, expected]);
    for (const name of ["example.org", "demo-cluster", "spiffe-ts-demo"]) expect(deploymentDoc).toContain(`\`${name}\``);
    expect(deploymentDoc).toContain("-f deploy/helm/spire-values.yaml");
  });
});
