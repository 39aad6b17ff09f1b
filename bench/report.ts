/** The benchmark figures, the summary table and the SVG chart of ours vs naive. */
import { median } from './hosts';

export interface Figure {
  /** Short id, also used as the chart label when `chartLabel` is not set. */
  measure: string;
  unit: string;
  digits?: number;
  /** One value per run (or per window), ours and the naive approach, measured in the same run. */
  ours: number[];
  naive?: number[];
  better: 'lower' | 'higher';
  target?: { label: string; met: boolean };
  /** Shown in the chart (default: when there is a naive figure). */
  chart?: boolean;
  chartLabel?: string;
}

const fmtNum = (n: number, digits: number) => {
  if (!Number.isFinite(n)) return '–';
  const fixed = n.toFixed(digits);
  // Thousands separators for big figures, so 1234567 reads as 1,234,567.
  const [int, frac] = fixed.split('.');
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac ? `.${frac}` : '');
};

export function describe(values: number[], unit: string, digits = 1): string {
  if (values.length === 0) return '–';
  const m = median(values);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const u = unit ? (unit.startsWith('×') || unit === '%' ? unit : ` ${unit}`) : '';
  if (values.length === 1 || lo === hi) return `${fmtNum(m, digits)}${u}` + (values.length > 1 ? ` (all ${values.length})` : '');
  return `${fmtNum(m, digits)}${u} (${fmtNum(lo, digits)}–${fmtNum(hi, digits)})`;
}

/** How many times better ours is than naive (medians): >1 is better, whichever direction the measure goes. */
export function gain(f: Figure): number {
  if (!f.naive?.length) return Number.NaN;
  const o = median(f.ours);
  const n = median(f.naive);
  return f.better === 'lower' ? n / o : o / n;
}

export function formatGain(g: number): string {
  if (!Number.isFinite(g)) return '–';
  if (g >= 100) return `${fmtNum(g, 0)}×`;
  if (g >= 10) return `${g.toFixed(0)}×`;
  // Far below 1× (naive far better), two significant digits rather than "0.00×".
  if (g < 0.1) return `${g.toPrecision(2)}×`;
  return `${g.toFixed(2)}×`;
}

export function tableRows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    f.measure,
    describe(f.ours, f.unit, f.digits),
    f.naive?.length ? describe(f.naive, f.unit, f.digits) : '–',
    formatGain(gain(f)),
    f.target?.label ?? '',
    f.target ? (f.target.met ? 'yes' : 'NO') : '',
  ]);
}

/** A median with its unit, short: "19/s", "1.5 ms", "1,302 ms". */
function short(n: number, unit: string): string {
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2;
  const u = unit === '×' ? '× answer' : unit === '%' || unit.startsWith('/') ? unit : ` ${unit}`;
  return `${fmtNum(n, digits)}${u}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart of how many times better ours is than naive, on a log scale around 1×.
 * Neutral colours and grey text with no background, so it reads on light and dark READMEs alike.
 */
export function chartSvg(figures: Figure[], subtitle: string, footnotes: string[] = []): string {
  const bars = figures
    .filter((f) => (f.chart ?? !!f.naive?.length) && Number.isFinite(gain(f)))
    .map((f) => ({
      label: f.chartLabel ?? f.measure,
      g: gain(f),
      detail: `${short(median(f.ours), f.unit)} vs ${short(median(f.naive!), f.unit)}`,
    }));
  const width = 900;
  const labelW = 300;
  const rowH = 30;
  const top = 62;
  const plotL = labelW + 10;
  const plotR = width - 260;
  const minExp = Math.min(-1, Math.floor(Math.log10(Math.min(...bars.map((b) => b.g), 1))));
  const maxExp = Math.max(1, Math.ceil(Math.log10(Math.max(...bars.map((b) => b.g), 1))));
  const x = (g: number) => plotL + ((Math.log10(g) - minExp) / (maxExp - minExp)) * (plotR - plotL);
  const height = top + bars.length * rowH + 46 + footnotes.length * 16;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="13">`,
  );
  out.push(`<title>Model Chat benchmarks: how many times better than the naive approach</title>`);
  out.push(
    `<text x="10" y="22" font-size="16" font-weight="600" fill="#888">How many times better than the naive approach (median, log scale)</text>`,
  );
  out.push(`<text x="10" y="42" font-size="12" fill="#888">${esc(subtitle)}</text>`);
  for (let e = minExp; e <= maxExp; e++) {
    const gx = x(10 ** e);
    out.push(
      `<line x1="${gx.toFixed(1)}" y1="${top - 6}" x2="${gx.toFixed(1)}" y2="${top + bars.length * rowH}" stroke="#888" stroke-opacity="${e === 0 ? 0.9 : 0.3}" stroke-width="${e === 0 ? 1.5 : 1}"${e === 0 ? '' : ' stroke-dasharray="3 3"'}/>`,
    );
    out.push(
      `<text x="${gx.toFixed(1)}" y="${top + bars.length * rowH + 16}" text-anchor="middle" font-size="11" fill="#888">${e < 0 ? `${10 ** e}×` : `${fmtNum(10 ** e, 0)}×`}</text>`,
    );
  }
  out.push(
    `<text x="${plotL}" y="${top + bars.length * rowH + 34}" font-size="11" fill="#888">left of 1×: naive is better (orange); right: ours is better (blue)</text>`,
  );
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const x1 = x(1);
    const x2 = x(b.g);
    const better = b.g >= 1;
    const bx = Math.min(x1, x2);
    const bw = Math.max(2, Math.abs(x2 - x1));
    out.push(`<text x="${labelW}" y="${y + rowH / 2 + 4}" text-anchor="end" fill="#888">${esc(b.label)}</text>`);
    out.push(
      `<rect x="${bx.toFixed(1)}" y="${y + 5}" width="${bw.toFixed(1)}" height="${rowH - 10}" rx="2" fill="${better ? '#4C78A8' : '#F58518'}"/>`,
    );
    // The value goes right of the bar, or right of the 1× line for a bar going left.
    const tx = (better ? bx + bw : x1) + 6;
    out.push(
      `<text x="${tx.toFixed(1)}" y="${y + rowH / 2 + 4}" fill="#888"><tspan font-weight="600">${esc(formatGain(b.g))}</tspan><tspan font-size="11" dx="8">${esc(b.detail)}</tspan></text>`,
    );
  });
  footnotes.forEach((note, i) =>
    out.push(`<text x="10" y="${top + bars.length * rowH + 56 + i * 16}" font-size="11" fill="#888">${esc(note)}</text>`),
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
