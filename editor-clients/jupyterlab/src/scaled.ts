/**
 * Runs with the `parallel` or `dask` executor (setting `executor`, issue 20): not in the
 * notebook's kernel but through the server's `link.run` with the same options as
 * `link-ls run --executor …` (docs/scale.md). The notebook is saved first (the server plans
 * from the file and writes the outputs into it); while the run goes on, the headers say
 * which components are waiting, running (and where) and how each finished, from the
 * server's `link/run/event` notifications; then the document is reloaded
 * from disk so the written outputs show (unless it was edited during the run).
 */
import { Notification } from '@jupyterlab/apputils';

import type { NotebookLink, RunStatus } from './controller';
import type { IExecutorSettings, IScaledRun, IScaledStep } from './protocol';

/** The `link.run` options of the setting (empty ones left to the server's defaults). */
export function runOptions(s: IExecutorSettings): Record<string, unknown> {
  const out: Record<string, unknown> = { executor: s.executor };
  if (s.workers) {
    out.workers = s.workers;
  }
  if (s.scheduler) {
    out.scheduler = s.scheduler;
  }
  if (s.store) {
    out.store = s.store;
  }
  return out;
}

function describe(s: IExecutorSettings): string {
  const n = s.workers ? `${s.workers} workers` : 'default workers';
  return s.executor === 'dask' && s.scheduler ? `dask on ${s.scheduler}` : `${s.executor}, ${n}`;
}

/** A component's outcome as the header's run line shows it. */
export function outcome(step: IScaledStep): RunStatus {
  const where = step.where && step.where !== 'cache' ? ` on ${step.where}` : '';
  switch (step.status) {
    case 'executed':
      return { text: `executed${where}`, kind: 'ok' };
    case 'restored':
      return { text: 'restored from the cache', kind: 'restored' };
    case 'skipped':
      return { text: 'skipped (a cached cell below covers it)', kind: 'skipped' };
    case 'not-run':
      return {
        text: step.blockedBy ? `not run (ancestor ${step.blockedBy} did not complete)` : 'not run',
        kind: 'skipped'
      };
    default: {
      const e = step.error;
      const why = e ? (e.evalue ? `${e.ename}: ${e.evalue}` : e.ename || e.kind) : 'error';
      return { text: `${why}${where}`, kind: 'error' };
    }
  }
}

/**
 * Run `mode` (upTo / cell / all) at `index` with the scaled executor; `mark` sets a header's
 * run line by 1-based cell position (after the reload too, where the cells are new widgets).
 */
export async function runScaled(
  link: NotebookLink,
  s: IExecutorSettings,
  mode: 'upTo' | 'cell' | 'all',
  index: number | undefined,
  mark: (cell: number, st: RunStatus | undefined) => void
): Promise<void> {
  const context = link.panel.context;
  if (context.model.dirty) {
    // the server plans from the file and writes the outputs into it
    await context.save();
  }
  const cell = index === undefined ? undefined : `#${index}`;
  const plan = await link.command<{ cells: { index: number }[] }>('link.plan', { mode, cell });
  for (const c of plan.cells) {
    mark(c.index, { text: `queued (${describe(s)})`, kind: 'queued' });
  }
  // live progress: the server tells this tab when each component starts and finishes
  link.runEvents = e => {
    if (e.event === 'started') {
      mark(e.index, { text: `running${e.where ? ` on ${e.where}` : ''}…`, kind: 'running' });
    } else if (e.step) {
      mark(e.index, outcome(e.step));
    }
  };
  let reply: IScaledRun;
  try {
    reply = await link.command<IScaledRun>('link.run', {
      mode,
      cell,
      write: true,
      client: link.client,
      ...runOptions(s)
    });
  } catch (e) {
    for (const c of plan.cells) {
      mark(c.index, undefined);
    }
    throw e;
  } finally {
    link.runEvents = null;
  }
  if (reply.saved?.written) {
    if (context.model.dirty) {
      Notification.warning(
        'link-ls: the outputs were written to the file, but the notebook changed during the run: ' +
          'it was not reloaded (File → Reload Notebook from Disk shows them)',
        { autoClose: false }
      );
    } else {
      await context.revert();
    }
  } else if (reply.saved) {
    Notification.warning(`link-ls: outputs not written: ${reply.saved.reason ?? 'unknown reason'}`, {
      autoClose: 10000
    });
  }
  for (const step of reply.steps) {
    mark(step.index, outcome(step));
  }
  if (reply.outcome !== 'ok' && reply.message) {
    Notification.warning(`link-ls: ${reply.message}`, { autoClose: 10000 });
  }
}
