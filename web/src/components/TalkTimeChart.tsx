import { formatDuration } from '../lib/format.ts';

export interface TalkTimeBar {
  userId: string;
  name: string;
  talkTimeMs: number;
}

/**
 * Talk time per speaker as an accessible SVG bar chart: one labelled bar per person,
 * longest first, with the share of the total; the numbers are also in a table for
 * screen readers.
 */
export function TalkTimeChart({ entries }: { entries: readonly TalkTimeBar[] }) {
  const sorted = [...entries].sort((a, b) => b.talkTimeMs - a.talkTimeMs);
  const total = sorted.reduce((sum, e) => sum + e.talkTimeMs, 0);
  const max = Math.max(1, ...sorted.map((e) => e.talkTimeMs));
  const rowHeight = 32;
  const labelWidth = 140;
  const width = 520;
  if (sorted.length === 0) return <p className="muted">Nobody spoke long enough to measure.</p>;
  return (
    <figure className="talk-chart" data-testid="talk-time-chart">
      <svg role="img" aria-labelledby="talk-chart-title" viewBox={`0 0 ${width} ${sorted.length * rowHeight}`} width="100%" preserveAspectRatio="xMinYMin meet">
        <title id="talk-chart-title">Talk time per person</title>
        {sorted.map((e, i) => {
          const barWidth = ((width - labelWidth - 120) * e.talkTimeMs) / max;
          const y = i * rowHeight;
          return (
            <g key={e.userId} transform={`translate(0 ${y})`}>
              <text x={labelWidth - 8} y={rowHeight / 2 + 5} textAnchor="end" className="chart-label">
                {e.name}
              </text>
              <rect x={labelWidth} y={6} width={Math.max(2, barWidth)} height={rowHeight - 12} rx={4} className="chart-bar" />
              <text x={labelWidth + Math.max(2, barWidth) + 8} y={rowHeight / 2 + 5} className="chart-value">
                {formatDuration(e.talkTimeMs)} ({total > 0 ? Math.round((100 * e.talkTimeMs) / total) : 0} %)
              </text>
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>Talk time per person</caption>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Talk time</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((e) => (
            <tr key={e.userId}>
              <td>{e.name}</td>
              <td>{formatDuration(e.talkTimeMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
