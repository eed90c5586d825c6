/**
 * Palette and context-menu commands that only forward to link-ls commands on the notebook's
 * file: diff with a git revision and history (`link.diff` HTML in a main-area panel),
 * export the pipeline (`link.export`, link-ls or Link format), export / import cache archives
 * (`link.cache.export` / `link.cache.import`).
 */
import { InputDialog, MainAreaWidget, showDialog, showErrorMessage, Dialog } from '@jupyterlab/apputils';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Widget } from '@lumino/widgets';

import type { NotebookLink } from './controller';

interface IDiff {
  html?: string;
}

interface IHistory {
  commits: { commit: string; short: string; author: string; date: string; message: string }[];
}

function folderOf(uri: string): string {
  return uri.slice(0, uri.lastIndexOf('/') + 1);
}

function stemOf(uri: string): string {
  const name = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
  return name.replace(/\.ipynb$/, '');
}

/** A path typed by the user, relative to the notebook's folder, as a file uri. */
function resolve(link: NotebookLink, path: string): string {
  if (path.startsWith('/') || path.startsWith('file:')) {
    return path;
  }
  return folderOf(link.uri ?? '') + path.split('/').map(encodeURIComponent).join('/');
}

function showHtml(app: JupyterFrontEnd, title: string, html: string): void {
  const content = new Widget();
  const frame = document.createElement('iframe');
  frame.className = 'link-ls-diff-frame';
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.srcdoc = html;
  content.node.appendChild(frame);
  content.addClass('link-ls-diff');
  const w = new MainAreaWidget({ content });
  w.id = `link-ls-diff-${Date.now()}`;
  w.title.label = title;
  w.title.closable = true;
  app.shell.add(w, 'main');
  app.shell.activateById(w.id);
}

async function guarded(title: string, job: () => Promise<void>): Promise<void> {
  try {
    await job();
  } catch (e) {
    void showErrorMessage(`link-ls: ${title}`, String((e as Error).message ?? e));
  }
}

export async function diffWithRevision(app: JupyterFrontEnd, link: NotebookLink, rev?: string): Promise<void> {
  await guarded('diff', async () => {
    let base = rev;
    if (base === undefined) {
      const got = await InputDialog.getText({ title: 'Diff the notebook with a git revision', text: 'HEAD' });
      if (!got.button.accept || !got.value) {
        return;
      }
      base = got.value;
    }
    const uri = link.uri;
    const r = await link.command<IDiff>('link.diff', { uri, base, format: 'html' });
    showHtml(app, `${stemOf(uri ?? '')} ↔ ${base}`, r.html ?? '');
  });
}

export async function history(app: JupyterFrontEnd, link: NotebookLink): Promise<void> {
  await guarded('history', async () => {
    const r = await link.command<IHistory>('link.history', { uri: link.uri, limit: 30 });
    if (!r.commits.length) {
      void showDialog({ title: 'link-ls: history', body: 'No commit touched this notebook.' });
      return;
    }
    const body = new Widget();
    const list = document.createElement('ul');
    list.className = 'link-ls-history';
    let chosen: string | null = null;
    for (const c of r.commits) {
      const li = document.createElement('li');
      li.textContent = `${c.short} ${c.date.slice(0, 10)} ${c.author}: ${c.message.split('\n')[0]}`;
      li.onclick = () => {
        chosen = c.commit;
        list.querySelectorAll('li').forEach(x => x.classList.remove('link-ls-chosen'));
        li.classList.add('link-ls-chosen');
      };
      list.appendChild(li);
    }
    body.node.appendChild(list);
    const res = await showDialog({
      title: 'Notebook history: pick a commit to diff with',
      body,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Diff' })]
    });
    if (res.button.accept && chosen) {
      await diffWithRevision(app, link, chosen);
    }
  });
}

export async function exportPipeline(link: NotebookLink): Promise<void> {
  await guarded('export', async () => {
    const fmt = await InputDialog.getItem({
      title: 'Export the pipeline',
      items: ['link-ls', 'link'],
      current: 0
    });
    if (!fmt.button.accept || !fmt.value) {
      return;
    }
    const stem = stemOf(link.uri ?? '');
    const path = await InputDialog.getText({
      title: 'Export to (relative to the notebook)',
      text: fmt.value === 'link' ? `${stem}-link.json` : `${stem}.pipeline.json`
    });
    if (!path.button.accept || !path.value) {
      return;
    }
    const r = await link.command<{ output: string }>('link.export', {
      format: fmt.value,
      output: resolve(link, path.value)
    });
    void showDialog({ title: 'link-ls: exported', body: r.output, buttons: [Dialog.okButton()] });
  });
}

export async function exportCache(link: NotebookLink): Promise<void> {
  await guarded('export cache', async () => {
    const path = await InputDialog.getText({
      title: 'Export the cache to (relative to the notebook)',
      text: `${stemOf(link.uri ?? '')}-cache.tar.gz`
    });
    if (!path.button.accept || !path.value) {
      return;
    }
    const r = await link.command<{ path: string; components: unknown[] }>('link.cache.export', {
      output: resolve(link, path.value)
    });
    void showDialog({
      title: 'link-ls: cache exported',
      body: `${r.components.length} components → ${r.path}`,
      buttons: [Dialog.okButton()]
    });
  });
}

export async function importCache(link: NotebookLink): Promise<void> {
  await guarded('import cache', async () => {
    const path = await InputDialog.getText({
      title: 'Import a cache archive (relative to the notebook)',
      text: `${stemOf(link.uri ?? '')}-cache.tar.gz`
    });
    if (!path.button.accept || !path.value) {
      return;
    }
    const r = await link.command<{ components: { name: string; state: string }[] }>('link.cache.import', {
      archive: resolve(link, path.value)
    });
    void showDialog({
      title: 'link-ls: cache imported',
      body: r.components.map(c => `${c.name}: ${c.state}`).join(', ') || 'nothing to import',
      buttons: [Dialog.okButton()]
    });
    link.schedule(50);
  });
}

interface IImported {
  insertAt: number;
  cells: Record<string, unknown>[];
  components: { name: string }[];
  parameters: { name: string; type: string; value: unknown }[];
  parametersChanged: boolean;
}

/** Import a pipeline file (link-ls or Link format) into the notebook model: one undo step. */
export async function importPipeline(link: NotebookLink): Promise<void> {
  await guarded('import', async () => {
    const path = await InputDialog.getText({
      title: 'Import a pipeline file (link-ls or Link JSON, relative to the notebook)',
      text: `${stemOf(link.uri ?? '')}.pipeline.json`
    });
    if (!path.button.accept || !path.value) {
      return;
    }
    const model = link.panel.content.model!;
    const active = link.panel.content.activeCellIndex;
    const r = await link.command<IImported>('link.lab.importPipeline', {
      notebook: link.notebookJson(),
      file: resolve(link, path.value),
      after: active >= 0 ? `#${active + 1}` : undefined
    });
    const shared = model.sharedModel;
    shared.transact(() => {
      shared.insertCells(r.insertAt, r.cells.map(c => ({ ...c, id: undefined }) as never));
      if (r.parametersChanged) {
        const canvas = { ...((model.getMetadata('canvas') as object) ?? {}), parameters: r.parameters };
        model.setMetadata('canvas', canvas);
      }
    });
    link.schedule(50);
    void showDialog({
      title: 'link-ls: imported',
      body: `${r.components.length} components: ${r.components.map(c => c.name).join(', ')}`,
      buttons: [Dialog.okButton()]
    });
  });
}
