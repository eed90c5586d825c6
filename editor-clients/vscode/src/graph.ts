// A webview drawing the pipeline graph from link.graph's JSON: nodes in layers, edges as lines.
import * as vscode from "vscode";
import { GraphResult } from "./protocol";

const W = 170;
const H = 34;
const GAP_X = 40;
const GAP_Y = 46;

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Each node's layer: the longest path from a node without parents (cycles cut). */
function layers(g: GraphResult): Map<string, number> {
  const parents = new Map<string, string[]>();
  for (const e of g.edges) {
    parents.set(e.target, [...(parents.get(e.target) ?? []), e.source]);
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) {
      return known;
    }
    if (visiting.has(id)) {
      return 0;
    }
    visiting.add(id);
    const d = Math.max(-1, ...(parents.get(id) ?? []).map(visit)) + 1;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  g.nodes.forEach((n) => visit(n.id));
  return depth;
}

export function graphHtml(title: string, g: GraphResult): string {
  const depth = layers(g);
  const rows = new Map<number, string[]>();
  for (const n of [...g.nodes].sort((a, b) => a.index - b.index)) {
    const d = depth.get(n.id) ?? 0;
    rows.set(d, [...(rows.get(d) ?? []), n.id]);
  }
  const pos = new Map<string, { x: number; y: number }>();
  let width = 0;
  for (const [d, ids] of rows) {
    ids.forEach((id, k) => pos.set(id, { x: 10 + k * (W + GAP_X), y: 10 + d * (H + GAP_Y) }));
    width = Math.max(width, 20 + ids.length * (W + GAP_X));
  }
  const height = 20 + rows.size * (H + GAP_Y);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const edges = g.edges
    .map((e) => {
      const a = pos.get(e.source);
      const b = pos.get(e.target);
      if (a === undefined || b === undefined) {
        return "";
      }
      const dash = e.kind === "explicit" ? "" : ' stroke-dasharray="4 3"';
      const label = escape((e.names ?? []).join(", "));
      return (
        `<line x1="${a.x + W / 2}" y1="${a.y + H}" x2="${b.x + W / 2}" y2="${b.y}"` +
        ` marker-end="url(#arrow)"${dash}><title>${label}</title></line>`
      );
    })
    .join("\n");
  const nodes = [...pos]
    .map(([id, p]) => {
      const n = byId.get(id);
      const name = escape(n?.name ?? id);
      return (
        `<g class="node"><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="6"/>` +
        `<text x="${p.x + W / 2}" y="${p.y + H / 2 + 4}">${name} (#${n?.index ?? "?"})</text>` +
        `<title>${escape(id)}</title></g>`
      );
    })
    .join("\n");
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<style>
body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); }
rect { fill: var(--vscode-editor-background); stroke: var(--vscode-focusBorder); }
text { fill: var(--vscode-foreground); text-anchor: middle; font-size: 12px; }
line { stroke: var(--vscode-descriptionForeground); stroke-width: 1.5; }
</style></head><body>
<h3>${escape(title)}: ${g.nodes.length} ${g.pipeline ? "components" : "cells"}, ${g.edges.length} edges</h3>
<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
<path d="M0,0 L10,5 L0,10 z" fill="gray"/></marker></defs>
${edges}
${nodes}
</svg></body></html>`;
}

export function showHtml(viewType: string, title: string, html: string): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Beside, {
    enableScripts: false,
  });
  panel.webview.html = html;
  return panel;
}
