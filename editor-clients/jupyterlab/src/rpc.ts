/**
 * The one place that reaches past `@jupyterlab/lsp`'s public API: its connection has no
 * generic request (jupyterlab-lsp issues #676, #907), so we use the protected vscode-jsonrpc
 * `connection` of `LspWsConnection` for `workspace/executeCommand` and for the server's
 * `link/lab/execute` requests and `link/run/event` notifications. The browser test covers it.
 */
import type { ILSPConnection } from '@jupyterlab/lsp';

export interface IRpc {
  sendRequest<R>(method: string, params: unknown): Promise<R>;
  onRequest(method: string, handler: (params: any) => unknown): unknown;
  onNotification(method: string, handler: (params: any) => void): unknown;
}

export function rpc(conn: ILSPConnection): IRpc | null {
  const c = (conn as unknown as { connection?: IRpc }).connection;
  return c && typeof c.sendRequest === 'function' ? c : null;
}

/** `workspace/executeCommand` with link-ls's single JSON-object argument. */
export async function execute<R>(conn: ILSPConnection, command: string, arg: object): Promise<R> {
  const r = rpc(conn);
  if (!r) {
    throw new Error('the link-ls connection is not ready');
  }
  return r.sendRequest<R>('workspace/executeCommand', { command, arguments: [arg] });
}
