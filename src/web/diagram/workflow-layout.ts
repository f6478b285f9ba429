import { Graph, layout } from '@dagrejs/dagre';

/**
 * The layout of a workflow diagram (pure, no HTML): states as boxes, actions as labelled edges, placed by dagre
 * (top to bottom). It reads the definition loosely, so a draft that does not validate yet still draws: an action
 * going to a state that does not exist draws that state as an "unknown" box, and entries without a usable key are
 * skipped. The same input always gives the same output (insertion order is the definition's order).
 */

export type ClockName = 'stopped' | 'running' | 'paused';

export interface LooseState {
  index: number;
  key: string;
  label?: string;
  start: boolean;
  terminal: boolean;
  clock?: string;
}

export interface LooseAction {
  index: number;
  key: string;
  from: string[];
  to: string;
  by: string[];
  trigger?: string;
}

export interface LooseWorkflow {
  states: LooseState[];
  actions: LooseAction[];
}

/** What to highlight: states by key, actions by their index in `actions` (from a problem's path). */
export interface DiagramMarks {
  states?: ReadonlySet<string>;
  actions?: ReadonlySet<number>;
}

/** The words drawn inside the boxes (from the page's language). */
export interface DiagramWords {
  start: string;
  terminal: string;
  unknown: string;
  clock: Record<ClockName, string>;
}

export interface DiagramNode {
  key: string;
  /** The lines of text in the box: the key, then its markers (start, clock, terminal, unknown). */
  lines: string[];
  start: boolean;
  terminal: boolean;
  clock?: string;
  /** Named by an action but not declared. */
  unknown: boolean;
  marked: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DiagramEdge {
  action: string;
  index: number;
  from: string;
  to: string;
  label: string;
  points: { x: number; y: number }[];
  labelX: number;
  labelY: number;
  labelWidth: number;
  marked: boolean;
}

export interface DiagramLayout {
  width: number;
  height: number;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

const CHAR = 7.2;
const LINE = 16;
const PAD = 12;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The states and actions of a definition that may not validate (any JSON value). */
export function readWorkflow(input: unknown): LooseWorkflow {
  const root = isObj(input) ? input : {};
  const seen = new Set<string>();
  const states: LooseState[] = [];
  (Array.isArray(root.states) ? root.states : []).forEach((s: unknown, index) => {
    const key = isObj(s) ? text(s.key) : undefined;
    if (!isObj(s) || !key || seen.has(key)) return;
    seen.add(key);
    states.push({
      index,
      key,
      label: text(s.label),
      start: s.start === true,
      terminal: s.terminal === true,
      clock: text(s.clock),
    });
  });
  const actions: LooseAction[] = [];
  (Array.isArray(root.actions) ? root.actions : []).forEach((a: unknown, index) => {
    const key = isObj(a) ? text(a.key) : undefined;
    const to = isObj(a) ? text(a.to) : undefined;
    if (!isObj(a) || !key || !to) return;
    actions.push({ index, key, from: [...new Set(strings(a.from))], to, by: strings(a.by), trigger: text(a.trigger) });
  });
  return { states, actions };
}

export const actionLabel = (a: LooseAction): string =>
  `${a.key} (${a.by.join(', ')}${a.trigger ? ` · ${a.trigger}` : ''})`;

const measure = (lines: string[]) => ({
  width: Math.max(90, Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR) + 2 * PAD),
  height: lines.length * LINE + PAD + 8,
});

/** Lays the workflow out; `marks` are drawn as problems. */
export function layoutWorkflow(input: unknown, words: DiagramWords, marks: DiagramMarks = {}): DiagramLayout {
  const wf = readWorkflow(input);
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 30, edgesep: 14, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));

  const nodes = new Map<string, DiagramNode>();
  const addNode = (n: Omit<DiagramNode, 'x' | 'y' | 'width' | 'height'>) => {
    const size = measure(n.lines);
    nodes.set(n.key, { ...n, x: 0, y: 0, ...size });
    g.setNode(n.key, { ...size });
  };
  for (const s of wf.states) {
    const lines = [s.key];
    if (s.start) lines.push(`▶ ${words.start}`);
    if (s.clock && s.clock in words.clock) lines.push(`◷ ${words.clock[s.clock as ClockName]}`);
    if (s.terminal) lines.push(`■ ${words.terminal}`);
    addNode({
      key: s.key,
      lines,
      start: s.start,
      terminal: s.terminal,
      clock: s.clock,
      unknown: false,
      marked: !!marks.states?.has(s.key),
    });
  }
  const edges: DiagramEdge[] = [];
  for (const a of wf.actions) {
    for (const end of [...a.from, a.to]) {
      if (!nodes.has(end))
        addNode({
          key: end,
          lines: [end, `? ${words.unknown}`],
          start: false,
          terminal: false,
          unknown: true,
          marked: true,
        });
    }
    const label = actionLabel(a);
    const labelWidth = Math.ceil(label.length * CHAR * 0.92) + 8;
    for (const from of a.from) {
      const name = `${a.index}:${from}`;
      g.setEdge(from, a.to, { width: labelWidth, height: LINE + 4, labelpos: 'c' }, name);
      edges.push({
        action: a.key,
        index: a.index,
        from,
        to: a.to,
        label,
        points: [],
        labelX: 0,
        labelY: 0,
        labelWidth,
        marked: !!marks.actions?.has(a.index),
      });
    }
  }

  layout(g);

  for (const n of nodes.values()) {
    const placed = g.node(n.key) as { x: number; y: number };
    n.x = Math.round(placed.x);
    n.y = Math.round(placed.y);
  }
  for (const edge of edges) {
    const placed = g.edge({ v: edge.from, w: edge.to, name: `${edge.index}:${edge.from}` }) as {
      points?: { x: number; y: number }[];
      x?: number;
      y?: number;
    };
    edge.points = (placed.points ?? []).map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) }));
    edge.labelX = Math.round(placed.x ?? 0);
    edge.labelY = Math.round(placed.y ?? 0);
  }
  const graph = g.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(graph.width ?? 0),
    height: Math.ceil(graph.height ?? 0),
    nodes: [...nodes.values()],
    edges,
  };
}

/**
 * What a problem's path (`workflow.actions[2].to`, `workflow.states[0]`) points at in the diagram: the action's
 * index, or the state's key (looked up in the definition by index).
 */
export function marksOf(paths: string[], input: unknown): { states: Set<string>; actions: Set<number> } {
  const wf = readWorkflow(input);
  const states = new Set<string>();
  const actions = new Set<number>();
  for (const path of paths) {
    const action = /^workflow\.actions\[(\d+)\]/.exec(path);
    if (action) actions.add(Number(action[1]));
    const state = /^workflow\.states\[(\d+)\]/.exec(path);
    const key = state ? wf.states.find((s) => s.index === Number(state[1]))?.key : undefined;
    if (key) states.add(key);
  }
  return { states, actions };
}
