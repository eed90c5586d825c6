// Starting `link-ls serve` with vscode-languageclient, and calling its workspace commands.
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  Middleware,
  ResponseError,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { missingServerMessage, serverLaunch } from "./settings";

/** A server command that failed: `message` is the server's one-line answer. */
export class ServerError extends Error {}

export class Server implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<boolean> | undefined;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly middleware: Middleware,
  ) {}

  /** Start the server; false (after telling the user why) when it cannot be started. */
  start(): Promise<boolean> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<boolean> {
    const launch = serverLaunch();
    const missing = missingServerMessage(launch);
    if (missing !== undefined) {
      this.output.error(missing);
      void vscode.window.showErrorMessage(missing, "Open Settings").then((pick) => {
        if (pick === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", launch.setting);
        }
      });
      return false;
    }
    this.output.info(`starting ${launch.command} ${launch.args.join(" ")}`);
    const serverOptions: ServerOptions = {
      command: launch.command,
      args: launch.args,
      transport: TransportKind.stdio,
    };
    const clientOptions: LanguageClientOptions = {
      // notebook cells through LSP notebook sync (the server asks for jupyter-notebook);
      // python files for jupytext percent notebooks
      documentSelector: [
        { notebook: "jupyter-notebook", language: "python" },
        { scheme: "file", language: "python" },
      ],
      outputChannel: this.output,
      middleware: this.middleware,
    };
    const client = new LanguageClient("link-ls", "link-ls", serverOptions, clientOptions);
    try {
      await client.start();
    } catch (e) {
      const msg = `link-ls: the language server did not start (${launch.command}): ${errorText(e)}`;
      this.output.error(msg);
      void vscode.window.showErrorMessage(msg);
      return false;
    }
    this.client = client;
    return true;
  }

  async restart(): Promise<boolean> {
    const old = this.client;
    this.client = undefined;
    this.starting = undefined;
    if (old !== undefined) {
      await old.stop();
    }
    return this.start();
  }

  /** The uri string the server knows a document by. */
  uri(uri: vscode.Uri): string {
    return this.client !== undefined ? this.client.code2ProtocolConverter.asUri(uri) : uri.toString();
  }

  /**
   * `workspace/executeCommand` straight to the server, also for commands it does not
   * list (the server's "unknown command" error then reaches the user as is).
   */
  async call<T = unknown>(command: string, arg: Record<string, unknown>): Promise<T> {
    if (!(await this.start()) || this.client === undefined) {
      throw new ServerError("the link-ls language server is not running");
    }
    try {
      return (await this.client.sendRequest(ExecuteCommandRequest.type, {
        command,
        arguments: [arg],
      })) as T;
    } catch (e) {
      throw new ServerError(errorText(e));
    }
  }

  dispose(): void {
    void this.client?.stop();
  }
}

export function errorText(e: unknown): string {
  if (e instanceof ResponseError || e instanceof Error) {
    return e.message;
  }
  return String(e);
}
