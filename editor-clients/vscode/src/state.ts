// Each component's run state (never run / up to date / stale / cached / untrusted) in its cell's status
// bar, as the server's `link.state` says — the rule every link-ls client shows.
import * as vscode from "vscode";
import { Server } from "./server";

const TEXT: Record<string, string> = {
  "never-run": "never run",
  "up-to-date": "up to date",
  stale: "stale",
  cached: "cached",
  untrusted: "untrusted",
};

interface StateResult {
  components: { cell: number; name: string; state: string; note: string }[];
}

export class StateItems implements vscode.NotebookCellStatusBarItemProvider {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCellStatusBarItems = this.emitter.event;
  private readonly answers = new Map<string, Promise<Map<number, StateResult["components"][0]>>>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly server: Server) {}

  register(): vscode.Disposable[] {
    return [
      vscode.notebooks.registerNotebookCellStatusBarItemProvider("jupyter-notebook", this),
      // edits and finished runs (new outputs) change states: ask again, once per burst
      vscode.workspace.onDidChangeNotebookDocument(() => this.refresh()),
      vscode.workspace.onDidSaveNotebookDocument(() => this.refresh()),
      this.emitter,
    ];
  }

  refresh(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.answers.clear();
      this.emitter.fire();
    }, 400);
  }

  async provideCellStatusBarItems(cell: vscode.NotebookCell): Promise<vscode.NotebookCellStatusBarItem[]> {
    const nb = cell.notebook;
    const key = `${nb.uri.toString()}@${nb.version}`;
    let answer = this.answers.get(key);
    if (answer === undefined) {
      answer = this.fetch(nb);
      this.answers.set(key, answer);
    }
    const c = (await answer).get(cell.index + 1);
    if (c === undefined) {
      return [];
    }
    const item = new vscode.NotebookCellStatusBarItem(
      `$(circle-filled) ${TEXT[c.state] ?? c.state}`,
      vscode.NotebookCellStatusBarAlignment.Left,
    );
    item.tooltip = `link-ls: ${c.name} is ${TEXT[c.state] ?? c.state}${c.note ? ` (${c.note})` : ""}`;
    return [item];
  }

  private async fetch(nb: vscode.NotebookDocument): Promise<Map<number, StateResult["components"][0]>> {
    try {
      const r = await this.server.call<StateResult>("link.state", { uri: this.server.uri(nb.uri) });
      return new Map(r.components.map((c) => [c.cell, c]));
    } catch {
      return new Map(); // not a pipeline notebook, or the server is not running
    }
  }
}
