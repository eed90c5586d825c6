/**
 * The pipeline graph side panel: the current notebook's DAG as the server reports it
 * (`link.lab.view`: nodes, declared and inferred edges, each component's state), drawn in
 * layers; clicking a node selects its cell. The pipeline parameters are editable here: a change
 * goes into the notebook model's `canvas.parameters` (undoable with the notebook, saved by the
 * user), never into the file.
 */
import { Widget } from '@lumino/widgets';

import type { NotebookLink } from './controller';
import type { IView } from './protocol';

const SVG = 'http://www.w3.org/2000/svg';
const W = 130;
const H = 26;
const GAP_X = 24;
const GAP_Y = 34;

export class GraphPanel extends Widget {
  private link: NotebookLink | null = null;
  private readonly onChanged = (_: NotebookLink, view: IView | null) => this.draw(view);

  constructor() {
    super();
    this.id = 'link-ls-graph';
    this.addClass('link-ls-graph');
    this.title.caption = 'link-ls: pipeline graph';
    this.title.label = 'Pipeline';
  }

  follow(link: NotebookLink | null): void {
    if (this.link === link) {
      return;
    }
    this.link?.changed.disconnect(this.onChanged);
    this.link = link;
    link?.changed.connect(this.onChanged);
    this.draw(link?.view ?? null);
  }

  private draw(view: IView | null): void {
    const root = this.node;
    root.textContent = '';
    const head = document.createElement('div');
    head.className = 'link-ls-graph-head';
    root.appendChild(head);
    if (!this.link || !view) {
      head.textContent = this.link?.error ?? 'Open a notebook to see its pipeline.';
      return;
    }
    const ex = view.edges.filter(e => e.kind === 'explicit').length;
    const inf = view.edges.length - ex;
    head.textContent = `${view.nodes.length} nodes · ${ex} declared edges · ${inf} inferred`;
    if (view.cycle) {
      const c = document.createElement('div');
      c.className = 'link-ls-error';
      c.textContent = view.cycle;
      root.appendChild(c);
    }
    root.appendChild(this.svg(view));
    root.appendChild(this.parameters(view));
  }

  private svg(view: IView): SVGSVGElement {
    const depth = new Map<string, number>();
    const parents = new Map<string, string[]>();
    for (const e of view.edges) {
      parents.set(e.target, [...(parents.get(e.target) ?? []), e.source]);
    }
    const depthOf = (id: string, seen: Set<string>): number => {
      if (depth.has(id)) {
        return depth.get(id)!;
      }
      if (seen.has(id)) {
        return 0; // a cycle: the server names it above
      }
      seen.add(id);
      const d = Math.max(-1, ...(parents.get(id) ?? []).map(p => depthOf(p, seen))) + 1;
      depth.set(id, d);
      return d;
    };
    const layers: string[][] = [];
    for (const n of view.nodes) {
      const d = depthOf(n.id, new Set());
      (layers[d] = layers[d] ?? []).push(n.id);
    }
    const pos = new Map<string, { x: number; y: number }>();
    layers.forEach((ids, d) =>
      ids.forEach((id, i) => pos.set(id, { x: 8 + i * (W + GAP_X), y: 8 + d * (H + GAP_Y) }))
    );
    const width = 16 + Math.max(1, ...layers.map(l => l.length)) * (W + GAP_X);
    const height = 16 + layers.length * (H + GAP_Y);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    for (const e of view.edges) {
      const a = pos.get(e.source);
      const b = pos.get(e.target);
      if (!a || !b) {
        continue;
      }
      const path = document.createElementNS(SVG, 'path');
      const [x1, y1, x2, y2] = [a.x + W / 2, a.y + H, b.x + W / 2, b.y];
      path.setAttribute('d', `M${x1},${y1} C${x1},${y1 + 20} ${x2},${y2 - 20} ${x2},${y2}`);
      path.setAttribute('class', `link-ls-edge link-ls-edge-${e.kind}`);
      path.dataset.kind = e.kind;
      const t = document.createElementNS(SVG, 'title');
      t.textContent = `${e.kind}: ${e.names.join(', ')}`;
      path.appendChild(t);
      svg.appendChild(path);
    }
    const states = new Map(view.cells.map(c => [c.id, c.state]));
    for (const n of view.nodes) {
      const p = pos.get(n.id)!;
      const g = document.createElementNS(SVG, 'g');
      g.setAttribute('class', `link-ls-node link-ls-state-${states.get(n.id) ?? 'never-run'}`);
      g.setAttribute('transform', `translate(${p.x},${p.y})`);
      g.dataset.cell = String(n.index);
      const r = document.createElementNS(SVG, 'rect');
      r.setAttribute('width', String(W));
      r.setAttribute('height', String(H));
      r.setAttribute('rx', '5');
      const t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', String(W / 2));
      t.setAttribute('y', String(H / 2 + 4));
      t.setAttribute('text-anchor', 'middle');
      t.textContent = n.name.length > 18 ? n.name.slice(0, 17) + '…' : n.name;
      const tip = document.createElementNS(SVG, 'title');
      tip.textContent = `${n.name} (#${n.index}): ${states.get(n.id) ?? ''}`;
      g.append(r, t, tip);
      g.addEventListener('click', () => this.link?.select(n.index));
      svg.appendChild(g);
    }
    return svg;
  }

  private parameters(view: IView): HTMLElement {
    const box = document.createElement('div');
    box.className = 'link-ls-params';
    if (!view.parameters.length) {
      return box;
    }
    const h = document.createElement('div');
    h.className = 'link-ls-graph-head';
    h.textContent = 'Parameters';
    box.appendChild(h);
    view.parameters.forEach((p, i) => {
      const row = document.createElement('label');
      row.textContent = `${p.name} (${p.type}) `;
      const input = document.createElement('input');
      input.className = 'link-ls-param jp-mod-styled';
      input.dataset.name = p.name;
      input.value = typeof p.value === 'string' ? p.value : JSON.stringify(p.value);
      input.onchange = () => this.link?.setParameter(i, input.value);
      row.appendChild(input);
      box.appendChild(row);
    });
    return box;
  }
}
