/**
 * One open notebook: finds its link-ls connection, asks the server for the notebook's view
 * (`link.lab.view`, with the model's unsaved state), renders the component headers, and runs
 * plans in the notebook's own kernel step by step (`link.lab.begin/step/done/end`). It only
 * renders and forwards: plans, cache decisions, cache snippets and states come from Python.
 */
import { showErrorMessage, ToolbarButton } from '@jupyterlab/apputils';
import { Cell, CodeCell } from '@jupyterlab/cells';
import type {
  ILSPConnection,
  ILSPDocumentConnectionManager,
  IWidgetLSPAdapterTracker,
  VirtualDocument
} from '@jupyterlab/lsp';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { PanelLayout, Widget } from '@lumino/widgets';
import { Signal } from '@lumino/signaling';

import type {
  IBegun,
  ICellView,
  IDone,
  IEnded,
  IExecutorSettings,
  IFix,
  IFixResult,
  IRunEvent,
  IStep,
  IView
} from './protocol';
import { execute, rpc } from './rpc';
import { runScaled } from './scaled';
import { offerTrust } from './trust';

/** controllers by client id, for the server's `link/lab/execute` requests */
const CONTROLLERS = new Map<string, NotebookLink>();
const HOOKED = new WeakSet<object>();
const SERVER_NAME = 'link-ls';
const POLL_MS = 500;
const GIVE_UP_MS = 30000;

function hook(conn: ILSPConnection): void {
  const r = rpc(conn);
  if (!r || HOOKED.has(r)) {
    return;
  }
  HOOKED.add(r);
  // jupyter-lsp sends every server message to every tab: answer only our own requests
  r.onRequest('link/lab/execute', (params: { client?: string; code?: string }) => {
    const ctl = CONTROLLERS.get(params.client ?? '');
    if (!ctl) {
      return new Promise(() => undefined);
    }
    return ctl.silent(String(params.code ?? ''));
  });
  // a parallel/dask run's per-component events (`link.run` with this tab's client id)
  r.onNotification('link/run/event', (params: IRunEvent) => {
    CONTROLLERS.get(params.client ?? '')?.runEvents?.(params);
  });
}

export type RunStatus = { text: string; kind: 'queued' | 'running' | 'ok' | 'restored' | 'skipped' | 'error' };

/** serial: runs in the notebook's own kernel (the default, when there are no settings) */
export const SERIAL: IExecutorSettings = { executor: 'serial', workers: null, scheduler: '', store: '' };

export class NotebookLink {
  readonly client = 'lab-' + Math.random().toString(36).slice(2, 10);
  readonly changed = new Signal<NotebookLink, IView | null>(this);
  /** set while a parallel/dask run goes on: its `link/run/event` notifications */
  runEvents: ((e: IRunEvent) => void) | null = null;
  view: IView | null = null;
  error: string | null = null;
  private conn: ILSPConnection | null = null;
  private headers = new Map<Cell, Header>();
  private status = new Map<Cell, RunStatus>();
  private label = new Widget({ node: document.createElement('span') });
  private notebookFixes = new Widget({ node: document.createElement('span') });
  private timer = 0;
  private running = false;
  private finished = 0;
  /** set when the kernel dies or restarts during a run */
  private died = false;
  private disposed = false;

  constructor(
    readonly panel: NotebookPanel,
    private manager: ILSPDocumentConnectionManager,
    private adapters: IWidgetLSPAdapterTracker,
    /** the current executor settings (they may change between runs) */
    private settings: () => IExecutorSettings = () => SERIAL
  ) {
    CONTROLLERS.set(this.client, this);
    this.label.addClass('link-ls-status');
    this.label.node.textContent = 'link-ls: connecting…';
    const runAll = new ToolbarButton({
      className: 'link-ls-run-pipeline',
      label: '▶ Run pipeline',
      tooltip: 'link-ls: run every component in pipeline order, restoring cached ones',
      onClick: () => void this.run('all')
    });
    panel.toolbar.insertItem(10, 'link-ls-run-pipeline', runAll);
    panel.toolbar.insertItem(11, 'link-ls-status', this.label);
    this.notebookFixes.addClass('link-ls-fixes');
    panel.toolbar.insertItem(12, 'link-ls-fixes', this.notebookFixes);
    panel.disposed.connect(() => this.dispose());
    panel.context.ready.then(() => {
      panel.content.model?.contentChanged.connect(() => this.schedule());
      panel.context.fileChanged.connect(() => this.schedule());
      void this.connect();
    });
  }

  dispose(): void {
    this.disposed = true;
    CONTROLLERS.delete(this.client);
    window.clearTimeout(this.timer);
  }

  /** The notebook's file uri (the server's uri of the jupyter-lsp virtual document, mapped). */
  get uri(): string | null {
    const u = this.virtualDocument()?.documentInfo?.uri;
    return u ? u.replace('/.virtual_documents/', '/') : null;
  }

  /**
   * The notebook's virtual document: from the core adapter (JupyterLab's own LSP client), else
   * (jupyterlab-lsp replaces the core adapters with its own) by the notebook's path, the key
   * both use for the root document.
   */
  private virtualDocument(): VirtualDocument | null {
    const adapter = this.adapters.find(a => a.widget === this.panel);
    return adapter?.virtualDocument ?? this.manager.documents.get(this.panel.context.path) ?? null;
  }

  private findConnection(): ILSPConnection | null {
    const vd = this.virtualDocument();
    if (!vd) {
      return null;
    }
    const conn = this.manager.connections.get(vd.uri) as ILSPConnection | undefined;
    if (!conn || !conn.isReady || !rpc(conn)) {
      return null;
    }
    const id = (conn as unknown as { serverIdentifier?: string }).serverIdentifier;
    return id === undefined || id === SERVER_NAME ? conn : null;
  }

  private async connect(): Promise<void> {
    const start = Date.now();
    while (!this.disposed) {
      const conn = this.findConnection();
      if (conn) {
        this.conn = conn;
        hook(conn);
        await this.refresh();
        return;
      }
      if (Date.now() - start > GIVE_UP_MS && !this.error) {
        this.setError(
          'no link-ls server: install jupyter-lsp and link-ls in the Jupyter server’s environment, ' +
            'and turn the language servers on (Settings → Language Servers)'
        );
      }
      await new Promise(r => setTimeout(r, POLL_MS));
    }
  }

  private async ready(): Promise<ILSPConnection> {
    const conn = this.findConnection() ?? this.conn;
    if (!conn) {
      throw new Error(this.error ?? 'link-ls is not connected yet');
    }
    this.conn = conn;
    hook(conn);
    return conn;
  }

  private setError(text: string | null): void {
    this.error = text;
    this.label.node.textContent = text ? `link-ls: ${text}` : this.label.node.textContent;
    this.label.node.classList.toggle('link-ls-error', !!text);
  }

  schedule(ms = 400): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), ms);
  }

  /** The model as JSON without outputs: what the server plans and keys with. */
  notebookJson(): object {
    const nb = this.panel.content.model!.toJSON() as { cells: Record<string, unknown>[] };
    for (const c of nb.cells) {
      if (c.cell_type === 'code') {
        c.outputs = [];
        c.execution_count = null;
      }
    }
    return nb;
  }

  async command<R>(command: string, arg: object): Promise<R> {
    const conn = await this.ready();
    const uri = this.uri;
    if (!uri) {
      throw new Error('the notebook has no link-ls document yet');
    }
    return execute<R>(conn, command, { uri, ...arg });
  }

  async refresh(): Promise<void> {
    if (this.disposed || !this.panel.content.model) {
      return;
    }
    try {
      this.view = await this.command<IView>('link.lab.view', { notebook: this.notebookJson() });
      this.setError(null);
      const v = this.view;
      const n = v.cells.filter(c => c.component).length;
      this.label.node.textContent = v.cycle
        ? `link-ls: ${v.cycle}`
        : v.pipeline
          ? `link-ls: pipeline, ${n} components`
          : 'link-ls: not a pipeline (cells linked by dataflow)';
      this.label.node.classList.toggle('link-ls-error', !!v.cycle);
    } catch (e) {
      this.view = null;
      this.setError(`server error: ${(e as Error).message ?? e}`);
    }
    this.render();
    this.changed.emit(this.view);
  }

  cellAt(index: number): Cell | undefined {
    return this.panel.content.widgets[index - 1];
  }

  select(index: number): void {
    const nb = this.panel.content;
    nb.activeCellIndex = index - 1;
    const cell = this.cellAt(index);
    if (cell) {
      void nb.scrollToCell(cell);
    }
  }

  /** Set pipeline parameter ``i`` in the notebook model (``canvas.parameters``, Link's place). */
  setParameter(i: number, text: string): void {
    const model = this.panel.content.model;
    if (!model) {
      return;
    }
    const canvas = JSON.parse(JSON.stringify(model.getMetadata('canvas') ?? {}));
    const p = canvas.parameters?.[i];
    if (!p) {
      return;
    }
    let value: unknown = text;
    if (p.type === 'int' || p.type === 'float') {
      value = p.type === 'int' ? Number.parseInt(text, 10) : Number(text);
      if (Number.isNaN(value) || text.trim() === '') {
        void showErrorMessage('link-ls', `${p.name}: "${text}" is not a valid ${p.type}`);
        this.changed.emit(this.view);
        return;
      }
    } else if (p.type === 'bool') {
      value = /^(true|1|yes)$/i.test(text.trim());
    } else if (p.type !== 'str') {
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
    }
    p.value = value;
    model.setMetadata('canvas', canvas);
    this.schedule(50);
  }

  /**
   * Apply a fix the server listed: the server computes the new cells, we put them into the
   * model in one transaction (one undo step; the notebook becomes dirty; the user saves).
   */
  async applyFix(fix: IFix): Promise<void> {
    try {
      const r = await this.command<IFixResult>('link.lab.applyFix', {
        notebook: this.notebookJson(),
        fix: fix.fix
      });
      const shared = this.panel.content.model!.sharedModel;
      shared.transact(() => {
        for (const c of r.cells) {
          const cell = shared.getCell(c.index);
          const src = Array.isArray(c.cell.source) ? c.cell.source.join('') : c.cell.source;
          if (cell.getSource() !== src) {
            cell.setSource(src);
          }
          cell.setMetadata(c.cell.metadata as never);
        }
        for (const i of r.deleted) {
          shared.deleteCell(i);
        }
        if (r.metadata) {
          shared.setMetadata(r.metadata as never);
        }
      });
    } catch (e) {
      void showErrorMessage(`link-ls: ${fix.title}`, String((e as Error).message ?? e));
    }
    this.schedule(50);
  }

  private renderNotebookFixes(): void {
    const node = this.notebookFixes.node;
    node.textContent = '';
    for (const f of this.view?.fixes ?? []) {
      if (f.cell === null) {
        node.appendChild(fixButton(f, () => void this.applyFix(f)));
      }
    }
  }

  private render(): void {
    this.renderNotebookFixes();
    const by = new Map<number, ICellView>();
    for (const c of this.view?.cells ?? []) {
      if (c.component || !this.view?.pipeline) {
        by.set(c.cell, c);
      }
    }
    const seen = new Set<Cell>();
    this.panel.content.widgets.forEach((cell, i) => {
      const cv = by.get(i + 1);
      if (!cv) {
        return;
      }
      seen.add(cell);
      let h = this.headers.get(cell);
      if (!h || h.isDisposed) {
        h = new Header(this);
        this.headers.set(cell, h);
        const layout = cell.layout as PanelLayout;
        layout.insertWidget(Math.min(1, layout.widgets.length), h);
      }
      h.paint(cv, this.view!, this.status.get(cell));
    });
    // fixes on cells without a header (a plain cell of a pipeline, a markdown cell)
    this.panel.content.widgets.forEach((cell, i) => {
      const fixes = (this.view?.fixes ?? []).filter(f => f.cell === i + 1);
      if (!by.has(i + 1) && fixes.length) {
        seen.add(cell);
        let h = this.headers.get(cell);
        if (!h || h.isDisposed) {
          h = new Header(this);
          this.headers.set(cell, h);
          const layout = cell.layout as PanelLayout;
          layout.insertWidget(Math.min(1, layout.widgets.length), h);
        }
        h.paintFixes(i + 1, fixes);
      }
    });
    for (const [cell, h] of this.headers) {
      if (!seen.has(cell)) {
        h.dispose();
        this.headers.delete(cell);
      }
    }
  }

  private setStatus(cell: Cell, st: RunStatus | undefined): void {
    if (st) {
      this.status.set(cell, st);
    } else {
      this.status.delete(cell);
    }
    const h = this.headers.get(cell);
    const cv = this.view?.cells.find(c => this.cellAt(c.cell) === cell);
    if (h && cv && this.view) {
      h.paint(cv, this.view, st);
    }
  }

  /** Helper code for the cache, run silently in the notebook's kernel: its stdout. */
  async silent(code: string): Promise<{ stdout?: string; error?: string }> {
    const kernel = this.panel.sessionContext.session?.kernel;
    if (!kernel) {
      return { error: 'the notebook has no kernel' };
    }
    let stdout = '';
    const future = kernel.requestExecute({
      code,
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false
    });
    future.onIOPub = msg => {
      const c = msg.content as { name?: string; text?: string };
      if (msg.header.msg_type === 'stream' && c.name === 'stdout') {
        stdout += c.text ?? '';
      }
    };
    try {
      const reply = await future.done;
      const c = reply.content as { status: string; ename?: string; evalue?: string };
      if (c.status !== 'ok') {
        return { error: `${c.ename ?? c.status}: ${c.evalue ?? ''}` };
      }
      return { stdout };
    } catch (e) {
      return { error: String((e as Error).message ?? e) };
    }
  }

  /**
   * Run a plan (`upTo`, `cell`, `all`): in the notebook's own kernel with the cache (serial),
   * or through the server's `link.run` with the parallel / dask executor of the settings.
   */
  async run(mode: 'upTo' | 'cell' | 'all', index?: number): Promise<void> {
    if (this.running) {
      void showErrorMessage('link-ls', 'A link-ls run is already going on in this notebook.');
      return;
    }
    const settings = this.settings();
    if (settings.executor !== 'serial') {
      return this.runElsewhere(settings, mode, index);
    }
    const session = this.panel.sessionContext;
    this.running = true;
    this.died = false;
    const watch = (_: unknown, status: string): void => {
      if (status === 'dead' || status === 'restarting' || status === 'autorestarting') {
        this.died = true;
      }
    };
    session.statusChanged.connect(watch);
    let begun: IBegun | null = null;
    let ended: IEnded | undefined;
    try {
      await session.ready;
      if (!session.session?.kernel) {
        throw new Error('the notebook has no kernel: select one first');
      }
      begun = await this.command<IBegun>('link.lab.begin', {
        notebook: this.notebookJson(),
        mode,
        cell: index === undefined ? undefined : `#${index}`,
        client: this.client
      });
      await this.steps(begun);
    } catch (e) {
      void showErrorMessage('link-ls: cannot run', String((e as Error).message ?? e));
    } finally {
      session.statusChanged.disconnect(watch);
      this.running = false;
      if (begun) {
        ended = await this.command<IEnded>('link.lab.end', { run: begun.run }).catch(() => undefined);
      }
      // how many runs ended, for scripts and tests that wait for one
      this.panel.node.dataset.linkLsRuns = String(++this.finished);
      this.schedule(50);
    }
    if (ended?.cache) {
      // entries left out for want of trust: ask, naming where they came from (not awaited)
      void offerTrust(this, ended.cache, () => this.run(mode, index));
    }
  }

  private async runElsewhere(
    settings: IExecutorSettings,
    mode: 'upTo' | 'cell' | 'all',
    index?: number
  ): Promise<void> {
    this.running = true;
    const mark = (cell: number, st: RunStatus | undefined): void => {
      const c = this.cellAt(cell);
      if (c) {
        this.setStatus(c, st);
      }
    };
    try {
      await runScaled(this, settings, mode, index, mark);
    } catch (e) {
      void showErrorMessage('link-ls: cannot run', String((e as Error).message ?? e));
    } finally {
      this.running = false;
      // headers for the reloaded cells, painted with their outcome, before the run counts
      await this.refresh();
      this.panel.node.dataset.linkLsRuns = String(++this.finished);
    }
  }

  private async steps(begun: IBegun): Promise<void> {
    const cells = begun.plan.cells.map(s => ({ s, cell: this.cellAt(s.index) }));
    for (const { cell } of cells) {
      if (cell) {
        this.setStatus(cell, { text: 'queued', kind: 'queued' });
      }
    }
    let stop: string | null = null;
    for (const { s, cell } of cells) {
      if (!cell) {
        continue;
      }
      if (stop) {
        this.setStatus(cell, { text: `not run (${stop})`, kind: 'skipped' });
        continue;
      }
      this.setStatus(cell, { text: 'running…', kind: 'running' });
      const st = await this.command<IStep>('link.lab.step', { run: begun.run, cell: s.index });
      if (st.action === 'restored') {
        const model = (cell as CodeCell).model;
        model.outputs.clear();
        for (const o of st.outputs) {
          model.outputs.add(o as never);
        }
        model.executionCount = null;
        this.setStatus(cell, { text: 'restored from the cache', kind: 'restored' });
        continue;
      }
      if (st.action === 'skipped') {
        this.setStatus(cell, { text: 'skipped (a cached cell below covers it)', kind: 'skipped' });
        continue;
      }
      stop = await this.executeCell(begun, s.index, cell as CodeCell);
    }
  }

  /** Execute one cell as Jupyter does; null when it went well, else why the run stops. */
  private async executeCell(begun: IBegun, index: number, cell: CodeCell): Promise<string | null> {
    const session = this.panel.sessionContext;
    let reply;
    try {
      reply = await CodeCell.execute(cell, session);
    } catch (e) {
      reply = undefined;
      if (!this.died) {
        const why = `stopped: ${(e as Error).message ?? e}`;
        this.setStatus(cell, { text: why, kind: 'error' });
        return why;
      }
    }
    const c = reply?.content as { status?: string; ename?: string; evalue?: string } | undefined;
    if (this.died) {
      // JupyterLab cancels the execution of a dying kernel; it restarts the kernel itself
      this.setStatus(cell, { text: 'the kernel died', kind: 'error' });
      return 'the kernel died';
    }
    if (!c || c.status === 'aborted') {
      this.setStatus(cell, { text: 'interrupted', kind: 'error' });
      return 'interrupted';
    }
    if (c.status !== 'ok') {
      const why = c.ename === 'KeyboardInterrupt' ? 'interrupted' : `${c.ename}: ${c.evalue}`;
      this.setStatus(cell, { text: why, kind: 'error' });
      return c.ename === 'KeyboardInterrupt' ? 'interrupted' : `an error in #${index}`;
    }
    const outputs = cell.model.outputs.toJSON();
    const done = await this.command<IDone>('link.lab.done', { run: begun.run, cell: index, outputs });
    const text = done.saved ? 'executed, saved to the cache' : done.note ? `executed (${done.note})` : 'executed';
    this.setStatus(cell, { text, kind: 'ok' });
    return null;
  }
}

const STATE_TEXT: Record<string, string> = {
  'never-run': 'never run',
  'up-to-date': 'up to date',
  stale: 'stale',
  cached: 'cached',
  untrusted: 'untrusted'
};

/** The state's tooltip: the server's note (an untrusted entry's origin), else what it means. */
function stateTip(cv: ICellView): string {
  if (cv.state === 'untrusted') {
    return (
      `link-ls: a cache entry of ${cv.name} is untrusted (${cv.note || 'not signed by your key'}): ` +
      'a run executes it instead of restoring it until you trust the cache ' +
      '(“link-ls: Trust the cache”, or “Trust and re-run” after a run)'
    );
  }
  return cv.note || 'link-ls: this component’s state (from the server)';
}

/** The compact header above a component cell: name, state, parents, run buttons, last run. */
class Header extends Widget {
  constructor(private ctl: NotebookLink) {
    super();
    this.addClass('link-ls-header');
  }

  paint(cv: ICellView, view: IView, st?: RunStatus): void {
    const n = this.node;
    n.textContent = '';
    n.dataset.cell = String(cv.cell);
    n.dataset.state = cv.state;
    const el = (tag: string, cls: string, text: string): HTMLElement => {
      const e = document.createElement(tag);
      e.className = cls;
      e.textContent = text;
      n.appendChild(e);
      return e;
    };
    el('span', 'link-ls-name', cv.name);
    const state = el('span', `link-ls-state link-ls-state-${cv.state}`, STATE_TEXT[cv.state] ?? cv.state);
    state.title = stateTip(cv);
    if (cv.parents.length) {
      el('span', 'link-ls-label', 'parents:');
      for (const p of cv.parents) {
        const a = el('a', 'link-ls-parent', p.name);
        a.title = `select ${p.name} (#${p.cell})`;
        a.onclick = () => this.ctl.select(p.cell);
      }
    }
    const upTo = el(
      'button',
      'link-ls-run-up-to jp-mod-styled',
      view.cycle ? '▶ Run up to here (cycle)' : `▶ Run up to here (${cv.upTo} cells)`
    ) as HTMLButtonElement;
    upTo.onclick = () => void this.ctl.run('upTo', cv.cell);
    const one = el('button', 'link-ls-run-cell jp-mod-styled', '▶ Run cell') as HTMLButtonElement;
    one.onclick = () => void this.ctl.run('cell', cv.cell);
    if (st) {
      el('span', `link-ls-run link-ls-run-${st.kind}`, st.text);
    }
    this.addFixes(view.fixes.filter(f => f.cell === cv.cell));
  }

  /** A header holding only fixes (a cell that is not a node of the pipeline). */
  paintFixes(cell: number, fixes: IFix[]): void {
    this.node.textContent = '';
    this.node.dataset.cell = String(cell);
    this.node.dataset.state = '';
    this.addFixes(fixes);
  }

  private addFixes(fixes: IFix[]): void {
    if (!fixes.length) {
      return;
    }
    const box = document.createElement('div');
    box.className = 'link-ls-fixes';
    for (const f of fixes) {
      box.appendChild(fixButton(f, () => void this.ctl.applyFix(f)));
    }
    this.node.appendChild(box);
  }
}

function fixButton(f: IFix, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = 'link-ls-fix jp-mod-styled';
  b.textContent = f.title;
  b.title = f.code ? `${f.code}: ${f.title}` : f.title;
  b.dataset.code = f.code;
  b.onclick = onClick;
  return b;
}
