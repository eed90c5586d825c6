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
