/** Shapes of the link-ls commands the extension uses (docs/commands.md, "link.lab.*"). */

export interface ICellRef {
  cell: number; // 1-based notebook position
  name: string;
}

export interface ICellView {
  cell: number;
  id: string;
  cellId: string | null;
  name: string;
  component: boolean;
  parents: ICellRef[];
  children: ICellRef[];
  upTo: number | null;
  state: 'never-run' | 'up-to-date' | 'stale' | 'cached' | 'untrusted';
  /** why (for `untrusted`: where the entry came from, e.g. "imported from x.tar.gz (…)") */
  note: string;
  /** the trust of the entry under the current key ("trusted", "unsigned", …), null: none */
  trust?: string | null;
}

export interface IFix {
  cell: number | null;
  title: string;
  code: string;
  fix: object;
}

export interface IFixResult {
  cells: { index: number; cell: { source: string | string[]; metadata: Record<string, unknown> } }[];
  deleted: number[];
  metadata: Record<string, unknown> | null;
}

export interface IView {
  uri: string;
  pipeline: boolean;
  cycle: string | null;
  cells: ICellView[];
  parameters: { name: string; type: string; value: unknown }[];
  fixes: IFix[];
  nodes: { id: string; name: string; index: number; kind: string }[];
  edges: { source: string; target: string; kind: string; names: string[] }[];
}

export interface IBegun {
  run: string;
  plan: { mode: string; target: string | null; cells: { index: number; id: string; name: string }[] };
}

export interface IStep {
  action: 'execute' | 'restored' | 'skipped';
  outputs: object[];
  notes?: string[];
}

export interface IDone {
  saved: boolean;
  note: string;
}

/** A cache entry a run did not restore: untrusted (imported / another key) or refused (altered). */
export interface ICacheEntryNote {
  index: number;
  id: string;
  name: string;
  trust: string;
  /** where it came from, in words ("imported from x.tar.gz (made by …)") */
  reason: string;
  origin: Record<string, unknown> | null;
}

/** What the cache did in a run (`PipelineStepCache.report()`, as `link.run` reports it). */
export interface IRunCache {
  store: string;
  restored: number;
  saved: number;
  untrusted: ICacheEntryNote[];
  refused: ICacheEntryNote[];
  trustCommand: string[] | null;
  notes: string[];
}

export interface IEnded {
  ended: boolean;
  restored?: string[];
  executed?: string[];
  notes?: string[];
  cache?: IRunCache | null;
}

/** `link.cache.trust`'s answer */
export interface ITrusted {
  store: string;
  trusted: number;
  alreadyTrusted: number;
  refused: number;
}

/** The extension's settings (schema/plugin.json): how its runs run (docs/scale.md). */
export interface IExecutorSettings {
  executor: 'serial' | 'parallel' | 'dask';
  workers: number | null;
  scheduler: string;
  store: string;
}

/** One component of a `link.run` reply with the parallel / dask executor. */
export interface IScaledStep {
  index: number; // 1-based notebook position
  id: string;
  name: string;
  status: 'executed' | 'restored' | 'skipped' | 'error' | 'not-run';
  error: { kind: string; ename: string; evalue: string } | null;
  /** the kernel or worker that ran it, `cache` when restored */
  where?: string;
  blockedBy?: string | null;
}

/** `link/run/event`: one component of a parallel/dask run started or finished. */
export interface IRunEvent {
  client?: string;
  uri: string;
  event: 'started' | 'finished';
  index: number; // 1-based notebook position
  where?: string;
  step?: IScaledStep;
}

/** `link.run`'s reply (docs/commands.md), the fields the extension reads. */
export interface IScaledRun {
  outcome: string;
  message: string;
  executor?: string;
  steps: IScaledStep[];
  saved: { path: string | null; written: boolean; reason: string | null } | null;
}
