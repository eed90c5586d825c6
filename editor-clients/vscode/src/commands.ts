// Palette and notebook-toolbar commands: each asks what it needs, calls one server command
// and shows the answer. No pipeline logic here: the server does the work.
import * as path from "path";
import * as vscode from "vscode";
import { graphHtml, showHtml } from "./graph";
import { applyImport, applyNotebookEdits, isImportEdit } from "./notebookEdits";
import {
  GraphResult,
  isObject,
  notebookEditsOf,
  refusedLine,
  runCache,
  trustPrompt,
} from "./protocol";
import { Server, errorText } from "./server";

interface Target {
  uri: string;
  file: vscode.Uri;
  label: string;
}

export class Commands {
  constructor(private readonly server: Server) {}

  register(): vscode.Disposable[] {
    const table: [string, () => Promise<void>][] = [
      ["link-ls.showGraph", () => this.showGraph()],
      ["link-ls.diffRevision", () => this.diffRevision()],
      ["link-ls.history", () => this.history()],
      ["link-ls.merge", () => this.merge()],
      ["link-ls.resolve", () => this.resolve()],
      ["link-ls.exportPipeline", () => this.exportPipeline()],
      ["link-ls.importPipeline", () => this.importPipeline()],
      ["link-ls.cacheExport", () => this.cacheExport()],
      ["link-ls.cacheImport", () => this.cacheImport()],
      ["link-ls.cacheTrust", () => this.cacheTrust()],
      ["link-ls.restartKernel", () => this.simple("link.restartKernel", "kernel restarted")],
    ];
    return table.map(([id, fn]) =>
      vscode.commands.registerCommand(id, async () => {
        try {
          await fn();
        } catch (e) {
          void vscode.window.showErrorMessage(`link-ls: ${errorText(e)}`);
        }
      }),
    );
  }

  /** The notebook the command is about: the active notebook, else the active text file. */
  private target(): Target {
    const nb = vscode.window.activeNotebookEditor?.notebook;
    const file = nb?.uri ?? vscode.window.activeTextEditor?.document.uri;
    if (file === undefined) {
      throw new Error("open a notebook first");
    }
    return { uri: this.server.uri(file), file, label: path.basename(file.fsPath) };
  }

  /** Call a server command and apply the notebook edits it answers with. */
  private async call(command: string, arg: Record<string, unknown>): Promise<unknown> {
    const res = await this.server.call(command, arg);
    const edits = notebookEditsOf(res);
    if (edits.length > 0) {
      await applyNotebookEdits(edits, command);
    }
    return res;
  }

  private async simple(command: string, done: string): Promise<void> {
    const t = this.target();
    const res = await this.call(command, { uri: t.uri });
    const msg = isObject(res) && typeof res.message === "string" ? res.message : done;
    void vscode.window.showInformationMessage(`link-ls: ${msg}`);
  }

  private async showGraph(): Promise<void> {
    const t = this.target();
    const g = (await this.call("link.graph", { uri: t.uri })) as GraphResult;
    showHtml("link-ls.graph", `Pipeline: ${t.label}`, graphHtml(t.label, g));
  }

  private async diffRevision(rev?: string, rev2?: string): Promise<void> {
    const t = this.target();
    const from =
      rev ??
      (await vscode.window.showInputBox({
        title: `Diff ${t.label} with a git revision`,
        prompt: "A git revision (commit, branch, tag, HEAD~1); compared with the notebook as it is now",
        value: "HEAD",
      }));
    if (!from) {
      return;
    }
    const arg: Record<string, unknown> = { uri: t.uri, base: from, format: "html" };
    if (rev2 !== undefined) {
      arg.target = rev2;
    }
    const res = await this.call("link.diff", arg);
    await showDiff(`${t.label} ${from}..${rev2 ?? "now"}`, res);
  }

  private async history(): Promise<void> {
    const t = this.target();
    const res = await this.call("link.history", { uri: t.uri, limit: 100 });
    const commits = commitsOf(res);
    if (commits.length === 0) {
      void vscode.window.showInformationMessage(`link-ls: no commits touch ${t.label}`);
      return;
    }
    const pick = await vscode.window.showQuickPick(
      commits.map((c) => ({
        label: c.summary,
        description: c.rev.slice(0, 10),
        detail: [c.author, c.date, c.stat].filter(Boolean).join(" · "),
        rev: c.rev,
        parent: c.parent,
      })),
      { title: `History of ${t.label}`, matchOnDescription: true, matchOnDetail: true },
    );
    if (pick === undefined) {
      return;
    }
    if (pick.parent === "") {
      void vscode.window.showInformationMessage(`link-ls: ${pick.rev.slice(0, 10)} added ${t.label}`);
      return;
    }
    await this.diffRevision(pick.parent, pick.rev);
  }

  private async merge(): Promise<void> {
    const t = this.target();
    const ask = async (what: string): Promise<vscode.Uri | undefined> =>
      (
        await vscode.window.showOpenDialog({
          title: `Merge with ${t.label} (ours): choose ${what}`,
          filters: { Notebooks: ["ipynb"] },
          canSelectMany: false,
        })
      )?.[0];
    const base = await ask("the common ancestor (base)");
    const theirs = base && (await ask("their version"));
    const output =
      theirs &&
      (await vscode.window.showSaveDialog({
        title: "Write the merged notebook to",
        defaultUri: sibling(t.file, ".merged.ipynb"),
        filters: { Notebooks: ["ipynb"] },
      }));
    if (base === undefined || theirs === undefined || output === undefined) {
      return;
    }
    const res = await this.call("link.merge", {
      base: base.fsPath,
      ours: t.file.fsPath,
      theirs: theirs.fsPath,
      output: output.fsPath,
    });
    const conflicts =
      isObject(res) && Array.isArray(res.conflicts) ? res.conflicts.length : undefined;
    await vscode.commands.executeCommand("vscode.openWith", output, "jupyter-notebook");
    report(
      conflicts ? `merged with ${conflicts} conflict(s) to resolve` : "merged cleanly",
      undefined,
    );
  }

  private async resolve(): Promise<void> {
    const t = this.target();
    report("resolve", await this.call("link.resolve", { uri: t.uri }));
  }

  private async exportPipeline(): Promise<void> {
    const t = this.target();
    const format = await vscode.window.showQuickPick(
      [
        { label: "link-ls", description: "link-ls's own pipeline JSON" },
        { label: "link", description: "MakinaRocks Link's pipeline file" },
      ],
      { title: "Export format" },
    );
    if (format === undefined) {
      return;
    }
    const out = await vscode.window.showSaveDialog({
      title: `Export the pipeline of ${t.label}`,
      defaultUri: sibling(t.file, ".pipeline.json"),
      filters: { "Pipeline JSON": ["json"] },
    });
    if (out === undefined) {
      return;
    }
    const res = await this.call("link.export", {
      uri: t.uri,
      format: format.label,
      output: out.fsPath,
    });
    report(`exported to ${out.fsPath}`, res);
  }

  private async importPipeline(): Promise<void> {
    const t = this.target();
    const file = (
      await vscode.window.showOpenDialog({
        title: `Import a pipeline into ${t.label}`,
        filters: { "Pipeline JSON": ["json"] },
      })
    )?.[0];
    if (file === undefined) {
      return;
    }
    const res = await this.call("link.import", { uri: t.uri, file: file.fsPath });
    const nb = vscode.window.activeNotebookEditor?.notebook;
    if (nb !== undefined && isImportEdit(res) && (await applyImport(nb, res))) {
      report(`imported ${res.cells.length} cell(s)`, undefined);
    } else {
      report("import", res);
    }
  }

  private async cacheExport(): Promise<void> {
    const t = this.target();
    const out = await vscode.window.showSaveDialog({
      title: `Export the cache of ${t.label}`,
      defaultUri: sibling(t.file, ".cache.tar.gz"),
      filters: { "Cache archive": ["gz"] },
    });
    if (out !== undefined) {
      const res = await this.call("link.cache.export", { uri: t.uri, output: out.fsPath });
      report(`cache exported to ${out.fsPath}`, res);
    }
  }

  private async cacheImport(): Promise<void> {
    const t = this.target();
    const file = (
      await vscode.window.showOpenDialog({
        title: `Import a cache archive for ${t.label}`,
        filters: { "Cache archive": ["gz"] },
      })
    )?.[0];
    if (file !== undefined) {
      const res = await this.call("link.cache.import", { uri: t.uri, archive: file.fsPath });
      report("cache import", res);
    }
  }

  private async cacheTrust(): Promise<void> {
    const t = this.target();
    await trustCache(this.server, t.uri);
  }
}

/** link.cache.trust for the notebook at `uri`, and one line saying how many entries. */
export async function trustCache(server: Server, uri: string): Promise<void> {
  const res = await server.call("link.cache.trust", { uri });
  const n = isObject(res) && typeof res.trusted === "number" ? res.trusted : 0;
  const refused = isObject(res) && typeof res.refused === "number" ? res.refused : 0;
  const tail = refused > 0 ? `, ${refused} refused (altered)` : "";
  void vscode.window.showInformationMessage(
    `link-ls: ${n} cache ${n === 1 ? "entry" : "entries"} trusted${tail}`,
  );
}

/**
 * After a run: warn about refused cache entries, and ask before trusting untrusted ones
 * (naming where they came from); "Trust and re-run" trusts them and calls `rerun`, which
 * then restores them. Not awaited by runs: the prompt stays while the user reads outputs.
 */
export async function offerTrust(
  server: Server,
  uri: string,
  result: unknown,
  rerun: () => Thenable<unknown>,
): Promise<void> {
  const cache = runCache(result);
  if (cache === undefined) {
    return;
  }
  const refused = refusedLine(cache);
  if (refused !== undefined) {
    void vscode.window.showWarningMessage(refused);
  }
  const prompt = trustPrompt(cache);
  if (prompt === undefined) {
    return;
  }
  const choice = await vscode.window.showWarningMessage(prompt, "Trust and re-run", "Not now");
  if (choice !== "Trust and re-run") {
    return;
  }
  try {
    await trustCache(server, uri);
    await rerun();
  } catch (e) {
    void vscode.window.showErrorMessage(`link-ls: ${errorText(e)}`);
  }
}

function sibling(file: vscode.Uri, suffix: string): vscode.Uri {
  const base = path.basename(file.fsPath).replace(/\.[^.]+$/, "");
  return vscode.Uri.file(path.join(path.dirname(file.fsPath), base + suffix));
}

/** One information line from a command result: its message or summary, else `what`. */
function report(what: string, res: unknown): void {
  const msg =
    isObject(res) && typeof res.message === "string"
      ? res.message
      : isObject(res) && typeof res.summary === "string"
        ? res.summary
        : what;
  void vscode.window.showInformationMessage(`link-ls: ${msg}`);
}

interface Commit {
  rev: string;
  parent: string;
  summary: string;
  author: string;
  date: string;
  stat: string;
}

function str(o: Record<string, unknown>, ...keys: string[]): string {
  for (const k of keys) {
    if (typeof o[k] === "string" || typeof o[k] === "number") {
      return String(o[k]);
    }
  }
  return "";
}

function commitsOf(res: unknown): Commit[] {
  const list = Array.isArray(res)
    ? res
    : isObject(res)
      ? (res.commits ?? res.entries ?? res.history)
      : undefined;
  if (!Array.isArray(list)) {
    return [];
  }
  return list.filter(isObject).map((c) => ({
    rev: str(c, "commit", "rev", "sha"),
    parent: Array.isArray(c.parents) && typeof c.parents[0] === "string" ? c.parents[0] : "",
    summary: str(c, "message", "subject"),
    author: str(c, "author"),
    date: str(c, "date"),
    stat: str(c, "summary"),
  }));
}

/** Show a link.diff answer: its HTML in a webview, else its text in an editor. */
async function showDiff(title: string, res: unknown): Promise<void> {
  if (isObject(res) && typeof res.html === "string") {
    showHtml("link-ls.diff", `Diff ${title}`, res.html);
    return;
  }
  const text =
    isObject(res) && typeof res.text === "string" ? res.text : JSON.stringify(res, null, 2);
  const doc = await vscode.workspace.openTextDocument({ content: text, language: "diff" });
  await vscode.window.showTextDocument(doc, vscode.ViewColumn.Beside);
}
