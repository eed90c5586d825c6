// The "link-ls pipeline kernel": a NotebookController whose execution is the server's link.run.
import * as vscode from "vscode";
import { messageOutput, toCellOutput } from "./outputs";
import {
  PlanCell,
  RunPlanJson,
  RunResult,
  RunStep,
  isObject,
  runReport,
  savedLine,
} from "./protocol";
import { Server, ServerError, errorText } from "./server";
import { offerTrust } from "./commands";
import { cellRunMode, runOptions } from "./settings";

const NOTEBOOK_TYPE = "jupyter-notebook";

/** Arguments of link.run / link.plan (docs/commands.md): the notebook, a cell, a mode. */
export type RunArgs = Record<string, unknown> & { uri: string };

export class PipelineKernel implements vscode.Disposable {
  readonly controller: vscode.NotebookController;
  private readonly selected = new Set<string>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly server: Server,
    private readonly extensionId: string,
  ) {
    const c = vscode.notebooks.createNotebookController(
      "link-ls-pipeline",
      NOTEBOOK_TYPE,
      "link-ls pipeline kernel",
    );
    c.supportedLanguages = ["python"];
    c.supportsExecutionOrder = true;
    c.description = "runs cells along the pipeline through link-ls (with its cache)";
    c.executeHandler = (cells, notebook) => this.executeCells(cells, notebook);
    c.interruptHandler = (notebook) => this.interrupt(notebook);
    this.controller = c;
    this.disposables.push(
      c,
      c.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
        if (selected) {
          this.selected.add(notebook.uri.toString());
        } else {
          this.selected.delete(notebook.uri.toString());
        }
      }),
      vscode.workspace.onDidOpenNotebookDocument((nb) => this.prefer(nb)),
    );
    vscode.workspace.notebookDocuments.forEach((nb) => this.prefer(nb));
  }

  private prefer(nb: vscode.NotebookDocument): void {
    if (nb.notebookType === NOTEBOOK_TYPE) {
      this.controller.updateNotebookAffinity(nb, vscode.NotebookControllerAffinity.Preferred);
    }
  }

  /** The notebook a uri names: the notebook itself or one of its cells. */
  findNotebook(uri: string): vscode.NotebookDocument | undefined {
    return vscode.workspace.notebookDocuments.find(
      (nb) =>
        this.server.uri(nb.uri) === uri ||
        nb.uri.toString() === uri ||
        nb.getCells().some((c) => this.server.uri(c.document.uri) === uri),
    );
  }

  /** VS Code's run buttons: "Run All" runs the whole pipeline, one cell per the setting. */
  private async executeCells(
    cells: vscode.NotebookCell[],
    notebook: vscode.NotebookDocument,
  ): Promise<void> {
    const uri = this.server.uri(notebook.uri);
    const code = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    if (cells.length > 1 && cells.length === code.length) {
      await this.run(notebook, { uri, mode: "all" });
      return;
    }
    const mode = cellRunMode();
    for (const cell of cells) {
      await this.run(notebook, { uri, cell: `#${cell.index + 1}`, mode });
    }
  }

  private async interrupt(notebook: vscode.NotebookDocument): Promise<void> {
    try {
      const res = await this.server.call("link.interrupt", { uri: this.server.uri(notebook.uri) });
      if (isObject(res) && res.interrupted === false && typeof res.message === "string") {
        void vscode.window.showWarningMessage(`link-ls: ${res.message}`);
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`link-ls: interrupt failed: ${errorText(e)}`);
    }
  }

  /** Make this controller the notebook's kernel, so its cells can show executions. */
  private async select(notebook: vscode.NotebookDocument): Promise<boolean> {
    if (this.selected.has(notebook.uri.toString())) {
      return true;
    }
    const editor = vscode.window.visibleNotebookEditors.find((e) => e.notebook === notebook);
    if (editor === undefined) {
      return false;
    }
    await vscode.commands.executeCommand("notebook.selectKernel", {
      notebookEditor: editor,
      id: this.controller.id,
      extension: this.extensionId,
    });
    return this.selected.has(notebook.uri.toString());
  }

  /**
   * A code lens / command asking for link.run on an open notebook: run as cell executions.
   * Undefined when it is not for an open notebook (the caller sends it on as is).
   */
  async runFromCommand(args: RunArgs): Promise<{ result: RunResult | undefined } | undefined> {
    const notebook = this.findNotebook(args.uri);
    if (notebook === undefined) {
      return undefined;
    }
    if (!(await this.select(notebook))) {
      void vscode.window.showWarningMessage(
        'link-ls: select the "link-ls pipeline kernel" for this notebook to see run outputs in it',
      );
      return undefined;
    }
    return { result: await this.run(notebook, { ...args, uri: this.server.uri(notebook.uri) }) };
  }

  /** Runs of one notebook go one after another (a cell has one execution at a time). */
  run(notebook: vscode.NotebookDocument, args: RunArgs): Promise<RunResult | undefined> {
    const key = notebook.uri.toString();
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.runNow(notebook, args));
    this.queues.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  private async runNow(
    notebook: vscode.NotebookDocument,
    args: RunArgs,
  ): Promise<RunResult | undefined> {
    let plan: RunPlanJson;
    try {
      plan = (await this.server.call<{ cells: PlanCell[] } & RunPlanJson>("link.plan", args));
    } catch (e) {
      void vscode.window.showErrorMessage(`link-ls: ${errorText(e)}`);
      return undefined;
    }
    const executions = new Map<number, vscode.NotebookCellExecution>();
    for (const pc of plan.cells) {
      const i = pc.index - 1;
      if (i >= 0 && i < notebook.cellCount && !executions.has(i)) {
        const ex = this.controller.createNotebookCellExecution(notebook.cellAt(i));
        ex.start(Date.now());
        executions.set(i, ex);
      }
    }
    const last = plan.cells.length > 0 ? plan.cells[plan.cells.length - 1].index - 1 : -1;
    let result: RunResult | undefined;
    try {
      // the executor settings (link-ls.run.*) go with every run; the call's own keys win
      result = await this.server.call<RunResult>("link.run", { ...runOptions(), ...args });
    } catch (e) {
      const name = e instanceof ServerError ? "link-ls" : "Error";
      await this.fail(executions, last, name, errorText(e));
      void vscode.window.showErrorMessage(`link-ls: run failed: ${errorText(e)}`);
      return undefined;
    }
    const report = runReport(result);
    if (report === undefined) {
      const why = result.message ?? "the server returned no run report";
      await this.fail(executions, last, "link-ls", why);
      return result;
    }
    for (const step of report.steps) {
      const ex = executions.get(step.index - 1);
      if (ex !== undefined) {
        executions.delete(step.index - 1);
        await finish(ex, step);
      }
    }
    for (const ex of executions.values()) {
      ex.end(undefined, Date.now());
    }
    if (result.saved && !result.saved.written) {
      // the outputs are in the cells but not in the file: say so once (issue 18)
      void vscode.window.showWarningMessage(`link-ls: ${savedLine(result.saved)}`);
    }
    void offerTrust(this.server, args.uri, result, () => this.run(notebook, args));
    return result;
  }

  private async fail(
    executions: Map<number, vscode.NotebookCellExecution>,
    target: number,
    name: string,
    message: string,
  ): Promise<void> {
    for (const [i, ex] of executions) {
      if (i === target) {
        await ex.replaceOutput([messageOutput(name, message)]);
        ex.end(false, Date.now());
      } else {
        ex.end(undefined, Date.now());
      }
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => void d.dispose());
  }
}

async function finish(ex: vscode.NotebookCellExecution, step: RunStep): Promise<void> {
  if (step.status === "executed" || step.status === "restored" || step.status === "error") {
    if (step.executionCount !== null) {
      ex.executionOrder = step.executionCount;
    }
    await ex.replaceOutput(step.outputs.map(toCellOutput));
    ex.end(step.status !== "error", Date.now());
  } else {
    ex.end(undefined, Date.now());
  }
}
