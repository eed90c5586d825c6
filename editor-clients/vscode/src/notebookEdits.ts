// Applying the server's notebook cell metadata edits as one undoable WorkspaceEdit.
import * as vscode from "vscode";
import { NotebookCellEdit, isObject } from "./protocol";

/** The command the server names in code actions for notebook documents (server: edits.py). */
export const APPLY_NOTEBOOK_EDIT = "link.applyNotebookEdit";

function findNotebook(uri: string): vscode.NotebookDocument | undefined {
  return vscode.workspace.notebookDocuments.find((nb) => nb.uri.toString() === uri);
}

/**
 * Apply cell edits: whole new metadata, new cell text, or a deletion. One WorkspaceEdit,
 * so one undo step reverts the lot; VS Code's ipynb serializer writes the metadata
 * back into the file on save. The server lists deletions last, highest index first.
 */
export async function applyNotebookEdits(
  edits: readonly NotebookCellEdit[],
  label: string,
): Promise<boolean> {
  if (edits.length === 0) {
    return true;
  }
  const wedit = new vscode.WorkspaceEdit();
  const byNotebook = new Map<string, vscode.NotebookEdit[]>();
  for (const e of edits) {
    const nb = findNotebook(e.notebookUri);
    if (nb === undefined) {
      throw new Error(`${e.notebookUri} is not an open notebook`);
    }
    if (e.cellIndex < 0 || e.cellIndex >= nb.cellCount) {
      throw new Error(`${nb.uri.fsPath} has no cell ${e.cellIndex + 1}`);
    }
    const list = byNotebook.get(e.notebookUri) ?? [];
    if (e.delete === true) {
      list.push(vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(e.cellIndex, e.cellIndex + 1)));
    } else {
      if (e.metadata !== undefined) {
        list.push(vscode.NotebookEdit.updateCellMetadata(e.cellIndex, e.metadata));
      }
      if (e.source !== undefined) {
        const doc = nb.cellAt(e.cellIndex).document;
        const all = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
        wedit.replace(doc.uri, all, e.source);
      }
    }
    byNotebook.set(e.notebookUri, list);
  }
  for (const [uri, list] of byNotebook) {
    wedit.set(vscode.Uri.parse(uri), list);
  }
  const ok = await vscode.workspace.applyEdit(wedit, { isRefactoring: false });
  if (!ok) {
    void vscode.window.showErrorMessage(`link-ls: could not apply "${label}" to the notebook`);
  }
  return ok;
}

/** `link.import`'s answer for an open notebook: cells to insert, maybe new parameters. */
export interface ImportEdit {
  insertAt: number;
  cells: Record<string, unknown>[];
  parameters: unknown[];
  parametersChanged: boolean;
}

export function isImportEdit(res: unknown): res is ImportEdit {
  return (
    isObject(res) &&
    typeof res.insertAt === "number" &&
    Array.isArray(res.cells) &&
    res.cells.every(isObject) &&
    res.written !== true
  );
}

function source(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join("") : typeof value === "string" ? value : "";
}

/** An nbformat cell as VS Code cell data, metadata in the ipynb serializer's shape. */
function cellData(cell: Record<string, unknown>): vscode.NotebookCellData {
  const code = cell.cell_type === "code";
  const data = new vscode.NotebookCellData(
    code ? vscode.NotebookCellKind.Code : vscode.NotebookCellKind.Markup,
    source(cell.source),
    code ? "python" : "markdown",
  );
  const metadata: Record<string, unknown> = { metadata: cell.metadata ?? {} };
  if (typeof cell.id === "string") {
    metadata.id = cell.id;
  }
  data.metadata = metadata;
  return data;
}

/** Insert imported cells (and set the parameters) as one undoable edit. */
export async function applyImport(nb: vscode.NotebookDocument, imp: ImportEdit): Promise<boolean> {
  const edits = [vscode.NotebookEdit.insertCells(imp.insertAt, imp.cells.map(cellData))];
  if (imp.parametersChanged) {
    const meta = { ...nb.metadata };
    const inner = isObject(meta.metadata) ? { ...meta.metadata } : {};
    const canvas = isObject(inner.canvas) ? { ...inner.canvas } : {};
    canvas.parameters = imp.parameters;
    inner.canvas = canvas;
    meta.metadata = inner;
    edits.push(vscode.NotebookEdit.updateNotebookMetadata(meta));
  }
  const wedit = new vscode.WorkspaceEdit();
  wedit.set(nb.uri, edits);
  return vscode.workspace.applyEdit(wedit);
}
