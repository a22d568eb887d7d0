// Workload selection of the development Workload API server: which identities a caller gets
// (a fixed list, or by the value of a request header), checked when set.
import { SpiffeId } from "../../../core/spiffeid/spiffe-id.ts";
import type { TestWorkload, WorkloadSelection } from "../../workload-api-types.ts";
import { InvalidArgumentError } from "../../../core/errors/invalid-argument-error.ts";

/** A workload with its ID parsed. */
export interface SelectedWorkload {
  readonly id: SpiffeId;
  readonly hint?: string;
  readonly dnsSans?: readonly string[];
}

/** The workloads a caller with request headers `header` gets: like SPIRE, one per non-empty hint (the first listed). */
export function workloadsFor(selection: WorkloadSelection, header: Headers): readonly SelectedWorkload[] {
  let list: readonly TestWorkload[];
  if (isWorkloadList(selection)) list = selection;
  else {
    const value = header.get(selection.header);
    list = value !== null && Object.hasOwn(selection.byValue, value) ? selection.byValue[value]! : [];
  }
  const hints = new Set<string>();
  const unique: TestWorkload[] = [];
  for (const w of list) {
    if (w.hint) {
      if (hints.has(w.hint)) continue;
      hints.add(w.hint);
    }
    unique.push(w);
  }
  return unique.map(selected);
}

/** `w` with its ID parsed (checked by {@link checkSelection} already). */
export function selected(w: TestWorkload): SelectedWorkload {
  return { ...w, id: typeof w.id === "string" ? SpiffeId.parse(w.id) : w.id };
}

/** Every workload of the selection, whoever asks. */
export function allWorkloads(selection: WorkloadSelection): TestWorkload[] {
  return isWorkloadList(selection) ? [...selection] : Object.values(selection.byValue).flat();
}

/**
 * A copy of `selection` after checking its shape and IDs (header names lowercased).
 *
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` (argument `"workloads"`); {SpiffeIdError} for an invalid ID.
 */
export function checkSelection(selection: WorkloadSelection): WorkloadSelection {
  const bad = (why: string): InvalidArgumentError => new InvalidArgumentError("workloads", `workloads: ${why}`);
  if (typeof selection !== "object" || selection === null) throw bad("expected an array of { id } or { header, byValue }");
  if (!isWorkloadList(selection)) {
    if (typeof selection.header !== "string" || selection.header === "") throw bad("header must be a non-empty string");
    if (typeof selection.byValue !== "object" || selection.byValue === null) throw bad("byValue must be an object of workload arrays");
  }
  for (const w of allWorkloads(selection)) {
    if (typeof w !== "object" || w === null) throw bad("each workload must be an object { id, hint?, dnsSans? }");
    if (!(w.id instanceof SpiffeId)) SpiffeId.parse(w.id); // throws SpiffeIdError for a bad ID
  }
  return isWorkloadList(selection) ? [...selection] : { header: selection.header.toLowerCase(), byValue: { ...selection.byValue } };
}

function isWorkloadList(selection: WorkloadSelection): selection is readonly TestWorkload[] {
  return Array.isArray(selection);
}
