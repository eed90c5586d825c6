// Reading the extension's settings and finding the server executable they name.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";

export const SECTION = "link-ls";

/** How to start the server: a program and its arguments (already ending in `serve ...`). */
export interface ServerLaunch {
  readonly command: string;
  readonly args: string[];
  /** the setting the command came from, for error messages */
  readonly setting: string;
}

export type CellRunMode = "cell" | "upTo";

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

export function cellRunMode(): CellRunMode {
  return config().get<string>("kernel.cellRunMode") === "upTo" ? "upTo" : "cell";
}

/** The executor options of `link.run` (docs/commands.md) from `link-ls.run.*`; unset ones left out. */
export function runOptions(): Record<string, unknown> {
  const c = config();
  const out: Record<string, unknown> = {};
  const executor = c.get<string>("run.executor");
  if (executor === "parallel" || executor === "dask") {
    out.executor = executor;
  }
  const workers = c.get<number | null>("run.workers");
  if (typeof workers === "number" && workers > 0) {
    out.workers = workers;
  }
  for (const key of ["scheduler", "store"]) {
    const v = (c.get<string>(`run.${key}`) ?? "").trim();
    if (v) {
      out[key] = v;
    }
  }
  return out;
}

export function serverLaunch(): ServerLaunch {
  const c = config();
  const extra = c.get<string[]>("server.extraArgs") ?? [];
  const python = (c.get<string>("server.python") ?? "").trim();
  if (python) {
    return {
      command: python,
      args: ["-m", "link_ls", "serve", ...extra],
      setting: `${SECTION}.server.python`,
    };
  }
  const exe = (c.get<string>("server.path") ?? "").trim() || "link-ls";
  return { command: exe, args: ["serve", ...extra], setting: `${SECTION}.server.path` };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The executable's full path, or undefined when it is not there (a bare name: searched on PATH). */
export function findExecutable(command: string): string | undefined {
  const expanded = command.startsWith("~/")
    ? path.join(process.env.HOME ?? "", command.slice(2))
    : command;
  if (expanded.includes("/") || expanded.includes("\\")) {
    return isExecutable(expanded) ? expanded : undefined;
  }
  const exts = process.platform === "win32" ? ["", ".exe", ".cmd", ".bat"] : [""];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    for (const ext of exts) {
      const candidate = path.join(dir, expanded + ext);
      if (dir && isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** A user-facing sentence saying why the server cannot start, or undefined when it can. */
export function missingServerMessage(launch: ServerLaunch): string | undefined {
  if (findExecutable(launch.command) !== undefined) {
    return undefined;
  }
  const what =
    launch.setting.endsWith(".python")
      ? `the Python interpreter "${launch.command}"`
      : `the link-ls language server ("${launch.command}")`;
  return (
    `link-ls: ${what} was not found, so notebook pipelines are not available. ` +
    `Install it (pip install link-ls) or set "${launch.setting}" to its full path.`
  );
}
