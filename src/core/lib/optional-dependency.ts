import { MissingDependencyError } from "../errors/missing-dependency-error.ts";

/**
 * Runs `load` (a dynamic `import()` of `dependency` or of a module that imports it) and turns
 * "module not found" for that package into a `MissingDependencyError` naming it. Optional peer
 * dependencies are loaded this way (valibot and yaml by `loadConfig`, @opentelemetry/api by
 * `enableTelemetry`), so that users who never call those need not install them.
 */
export async function importOptional<T>(load: () => Promise<T>, dependency: string, feature: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isNotFound(err, dependency.replace(/(.)@.*$/, "$1"))) throw new MissingDependencyError(dependency, feature, { cause: err });
    throw err;
  }
}

/** Node and Deno: ERR_MODULE_NOT_FOUND naming the package; Bun: "Cannot find package/module 'name'". */
function isNotFound(err: unknown, name: string): boolean {
  const message = err instanceof Error ? err.message : String(err);
  const quoted = [`'${name}'`, `"${name}"`, `'${name}/`, `"${name}/`, `npm:${name}`].some((q) => message.includes(q));
  const notFound = (err as { code?: unknown } | null)?.code === "ERR_MODULE_NOT_FOUND" || /cannot find|could not find|not found/i.test(message);
  return quoted && notFound;
}
