// Applying the server's notebook cell metadata edits as one undoable WorkspaceEdit.
import * as vscode from "vscode";
import { NotebookCellEdit } from "./protocol";

/** The command the server names in code actions for notebook documents (server: edits.py). */
export const APPLY_NOTEBOOK_EDIT = "link.applyNotebookEdit";

function findNotebook(uri: string): vscode.NotebookDocument | undefined {
  return vscode.workspace.notebookDocuments.find((nb) => nb.uri.toString() === uri);
}

/**
 * Apply cell metadata edits (each the cell's whole new metadata). One WorkspaceEdit,
 * so one undo step reverts the lot; VS Code's ipynb serializer writes the metadata
 * back into the file on save.
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
    list.push(vscode.NotebookEdit.updateCellMetadata(e.cellIndex, e.metadata));
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
