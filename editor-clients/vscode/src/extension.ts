// Entry point: start the link-ls server, the pipeline kernel and the commands.
import * as vscode from "vscode";
import { Middleware } from "vscode-languageclient/node";
import { Commands, offerTrust } from "./commands";
import { PipelineKernel, RunArgs } from "./kernel";
import { APPLY_NOTEBOOK_EDIT, applyNotebookEdits } from "./notebookEdits";
import { RunResult, isCellEdit, isObject, notebookEditsOf, savedLine } from "./protocol";
import { Server, errorText } from "./server";
import { SECTION, runOptions } from "./settings";
import { StateItems } from "./state";

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("link-ls", { log: true });
  // the middleware needs the kernel, the kernel needs the server that holds the middleware
  const ref: { kernel?: PipelineKernel } = {};

  const middleware: Middleware = {
    // Server commands run from code lenses and code actions pass through here: link.run
    // on a notebook becomes cell executions of the pipeline kernel (outputs in the cells);
    // notebook edits in any command's answer are applied.
    executeCommand: async (command, args, next) => {
      const arg: unknown = args[0];
      if (command === "link.run" && ref.kernel && isObject(arg) && typeof arg.uri === "string") {
        const handled = await ref.kernel.runFromCommand(arg as RunArgs);
        if (handled !== undefined) {
          return handled.result;
        }
      }
      // the executor settings (link-ls.run.*) go with every run; the call's own keys win
      const runArg = command === "link.run" && isObject(arg) ? { ...runOptions(), ...arg } : undefined;
      const res: unknown = await next(command, runArg ? [runArg] : args);
      if (command === "link.run" && isObject(res) && typeof res.outcome === "string") {
        // a text notebook (jupytext .py): no cells to show outputs in, so a summary line
        const msg = typeof res.message === "string" && res.message ? `: ${res.message}` : "";
        const saved = savedLine((res as unknown as RunResult).saved);
        const tail = saved ? ` (${saved})` : "";
        void vscode.window.showInformationMessage(`link-ls: run ${res.outcome}${msg}${tail}`);
        const uri = isObject(arg) && typeof arg.uri === "string" ? arg.uri : "";
        if (server && uri && runArg) {
          const s = server;
          void offerTrust(s, uri, res, () => s.call("link.run", runArg));
        }
      }
      const edits = notebookEditsOf(res);
      if (edits.length > 0) {
        await applyNotebookEdits(edits, command);
      }
      return res;
    },
  };

  server = new Server(output, middleware);
  const kernel = new PipelineKernel(server, context.extension.id);
  ref.kernel = kernel;
  context.subscriptions.push(
    output,
    server,
    kernel,
    vscode.commands.registerCommand(APPLY_NOTEBOOK_EDIT, async (...edits: unknown[]) => {
      try {
        await applyNotebookEdits(edits.filter(isCellEdit), "link-ls edit");
      } catch (e) {
        void vscode.window.showErrorMessage(`link-ls: ${errorText(e)}`);
      }
    }),
    vscode.commands.registerCommand("link-ls.restartServer", () => server?.restart()),
    ...new Commands(server).register(),
    ...new StateItems(server).register(),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.server`)) {
        void server?.restart();
      }
    }),
  );
  await server.start();
}

export function deactivate(): void {
  server?.dispose();
  server = undefined;
}
