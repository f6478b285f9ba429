import { e } from './components';
import type { Texts } from './i18n';

/** One bar of a chart: its label, its value (null: nothing to measure) and the value as the page writes it. */
export interface ChartBar {
  label: string;
  value: number | null;
  text: string;
}

export interface BarChartProps {
  /** Unique on the page: the title and description ids derive from it. */
  id: string;
  title: string;
  /** What the chart shows, for screen readers (the table below it has the values). */
  desc: string;
  bars: ChartBar[];
  /** The value of a full bar (rates: 1). */
  max: number;
  /** Written where a bar has no value. */
  noData: string;
}

const WIDTH = 320;
const ROW = 46;
const LABEL_Y = 16;
const BAR_Y = 22;
const BAR_H = 16;
const VALUE_ROOM = 72;
/** GOV.UK blue on white: 5.2:1, above the 3:1 a graphic needs; text in GOV.UK black (19:1). */
const BAR_FILL = '#1d70b8';
const TEXT_FILL = '#0b0c0c';
const TRACK_STROKE = '#505a5f';

/**
 * A horizontal bar chart drawn as SVG on the server: one row per bar, its label above it and its value written at
 * its end, so nothing is told by colour alone. The SVG is one image to assistive technology (role="img", named by
 * its <title>, described by its <desc>); the table the page puts below it carries the same values.
 */
export function BarChart(p: BarChartProps): JSX.Element {
  const track = WIDTH - VALUE_ROOM;
  const height = Math.max(1, p.bars.length) * ROW + 4;
  return (
    <svg
      class="portal-chart"
      id={p.id}
      role="img"
      aria-labelledby={`${p.id}-title ${p.id}-desc`}
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={String(WIDTH)}
      height={String(height)}
      font-family="arial, sans-serif"
      font-size="15"
    >
      <title id={`${p.id}-title`}>{e(p.title)}</title>
      <desc id={`${p.id}-desc`}>{e(p.desc)}</desc>
      {p.bars.map((b, i) => {
        const top = i * ROW;
        const length = b.value === null || p.max <= 0 ? 0 : Math.max(0, Math.min(1, b.value / p.max)) * track;
        return (
          <g data-bar={b.label} data-value={b.value === null ? '' : String(b.value)}>
            <text x="0" y={String(top + LABEL_Y)} fill={TEXT_FILL}>
              {e(b.label)}
            </text>
            <line
              x1="0.5"
              x2="0.5"
              y1={String(top + BAR_Y - 2)}
              y2={String(top + BAR_Y + BAR_H + 2)}
              stroke={TRACK_STROKE}
            />
            {b.value === null ? (
              ''
            ) : (
              <rect x="1" y={String(top + BAR_Y)} width={length.toFixed(1)} height={String(BAR_H)} fill={BAR_FILL} />
            )}
            <text
              x={(length + 6).toFixed(1)}
              y={String(top + BAR_Y + BAR_H - 3)}
              fill={TEXT_FILL}
              font-weight={b.value === null ? undefined : 'bold'}
              font-style={b.value === null ? 'italic' : undefined}
            >
              {e(b.value === null ? p.noData : b.text)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** A rate in [0, 1] as a percentage in the page's language (66,7 % / 66.7%); null: the dash of "no data". */
export function percent(tx: Texts, rate: number | null): string {
  if (rate === null) return '–';
  return new Intl.NumberFormat(tx.lang === 'vi' ? 'vi-VN' : 'en-GB', {
    style: 'percent',
    maximumFractionDigits: 1,
  }).format(rate);
}
