// nbformat outputs from a run report turned into VS Code cell outputs.
import * as vscode from "vscode";
import { NbOutput } from "./protocol";

function text(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map(String).join("");
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

const BINARY = /^image\/(png|jpeg|gif|webp|bmp)$/;

function item(mime: string, value: unknown): vscode.NotebookCellOutputItem {
  if (BINARY.test(mime)) {
    return new vscode.NotebookCellOutputItem(Buffer.from(text(value), "base64"), mime);
  }
  if (mime === "application/json" || (mime.endsWith("+json") && typeof value !== "string")) {
    return vscode.NotebookCellOutputItem.json(value, mime);
  }
  return vscode.NotebookCellOutputItem.text(text(value), mime);
}

/** One VS Code output per nbformat output; metadata keeps what the ipynb serializer saves. */
export function toCellOutput(out: NbOutput): vscode.NotebookCellOutput {
  switch (out.output_type) {
    case "stream": {
      const body = text(out.text ?? "");
      const it =
        out.name === "stderr"
          ? vscode.NotebookCellOutputItem.stderr(body)
          : vscode.NotebookCellOutputItem.stdout(body);
      return new vscode.NotebookCellOutput([it], { outputType: "stream" });
    }
    case "error": {
      const err = {
        name: out.ename ?? "Error",
        message: out.evalue ?? "",
        stack: (out.traceback ?? []).join("\n"),
      };
      return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(err)], {
        outputType: "error",
        originalError: out,
      });
    }
    default: {
      const data = out.data ?? {};
      const items = Object.entries(data).map(([mime, value]) => item(mime, value));
      const meta: Record<string, unknown> = {
        outputType: out.output_type,
        metadata: out.metadata ?? {},
      };
      if (out.output_type === "execute_result") {
        meta.executionCount = out.execution_count ?? null;
      }
      return new vscode.NotebookCellOutput(items, meta);
    }
  }
}

/** A plain message as an error output (a failed request, execution not available). */
export function messageOutput(name: string, message: string): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([
    vscode.NotebookCellOutputItem.error({ name, message, stack: `${name}: ${message}` }),
  ]);
}
