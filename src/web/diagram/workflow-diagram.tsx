import { e } from '../components';
import type { Texts } from '../i18n';
import {
  actionLabel,
  type DiagramLayout,
  type DiagramMarks,
  type DiagramNode,
  type DiagramWords,
  layoutWorkflow,
  readWorkflow,
} from './workflow-layout';

export interface WorkflowDiagramProps {
  tx: Texts;
  /** The workflow definition (any JSON: a draft that does not validate still draws). */
  workflow: unknown;
  /** States and actions to draw as problems (red, dashed, "⚠"). */
  marks?: DiagramMarks;
  /** Prefix of the ids inside the SVG (title, description, arrow head), unique on the page. */
  id?: string;
}

export const diagramWords = (tx: Texts): DiagramWords => ({
  start: tx.t('admin.proc.diagram.start'),
  terminal: tx.t('admin.proc.diagram.terminal'),
  unknown: tx.t('admin.proc.diagram.unknown'),
  clock: {
    running: tx.t('admin.proc.diagram.clock.running'),
    paused: tx.t('admin.proc.diagram.clock.paused'),
    stopped: tx.t('admin.proc.diagram.clock.stopped'),
  },
});

const INK = '#0b0c0c';
const PROBLEM = '#d4351c';

function StateBox({ n }: { n: DiagramNode }): JSX.Element {
  const x = n.x - n.width / 2;
  const y = n.y - n.height / 2;
  const stroke = n.marked ? PROBLEM : INK;
  const lines = n.marked ? [`⚠ ${n.lines[0]}`, ...n.lines.slice(1)] : n.lines;
  return (
    <g class="portal-diagram__state" data-state={n.key}>
      <rect
        x={x}
        y={y}
        width={n.width}
        height={n.height}
        rx="6"
        fill={n.unknown ? '#fdecea' : n.start ? '#e8f1f8' : '#ffffff'}
        stroke={stroke}
        stroke-width={n.start || n.marked ? '3' : '1.5'}
        stroke-dasharray={n.marked ? '6 3' : undefined}
      />
      {n.terminal ? (
        <rect x={x + 4} y={y + 4} width={n.width - 8} height={n.height - 8} rx="4" fill="none" stroke={stroke} />
      ) : (
        ''
      )}
      <text x={n.x} y={y + 20} text-anchor="middle" font-size="13" fill={INK}>
        {lines.map((l, i) => (
          <tspan x={n.x} dy={i === 0 ? '0' : '16'} font-weight={i === 0 ? 'bold' : undefined}>
            {e(l)}
          </tspan>
        ))}
      </text>
    </g>
  );
}

/** The drawing alone, from a layout (exported for tests and for a read-only page). */
export function DiagramSvg({
  layout,
  title,
  desc,
  id,
}: {
  layout: DiagramLayout;
  title: string;
  desc: string;
  id: string;
}): JSX.Element {
  const w = Math.max(layout.width, 100);
  const h = Math.max(layout.height, 40);
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      class="portal-diagram__svg"
      viewBox={`0 0 ${w} ${h}`}
      width={String(w)}
      height={String(h)}
      font-family="Arial, sans-serif"
    >
      <title id={`${id}-title`}>{e(title)}</title>
      <desc id={`${id}-desc`}>{e(desc)}</desc>
      <defs>
        <marker id={`${id}-arrow`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0 0L10 5L0 10z" fill={INK} />
        </marker>
      </defs>
      {layout.edges.map((edge) => (
        <g class="portal-diagram__action" data-action={edge.action}>
          <polyline
            points={edge.points.map((p) => `${p.x},${p.y}`).join(' ')}
            fill="none"
            stroke={edge.marked ? PROBLEM : INK}
            stroke-width={edge.marked ? '2.5' : '1.2'}
            stroke-dasharray={edge.marked ? '6 3' : undefined}
            marker-end={`url(#${id}-arrow)`}
          />
          <rect
            x={edge.labelX - edge.labelWidth / 2}
            y={edge.labelY - 9}
            width={edge.labelWidth}
            height="18"
            fill="#ffffff"
            stroke={edge.marked ? PROBLEM : 'none'}
          />
          <text
            x={edge.labelX}
            y={edge.labelY + 4}
            text-anchor="middle"
            font-size="11.5"
            fill={edge.marked ? PROBLEM : INK}
          >
            {e(edge.marked ? `⚠ ${edge.label}` : edge.label)}
          </text>
        </g>
      ))}
      {layout.nodes.map((n) => (
        <StateBox n={n} />
      ))}
    </svg>
  );
}

/**
 * The workflow drawn from its definition, server-side: an SVG (role="img", with a title and a description) in a
 * box that scrolls sideways on a narrow screen, then the same information as text (states with their markers,
 * transitions with their roles), which is what assistive technologies and text browsers read.
 */
export function WorkflowDiagram(p: WorkflowDiagramProps): JSX.Element {
  const { tx } = p;
  const id = p.id ?? 'workflow-diagram';
  const words = diagramWords(tx);
  const layout = layoutWorkflow(p.workflow, words, p.marks);
  const wf = readWorkflow(p.workflow);
  const byKey = new Map(layout.nodes.map((n) => [n.key, n]));
  const markers = (key: string) => {
    const n = byKey.get(key);
    return n && n.lines.length > 1 ? ` (${n.lines.slice(1).join(', ')})` : '';
  };
  const warn = (marked: boolean | undefined) => (marked ? '⚠ ' : '');
  return (
    <div class="portal-diagram">
      <div class="portal-diagram__scroll">
        <DiagramSvg
          layout={layout}
          id={id}
          title={tx.t('admin.proc.diagram.title')}
          desc={tx.t('admin.proc.diagram.desc', { states: wf.states.length, actions: wf.actions.length })}
        />
      </div>
      <h3 class="govuk-heading-s">{e(tx.t('admin.proc.diagram.states'))}</h3>
      <ul class="govuk-list govuk-list--bullet">
        {layout.nodes.map((n) => (
          <li>{e(`${warn(n.marked)}${n.key}${markers(n.key)}`)}</li>
        ))}
      </ul>
      <h3 class="govuk-heading-s">{e(tx.t('admin.proc.diagram.transitions'))}</h3>
      <ul class="govuk-list govuk-list--bullet">
        {wf.actions.map((a) => (
          <li>
            {e(`${warn(p.marks?.actions?.has(a.index))}${actionLabel(a)}: ${a.from.join(', ') || '–'} → ${a.to}`)}
          </li>
        ))}
      </ul>
    </div>
  );
}
