// The ClusterSPIFFEID schema of spire-controller-manager and a checker for it. The schema is
// the CRD's openAPIV3Schema without its descriptions (clusterspiffeid-crd.yaml beside this
// file, from the Go module github.com/spiffe/spire-controller-manager at SCHEMA_VERSION); the
// checker applies what the Kubernetes API server applies to a structural schema: types,
// required fields, and no unknown fields (which the server would silently drop).
import { parse, stringify } from "yaml";

/** The spire-controller-manager release the committed schema comes from. */
export const SCHEMA_VERSION = "v0.7.0";
/** Path of the CRD inside that Go module. */
export const CRD_PATH = "config/crd/bases/spire.spiffe.io_clusterspiffeids.yaml";

/** The subset of OpenAPI v3 that the CRD uses. */
export interface Schema {
  readonly type?: "object" | "array" | "string" | "integer" | "boolean" | "number";
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly enum?: readonly unknown[];
  readonly [extension: `x-kubernetes-${string}`]: unknown;
}

/** What clusterspiffeid-crd.yaml holds. */
export interface TrimmedCrd {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly scope: string;
  readonly schema: Schema;
}

const withoutDescriptions = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withoutDescriptions)
    : typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== "description").map(([k, v]) => [k, withoutDescriptions(v)]))
      : value;

/** The storage version's schema of a CustomResourceDefinition (YAML text), without descriptions. */
export function trimCrd(crdYaml: string): TrimmedCrd {
  const crd = parse(crdYaml) as {
    spec: { group: string; scope: string; names: { kind: string }; versions: Array<{ name: string; storage: boolean; schema: { openAPIV3Schema: Schema } }> };
  };
  const version = crd.spec.versions.find((v) => v.storage)!;
  return { group: crd.spec.group, kind: crd.spec.names.kind, version: version.name, scope: crd.spec.scope, schema: withoutDescriptions(version.schema.openAPIV3Schema) as Schema };
}

/** The YAML committed as clusterspiffeid-crd.yaml for a trimmed CRD. */
export function trimmedCrdYaml(crd: TrimmedCrd): string {
  return `# ClusterSPIFFEID schema from github.com/spiffe/spire-controller-manager@${SCHEMA_VERSION}\n# ${CRD_PATH}, descriptions removed (tests/deploy/crd-schema.ts trimCrd).\n${stringify(crd)}`;
}

/** Every way `value` breaks `schema`, as "path: problem" lines (empty when it conforms). */
export function schemaProblems(schema: Schema, value: unknown, path = ""): string[] {
  const at = path || "(root)";
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : Number.isInteger(value) ? "integer" : typeof value;
  if (schema.type && !(actual === schema.type || (schema.type === "number" && actual === "integer"))) return [`${at}: expected ${schema.type}, got ${actual}`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const problems: string[] = [];
  if (actual === "array" && schema.items) (value as unknown[]).forEach((item, i) => problems.push(...schemaProblems(schema.items!, item, `${path}[${i}]`)));
  if (actual === "object") {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) problems.push(`${path ? `${path}.` : ""}${name}: required`);
    for (const [name, field] of Object.entries(object)) {
      const fieldPath = path ? `${path}.${name}` : name;
      const fieldSchema = schema.properties?.[name] ?? schema.additionalProperties;
      if (fieldSchema) problems.push(...schemaProblems(fieldSchema, field, fieldPath));
      else if (schema.properties && path !== "metadata") problems.push(`${fieldPath}: unknown field`);
    }
  }
  return problems;
}
