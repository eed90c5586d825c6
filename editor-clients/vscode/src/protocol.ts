// The JSON shapes of the server's command results that the client reads (docs/commands.md).

/**
 * A cell edit the client applies (server: NotebookCellEdit): the cell's whole new metadata,
 * optionally its new text (conflict fixes in lenses), or `delete: true` to remove the cell.
 */
export interface NotebookCellEdit {
  notebookUri: string;
  cellIndex: number;
  metadata?: Record<string, unknown>;
  source?: string;
  delete?: boolean;
}

export interface PlanCell {
  /** 1-based position in the notebook */
  index: number;
  id: string;
  name: string;
}

export interface RunPlanJson {
  mode: string;
  target: string | null;
  cells: PlanCell[];
}

/** An nbformat v4 output dict. */
export interface NbOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface RunStep {
  index: number;
  id: string;
  name: string;
  status: "executed" | "restored" | "skipped" | "error" | "not-run";
  executionCount: number | null;
  outputs: NbOutput[];
  error: { kind: string; ename: string; evalue: string } | null;
}

export interface RunReport {
  outcome: string;
  steps: RunStep[];
  counts?: Record<string, number>;
  warnings?: string[];
}

/** `link.run`: the plan, whether it executed, and the run report (inline or under `report`). */
export interface RunResult {
  uri: string;
  plan?: RunPlanJson;
  executed?: boolean;
  message?: string;
  report?: RunReport;
  steps?: RunStep[];
  outcome?: string;
  /** whether the outputs were written into the .ipynb, and why not (null: not asked to) */
  saved?: RunSaved | null;
  /** what the cache did: restored, saved, untrusted and refused entries (docs/commands.md) */
  cache?: RunCache | null;
}

/** An entry a run did not restore: untrusted (imported / another key) or refused (altered). */
export interface CacheEntryNote {
  index?: number;
  id?: string;
  name?: string;
  key?: string;
  trust?: string;
  /** why, in a few words, naming the origin ("imported from x.tar.gz (made by …) on …") */
  reason?: string;
  origin?: Record<string, string> | null;
}

/** `cache` of a `link.run` result. */
export interface RunCache {
  store?: string;
  restored?: number;
  saved?: number;
  untrusted?: CacheEntryNote[];
  refused?: CacheEntryNote[];
  trustCommand?: string[] | null;
  notes?: string[];
}

/** The run's `cache`, inline or under `report`. */
export function runCache(result: unknown): RunCache | undefined {
  if (!isObject(result)) {
    return undefined;
  }
  const c = isObject(result.cache) ? result.cache : isObject(result.report) ? result.report.cache : undefined;
  return isObject(c) ? c : undefined;
}

/** The question to ask before trusting a run's untrusted entries: how many, from where. */
export function trustPrompt(cache: RunCache): string | undefined {
  const untrusted = Array.isArray(cache.untrusted) ? cache.untrusted : [];
  if (untrusted.length === 0) {
    return undefined;
  }
  const reasons = [...new Set(untrusted.map((u) => u.reason ?? "not signed by your key"))];
  const n = untrusted.length;
  const what = n === 1 ? "component is" : "components are";
  return `link-ls: ${n} cached ${what} untrusted (${reasons.join("; ")}), so they ran again. Trust this cache and re-run?`;
}

/** One warning line for entries the server refused, or undefined when there are none. */
export function refusedLine(cache: RunCache): string | undefined {
  const refused = Array.isArray(cache.refused) ? cache.refused : [];
  if (refused.length === 0) {
    return undefined;
  }
  const names = refused.map((r) => `${r.name ?? r.id ?? "?"}${r.reason ? `: ${r.reason}` : ""}`);
  return `link-ls: cache entries refused: ${names.join("; ")}`;
}

/** `saved` of a `link.run` result (docs/commands.md). */
export interface RunSaved {
  path?: string | null;
  written: boolean;
  reason?: string | null;
}

/** One line for the user: where the run's outputs went, or why they stayed out of the file. */
export function savedLine(saved: RunSaved | null | undefined): string | undefined {
  if (saved === null || saved === undefined || typeof saved !== "object") {
    return undefined;
  }
  if (saved.written) {
    return `outputs saved to ${saved.path ?? "the notebook"}`;
  }
  return `outputs not saved: ${saved.reason ?? "unknown reason"}`;
}

export function runReport(result: RunResult): RunReport | undefined {
  if (result.report && Array.isArray(result.report.steps)) {
    return result.report;
  }
  if (Array.isArray(result.steps)) {
    return { outcome: result.outcome ?? "ok", steps: result.steps };
  }
  return undefined;
}

export interface GraphNode {
  id: string;
  name: string;
  index: number;
  kind: string;
}

export interface GraphEdge {
  source: string;
  target: string;
  kind: string;
  names?: string[];
}

export interface GraphResult {
  pipeline: boolean;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function notebookEditsOf(result: unknown): NotebookCellEdit[] {
  if (!isObject(result) || !Array.isArray(result.notebookEdits)) {
    return [];
  }
  return result.notebookEdits.filter(isCellEdit);
}

export function isCellEdit(value: unknown): value is NotebookCellEdit {
  return (
    isObject(value) &&
    typeof value.notebookUri === "string" &&
    typeof value.cellIndex === "number" &&
    (value.delete === true || isObject(value.metadata)) &&
    (value.source === undefined || typeof value.source === "string")
  );
}
