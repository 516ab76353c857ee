import { escapeHtml, horizontalBars, OTHERS_COLOUR, PALETTE, stackedColumns, type Series } from './charts';
import type { ConsoleData } from './consoleData';

export interface PageLinks {
  /** The Temporal UI's base URL and namespace, for rollout links. */
  temporalUi: string;
  namespace: string;
  /** A trace viewer URL with `{trace_id}` in it (Phoenix, Jaeger, …); without it trace ids are shown as text. */
  traceUrl?: string;
}

/** Tenants drawn one by one; the rest are summed as "others" so the chart stays readable. */
const TOP_TENANTS = PALETTE.length - 1;
const TOP_FEATURES = 15;

const usd = (n: number) => (n === 0 ? '$0' : `$${n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(4)}`);
const pct = (n: number) => `${(100 * n).toFixed(2)}%`;
const ms = (n: number | null) => (n === null ? '–' : n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`);
const when = (d: Date | string) => new Date(d).toISOString().replace('T', ' ').slice(0, 19);
const e = escapeHtml;

function tenantChart(data: ConsoleData): string {
  const groups = data.tenantCost.groups;
  if (!groups.length) return '<p class="empty">No spend in this period.</p>';
  const valuesOf = (series: Array<{ day: string; costUsd: number }>) => {
    const byDay = new Map(series.map((p) => [p.day, p.costUsd]));
    return data.dayLabels.map((day) => byDay.get(day) ?? 0);
  };
  const series: Series[] = groups.slice(0, TOP_TENANTS).map((g, i) => ({
    name: g.key.tenant || 'none',
    colour: PALETTE[i]!,
    values: valuesOf(g.series),
  }));
  const rest = groups.slice(TOP_TENANTS);
  if (rest.length)
    series.push({
      name: `${rest.length} other tenants`,
      colour: OTHERS_COLOUR,
      values: data.dayLabels.map((_, i) => rest.reduce((sum, g) => sum + valuesOf(g.series)[i]!, 0)),
    });
  const legend = series
    .map(
      (s) =>
        `<li><span class="swatch" style="background:${s.colour}"></span>${e(s.name)} <b>${usd(s.values.reduce((a, b) => a + b, 0))}</b></li>`,
    )
    .join('');
  return `${stackedColumns(data.dayLabels, series, { title: 'Cost per tenant per day', format: usd })}<ul class="legend">${legend}</ul>`;
}

function featureChart(data: ConsoleData): string {
  const groups = data.featureCost.groups.filter((g) => g.costUsd > 0).slice(0, TOP_FEATURES);
  if (!groups.length) return '<p class="empty">No spend in this period.</p>';
  const tenants = [...new Set(data.tenantCost.groups.slice(0, TOP_TENANTS).map((g) => g.key.tenant))];
  return horizontalBars(
    groups.map((g) => {
      const i = tenants.indexOf(g.key.tenant);
      return {
        label: `${g.key.tenant || 'none'} · ${g.key.feature || '(no feature)'}`,
        value: g.costUsd,
        colour: i >= 0 ? PALETTE[i]! : OTHERS_COLOUR,
      };
    }),
    // Drawn at about the half-width panel's size, so its text reads like the page's.
    { title: 'Cost per tenant and feature', format: usd, width: 560 },
  );
}

const tableOf = (headers: string[], rows: string[][], empty: string) =>
  rows.length
    ? `<table><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`
    : `<p class="empty">${e(empty)}</p>`;

function alertsTable(data: ConsoleData): string {
  return tableOf(
    ['severity', 'state', 'alert', 'what fired', 'since', 'playbook'],
    data.alerts.map((a) => [
      `<span class="badge ${a.severity}">${e(a.severity)}</span>`,
      e(a.state),
      `<code>${e(a.key)}</code>`,
      e(a.summary),
      e(when(a.firstFiredAt)),
      e(a.playbook ?? '–'),
    ]),
    'No open alerts.',
  );
}

function incidentsTable(data: ConsoleData, links: PageLinks): string {
  return tableOf(
    ['#', 'status', 'incident', 'why', 'since', 'opened by'],
    data.incidents.map((i) => [
      String(i.id),
      `<span class="badge ${i.status === 'escalated' || i.status === 'awaiting-approval' ? 'page' : 'ticket'}">${e(i.status)}</span>`,
      `<a href="${e(workflowLink(links, i.workflowId))}">${e(i.workflowId)}</a>`,
      e(i.reason),
      e(when(i.openedAt)),
      e(i.openedBy),
    ]),
    'No open incidents.',
  );
}

const workflowLink = (links: PageLinks, id: string) =>
  `${links.temporalUi}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(id)}`;

function rolloutsTable(data: ConsoleData, links: PageLinks): string {
  const table = tableOf(
    ['prompt', 'candidate', 'weight', 'stage', 'shadow', 'in Temporal'],
    data.rollouts.map((r) => [
      e(r.prompt),
      e(r.candidateVersion ?? '–'),
      `<span class="weight" data-prompt="${e(r.prompt)}">${r.weightPercent}%</span>`,
      `<span class="stage" data-prompt="${e(r.prompt)}">${e(r.stage ?? 'unknown')}</span>`,
      e(r.shadowVersion ?? '–'),
      r.workflowId ? `<a href="${e(workflowLink(links, r.workflowId))}">${e(r.workflowId)}</a>` : '–',
    ]),
    'No rollout is live.',
  );
  return data.rolloutsNote ? `${table}<p class="note">${e(data.rolloutsNote)}</p>` : table;
}

function sloTable(data: ConsoleData): string {
  return tableOf(
    ['prompt', 'requests', 'availability', 'p50', 'p99', 'TTFT p99', 'over 10 s', 'bad answers', 'objectives'],
    data.slo.map((s) => [
      e(s.prompt),
      String(s.requests),
      pct(s.availability),
      ms(s.p50Ms),
      ms(s.p99Ms),
      ms(s.ttftP99Ms),
      pct(s.slowShare),
      pct(s.badAnswerShare),
      `<span class="slo ${s.status.replace(/ /g, '-')}" data-prompt="${e(s.prompt)}">${e(s.status)}</span>${s.missing.length ? ` <small>${e(s.missing.join('; '))}</small>` : ''}`,
    ]),
    'No prompt traffic in the last 24 hours.',
  );
}

function errorsTable(data: ConsoleData, links: PageLinks): string {
  const trace = (id: string | null) =>
    !id
      ? '–'
      : links.traceUrl
        ? `<a href="${e(links.traceUrl.replace('{trace_id}', encodeURIComponent(id)))}">${e(id)}</a>`
        : `<code>${e(id)}</code>`;
  return tableOf(
    ['time', 'request', 'tenant', 'prompt', 'model', 'status', 'error', 'trace'],
    data.recentErrors.map((r) => [
      e(when(r.ts)),
      `<code>${e(r.requestId)}</code>`,
      e(r.tenant ?? '–'),
      e(r.prompt ?? '–'),
      e(r.model ?? '–'),
      String(r.status),
      e(r.errorClass ?? '–'),
      trace(r.traceId),
    ]),
    'No server errors in the last 24 hours.',
  );
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
header{background:#14213d;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header a{color:#cfe3ff}header form{margin-left:auto}
main{padding:16px 24px;display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(520px,1fr))}
section{background:#fff;border:1px solid #e3e5e8;border-radius:8px;padding:12px 16px;overflow-x:auto}
section.wide{grid-column:1/-1}h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#555}code{font-size:12px}.empty,.note{color:#666}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0 0}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.badge{padding:1px 6px;border-radius:4px;color:#fff}.badge.page{background:#c0392b}.badge.ticket{background:#b7791f}
.slo.meeting{color:#1e7b34}.slo.missing{color:#c0392b;font-weight:600}.slo.too-little-traffic{color:#666}`;

/** The console page: everything inline (style and SVG), nothing fetched from elsewhere. */
export function renderConsolePage(data: ConsoleData, links: PageLinks): string {
  const total = data.tenantCost.totals;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="60"><title>Flightdeck console</title><style>${STYLE}</style></head>
<body><header><h1>Flightdeck</h1>
<span>${usd(total.costUsd)} over ${data.days} days · ${total.calls} calls · projected ${usd(total.projectedMonthlyUsd)}/month</span>
<a href="${e(links.temporalUi)}">Temporal UI</a>
<form method="get" action="/"><label>days <input type="number" name="days" min="1" max="90" value="${data.days}"></label> <button>show</button></form>
</header><main>
<section class="wide" id="tenant-cost"><h2>Cost per tenant per day</h2>${tenantChart(data)}</section>
<section id="feature-cost"><h2>Cost per tenant and feature (top ${TOP_FEATURES})</h2>${featureChart(data)}</section>
<section id="alerts"><h2>Open alerts (${data.alerts.length})</h2>${alertsTable(data)}</section>
<section id="incidents"><h2>Open incidents (${data.incidents.length})</h2>${incidentsTable(data, links)}</section>
<section id="rollouts"><h2>Live rollouts</h2>${rolloutsTable(data, links)}</section>
<section id="slo"><h2>Service levels per prompt, last 24 hours</h2>${sloTable(data)}</section>
<section class="wide" id="errors"><h2>Recent server errors</h2>${errorsTable(data, links)}</section>
</main><footer style="padding:0 24px 16px;color:#666">Read-only. Generated ${e(when(data.generatedAt))} UTC; refreshes every minute.</footer></body></html>`;
}
