/**
 * link-ls for JupyterLab 4: component headers, "Run up to here" in the notebook's own kernel
 * with the link-ls cache, a "Run pipeline" toolbar button and palette commands — all through
 * the link-ls server that jupyter-lsp started, over JupyterLab's own LSP connection.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ILSPDocumentConnectionManager, IWidgetLSPAdapterTracker } from '@jupyterlab/lsp';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { NotebookLink, SERIAL } from './controller';
import type { IExecutorSettings } from './protocol';
import { GraphPanel } from './graph';
import { trustCommand } from './trust';
import { diffWithRevision, exportCache, exportPipeline, history, importCache, importPipeline } from './commands';

const CORE_LSP = '@jupyterlab/lsp-extension:plugin';
const PLUGIN_ID = 'link-ls:plugin';

/** The executor settings (schema/plugin.json), kept current; serial until they are loaded. */
function executorSettings(settings: ISettingRegistry | null): () => IExecutorSettings {
  let current: IExecutorSettings = SERIAL;
  const read = (s: ISettingRegistry.ISettings): void => {
    current = { ...SERIAL, ...(s.composite as Partial<IExecutorSettings>) };
  };
  settings
    ?.load(PLUGIN_ID)
    .then(s => {
      read(s);
      s.changed.connect(read);
    })
    .catch(e => console.warn('link-ls: settings not loaded', e));
  return () => current;
}

/** Without jupyterlab-lsp, JupyterLab's own LSP client is off by default: turn it on once. */
async function enableCoreLsp(settings: ISettingRegistry | null): Promise<void> {
  if (!settings) {
    return;
  }
  try {
    const s = await settings.load(CORE_LSP);
    if (s.user.activate === undefined && s.composite.activate === 'off') {
      await s.set('activate', 'on');
      Notification.info(
        'link-ls turned on JupyterLab’s language-server support (Settings → Language Servers). ' +
          'Reload the page if the pipeline headers do not appear.',
        { autoClose: 10000 }
      );
    }
  } catch {
    // jupyterlab-lsp replaces the core settings plugin: nothing to do
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'link-ls: notebooks as pipelines (headers, run up to here, cache) in JupyterLab.',
  autoStart: true,
  requires: [INotebookTracker, ILSPDocumentConnectionManager, IWidgetLSPAdapterTracker],
  optional: [ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    manager: ILSPDocumentConnectionManager,
    adapters: IWidgetLSPAdapterTracker,
    palette: ICommandPalette | null,
    settings: ISettingRegistry | null
  ) => {
    const links = new WeakMap<NotebookPanel, NotebookLink>();
    const executor = executorSettings(settings);
    const graph = new GraphPanel();
    app.shell.add(graph, 'right', { rank: 600 });
    notebooks.widgetAdded.connect((_, panel) => {
      const link = new NotebookLink(panel, manager, adapters, executor);
      links.set(panel, link);
      if (notebooks.currentWidget === panel) {
        graph.follow(link);
      }
    });
    void enableCoreLsp(settings);
    notebooks.currentChanged.connect((_, panel) => graph.follow(panel ? links.get(panel) ?? null : null));
    const current = (): NotebookLink | undefined => {
      const p = notebooks.currentWidget;
      return p ? links.get(p) : undefined;
    };
    const activeIndex = (): number | undefined => {
      const p = notebooks.currentWidget;
      return p ? p.content.activeCellIndex + 1 : undefined;
    };
    const add = (id: string, label: string, execute: () => unknown): void => {
      app.commands.addCommand(id, {
        label,
        isEnabled: () => !!current(),
        execute: () => execute()
      });
      palette?.addItem({ command: id, category: 'link-ls' });
    };
    add('link-ls:run-up-to', 'link-ls: Run up to here', () => current()?.run('upTo', activeIndex()));
    add('link-ls:run-cell', 'link-ls: Run cell', () => current()?.run('cell', activeIndex()));
    add('link-ls:run-pipeline', 'link-ls: Run pipeline', () => current()?.run('all'));
    app.commands.addCommand('link-ls:show-graph', {
      label: 'link-ls: Show the pipeline graph',
      execute: () => app.shell.activateById(graph.id)
    });
    palette?.addItem({ command: 'link-ls:show-graph', category: 'link-ls' });
    add('link-ls:refresh', 'link-ls: Refresh headers', () => current()?.refresh());
    add('link-ls:restart-kernel', 'link-ls: Restart the pipeline kernel', async () => {
      const p = notebooks.currentWidget;
      if (p) {
        await p.sessionContext.restartKernel();
        current()?.schedule(50);
      }
    });
    const withLink = (job: (l: NotebookLink) => Promise<void>) => () => {
      const l = current();
      return l ? job(l) : undefined;
    };
    add('link-ls:diff', 'link-ls: Diff with a git revision…', withLink(l => diffWithRevision(app, l)));
    add('link-ls:history', 'link-ls: Notebook history…', withLink(l => history(app, l)));
    add('link-ls:export-pipeline', 'link-ls: Export the pipeline…', withLink(exportPipeline));
    add('link-ls:import-pipeline', 'link-ls: Import a pipeline…', withLink(importPipeline));
    add('link-ls:export-cache', 'link-ls: Export the cache…', withLink(exportCache));
    add('link-ls:import-cache', 'link-ls: Import a cache archive…', withLink(importCache));
    add('link-ls:trust-cache', 'link-ls: Trust the cache (sign its entries with your key)', withLink(trustCommand));
    for (const id of ['link-ls:run-up-to', 'link-ls:run-cell']) {
      app.contextMenu.addItem({ command: id, selector: '.jp-Notebook .jp-Cell', rank: 20 });
    }
    for (const id of ['link-ls:diff', 'link-ls:history', 'link-ls:restart-kernel']) {
      app.contextMenu.addItem({ command: id, selector: '.jp-Notebook', rank: 21 });
    }
  }
};

export default plugin;
