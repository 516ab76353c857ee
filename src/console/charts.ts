/**
 * Charts drawn on the server as inline SVG: the console needs no script, no CDN and no build step,
 * and a chart is plain markup a test can read. Every label goes through `escapeHtml`.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A colour-blind-safe palette (Okabe–Ito), cycled; the last slot is grey for "others". */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
export const OTHERS_COLOUR = '#999999';

export interface Series {
  name: string;
  colour: string;
  /** One value per x label, in the chart's order. */
  values: number[];
}

/** A rounded maximum for the y axis, so ticks read 0, 25, 50, … rather than 0, 23.7, 47.4. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value)!;
  return step * magnitude;
}

/**
 * Stacked daily columns: one column per x label, one segment per series (the sum is the day's
 * total). Each segment carries a <title> (the browser's tooltip) and data attributes for tests.
 */
export function stackedColumns(
  xLabels: readonly string[],
  series: readonly Series[],
  options: { title: string; format: (n: number) => string; width?: number; height?: number },
): string {
  const width = options.width ?? 880;
  const height = options.height ?? 260;
  const left = 64;
  const bottom = 28;
  const plotWidth = width - left - 8;
  const plotHeight = height - bottom - 10;
  const totals = xLabels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const slot = plotWidth / Math.max(1, xLabels.length);
  const barWidth = Math.max(1, slot * 0.8);
  const y = (value: number) => 10 + plotHeight - (value / top) * plotHeight;
  const parts: string[] = [];
  for (let tick = 0; tick <= 4; tick++) {
    const value = (top * tick) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - 8}" y1="${y(value)}" y2="${y(value)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${y(value) + 4}" text-anchor="end" font-size="11">${escapeHtml(options.format(value))}</text>`,
    );
  }
  xLabels.forEach((label, i) => {
    const x = left + i * slot + (slot - barWidth) / 2;
    let base = 0;
    for (const s of series) {
      const value = s.values[i] ?? 0;
      if (value > 0) {
        parts.push(
          `<rect class="segment" data-series="${escapeHtml(s.name)}" data-x="${escapeHtml(label)}" data-value="${value}" x="${x.toFixed(1)}" y="${y(base + value).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(y(base) - y(base + value)).toFixed(1)}" fill="${s.colour}"><title>${escapeHtml(`${s.name} · ${label}: ${options.format(value)}`)}</title></rect>`,
        );
      }
      base += value;
    }
    // A date label every few columns, so 28 days stay readable.
    if (i % Math.max(1, Math.ceil(xLabels.length / 10)) === 0)
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle" font-size="11">${escapeHtml(label.slice(5))}</text>`,
      );
  });
  return `<svg role="img" aria-label="${escapeHtml(options.title)}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${parts.join('')}</svg>`;
}

/** Horizontal bars, largest first, each with its label and value. */
export function horizontalBars(
  items: ReadonlyArray<{ label: string; value: number; colour: string }>,
  options: { title: string; format: (n: number) => string; width?: number },
): string {
  const width = options.width ?? 880;
  const row = 22;
  const labelWidth = Math.round(width * 0.4);
  const valueWidth = 70;
  const top = Math.max(...items.map((i) => i.value), 0) || 1;
  const barSpace = width - labelWidth - valueWidth;
  const parts = items.map((item, i) => {
    const y = i * row;
    const length = Math.max(1, (item.value / top) * barSpace);
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" font-size="12">${escapeHtml(item.label)}</text>`,
      `<rect class="bar" data-label="${escapeHtml(item.label)}" data-value="${item.value}" x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="${row - 6}" fill="${item.colour}"><title>${escapeHtml(`${item.label}: ${options.format(item.value)}`)}</title></rect>`,
      `<text x="${labelWidth + length + 6}" y="${y + 15}" font-size="12">${escapeHtml(options.format(item.value))}</text>`,
    ].join('');
  });
  const height = Math.max(row, items.length * row);
  return `<svg role="img" aria-label="${escapeHtml(options.title)}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${parts.join('')}</svg>`;
}
