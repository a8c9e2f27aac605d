/**
 * The distribution of the copies' pre-POG % change as an inline SVG histogram: one bar per
 * band of points, drops in red, no change in green, rises in blue. Inline, so the page
 * stays one file that works offline.
 */
import { pogDelta, type AnalysisRow } from './analysis-columns.js';

/** A band of target-minus-source points: `from < delta <= to`, or exactly zero. */
interface Band {
  label: string;
  test: (delta: number) => boolean;
  fill: string;
}

const DROP = '#e06666';
const SAME = '#6aa84f';
const RISE = '#6fa8dc';

export const DELTA_BANDS: readonly Band[] = [
  { label: '< -20', test: (d) => d < -20, fill: DROP },
  { label: '-20..-10', test: (d) => d >= -20 && d < -10, fill: DROP },
  { label: '-10..-5', test: (d) => d >= -10 && d < -5, fill: DROP },
  { label: '-5..-1', test: (d) => d >= -5 && d < -1, fill: DROP },
  { label: '-1..0', test: (d) => d >= -1 && d < 0, fill: DROP },
  { label: '0', test: (d) => d === 0, fill: SAME },
  { label: '0..1', test: (d) => d > 0 && d <= 1, fill: RISE },
  { label: '1..5', test: (d) => d > 1 && d <= 5, fill: RISE },
  { label: '5..10', test: (d) => d > 5 && d <= 10, fill: RISE },
  { label: '10..20', test: (d) => d > 10 && d <= 20, fill: RISE },
  { label: '> 20', test: (d) => d > 20, fill: RISE },
];

/** Sections per band, for the compared sections (both sides have a pre-POG %). */
export function countDeltaBands(rows: readonly AnalysisRow[]): number[] {
  const counts = DELTA_BANDS.map(() => 0);
  for (const row of rows) {
    const delta = pogDelta(row.source_pre_pog_percentage, row.target_pre_pog_percentage);
    if (delta === null) continue;
    const at = DELTA_BANDS.findIndex((b) => b.test(delta));
    counts[at] = (counts[at] as number) + 1;
  }
  return counts;
}

export function deltaChartSvg(rows: readonly AnalysisRow[]): string {
  const counts = countDeltaBands(rows);
  const barWidth = 52;
  const plotHeight = 140;
  // Room for the title above the tallest bar's count.
  const top = 36;
  const width = DELTA_BANDS.length * barWidth + 20;
  const height = top + plotHeight + 44;
  const max = Math.max(1, ...counts);
  const bars = DELTA_BANDS.map((band, i) => {
    const n = counts[i] as number;
    const h = n === 0 ? 0 : Math.max(2, Math.round((n / max) * plotHeight));
    const x = 10 + i * barWidth;
    const y = top + plotHeight - h;
    return (
      `<g data-band="${i}"><title>${band.label} points: ${n} section(s)</title>` +
      `<rect x="${x + 4}" y="${y}" width="${barWidth - 8}" height="${h}" fill="${band.fill}" stroke="#555"/>` +
      `<text x="${x + barWidth / 2}" y="${y - 4}" text-anchor="middle">${n}</text>` +
      `<text x="${x + barWidth / 2}" y="${top + plotHeight + 16}" text-anchor="middle">${band.label}</text></g>`
    );
  });
  return `<svg id="delta-chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Compared sections by change of pre-POG %" font-size="11" font-family="system-ui, sans-serif">
<rect width="${width}" height="${height}" fill="#fafafa"/>
<text x="10" y="14" font-weight="600">Sections by pre-POG % change (target minus source, points)</text>
<line x1="10" x2="${width - 10}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#888"/>
${bars.join('\n')}
<text x="10" y="${height - 6}" fill="#555">${counts.reduce((a, b) => a + b, 0)} compared section(s); red: the copy scored lower</text>
</svg>`;
}
