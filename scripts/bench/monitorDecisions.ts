/**
 * Decision quality of the monitors (issue 13): do the built-in rules catch real faults quickly, and
 * how often do they cry wolf?
 *   npm run bench:decisions [-- --seed 7 --incidents 3]
 * A synthetic minute-by-minute log of 56 days (28 to fill the baselines, 28 judged) for 110
 * series: 30 tenants' spend, 10 models' availability, latency objective and p99 shift, 20 prompts'
 * judge scores, 10 prompts' answer lengths, 20 tenants' guardrail blocks; with daily and weekly
 * rhythm and noise.
 * Injected into the judged 28 days, `--incidents` of each kind: a tenant's spend ×5 (3 h), a runaway
 * loop (a tenant's calls ×20, 1 h), one model's p99 ×3 (2 h), one prompt's judge score −15% (4 h),
 * a guardrail's block rate ×4 (3 h), a provider outage (90% errors, 20 min).
 * A pass every minute replays the built-in rules with their own windows (`scope().periods`), the
 * same detectors and the live dedupe and cooldown (`AlertLifecycle`), over these series held in
 * memory; the SQL that feeds the detectors in production is tested against Postgres elsewhere.
 * Judge scores come from the sampled share, and from confirmation samples when a prompt's scores dip
 * (judged at a pass, counted from the next, as the live child workflow's).
 * Reports: incidents detected, median time to alert per kind, false alerts per week per 100 series
 * on the quiet stretches. Writes bench-results/monitor-decisions.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { table } from '../../src/cli/output';
import { AlertLifecycle } from '../../src/monitoring/alertLifecycle';
import {
  burnRate,
  meanDrop,
  median,
  rateShift,
  robustShift,
  robustSpike,
  type Verdict,
} from '../../src/monitoring/detectors';
import { answersToConfirm } from '../../src/monitoring/confirmationSampling';
import { HISTOGRAM_BUCKETS, histogramQuantile, LATENCY_BOUNDS_MS } from '../../src/monitoring/histogram';
import { BURN_HOUR_WINDOWS, BURN_MINUTE_WINDOWS } from '../../src/monitoring/monitorPass';
import { DEFAULT_MONITOR_RULES, loadMonitorsFile, type MonitorRule } from '../../src/monitoring/monitorRules';
import { scope } from '../../src/monitoring/ruleScope';
import { allSeasonsAgree, inSeason, seasonsOf } from '../../src/monitoring/seasonality';
import { firstFiring, windowStarts } from '../../src/monitoring/stretchedWindows';
import { Random } from '../../src/simulator/random';
import { numberFlag } from './flags';

const SEED = numberFlag('seed', 7);
const INCIDENTS_PER_KIND = numberFlag('incidents', 3);
const DAYS = 56;
const JUDGED_FROM_DAY = 28;
const MINUTES = DAYS * 1440;
const T0 = Date.UTC(2026, 0, 5); // a Monday
const random = new Random(SEED);
const sampling = loadMonitorsFile().judge_sampling;

// ---- the synthetic log -------------------------------------------------------------------------

/** Requests in a minute scale with the hour of the week: busy weekdays, quiet nights and weekends. */
function rhythm(minute: number): number {
  const at = new Date(T0 + minute * 60_000);
  const hour = at.getUTCHours();
  const weekend = at.getUTCDay() === 0 || at.getUTCDay() === 6;
  const daily = hour >= 8 && hour < 18 ? 1 : hour >= 6 && hour < 22 ? 0.35 : 0.08;
  return daily * (weekend ? 0.3 : 1);
}

function poisson(mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random.next();
  while (p > limit) {
    k += 1;
    p *= random.next();
  }
  return k;
}

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** Per-minute counts with prefix sums, so any window's total is two reads. */
class Column {
  readonly values = new Float64Array(MINUTES);
  private prefix?: Float64Array;
  sum(from: number, to: number): number {
    if (!this.prefix) {
      this.prefix = new Float64Array(MINUTES + 1);
      for (let i = 0; i < MINUTES; i++) this.prefix[i + 1] = this.prefix[i]! + this.values[i]!;
    }
    const a = Math.max(0, Math.min(MINUTES, from));
    const b = Math.max(0, Math.min(MINUTES, to));
    return b > a ? this.prefix[b]! - this.prefix[a]! : 0;
  }
}

/** Per-minute values added while the replay runs (confirmation samples), with prefix sums kept as they change. */
class GrowingColumn {
  private readonly tree = new Float64Array(MINUTES + 1);
  add(minute: number, value: number): void {
    for (let i = minute + 1; i <= MINUTES; i += i & -i) this.tree[i]! += value;
  }
  private prefix(to: number): number {
    let total = 0;
    for (let i = Math.max(0, Math.min(MINUTES, to)); i > 0; i -= i & -i) total += this.tree[i]!;
    return total;
  }
  sum(from: number, to: number): number {
    return to > from ? this.prefix(to) - this.prefix(from) : 0;
  }
}

type Kind = 'cost_spike' | 'runaway_loop' | 'latency_p99' | 'judge_drop' | 'guardrail_blocks' | 'provider_outage';

interface Incident {
  kind: Kind;
  series: string;
  start: number;
  end: number;
}

/** Minute ranges of incidents per series, placed in the judged days, never overlapping on a series. */
function placeIncidents(
  kind: Kind,
  candidates: string[],
  lengthMinutes: number,
  taken: Map<string, Incident[]>,
): Incident[] {
  const placed: Incident[] = [];
  while (placed.length < INCIDENTS_PER_KIND) {
    const series = random.pick(candidates);
    const start = JUDGED_FROM_DAY * 1440 + 60 + Math.floor(random.next() * (DAYS - JUDGED_FROM_DAY - 1) * 1440);
    const incident = { kind, series, start, end: start + lengthMinutes };
    const others = taken.get(series) ?? [];
    // Apart from the series' other incidents by a day, so each is judged against a clean baseline window.
    if (others.some((o) => Math.abs(o.start - start) < 1440)) continue;
    taken.set(series, [...others, incident]);
    placed.push(incident);
  }
  return placed;
}

const at = (minute: number) => new Date(T0 + minute * 60_000);

const inIncident = (incidents: Incident[] | undefined, minute: number, kind?: Kind) =>
  incidents?.find((i) => minute >= i.start && minute < i.end && (!kind || i.kind === kind));

interface Series {
  id: string;
  rule: MonitorRule;
  /** The alert key the live pass would use for this series. */
  key: string;
  /** This series' verdict at pass minute `m` (windows end before `m`). */
  judge(m: number): Verdict;
}

const rule = (id: string) => DEFAULT_MONITOR_RULES.find((r) => r.id === id)!;
const incidentsBySeries = new Map<string, Incident[]>();
const tenants = Array.from({ length: 30 }, (_, i) => `tenant-${i}`);
const models = Array.from({ length: 10 }, (_, i) => `model-${i}`);
const prompts = Array.from({ length: 20 }, (_, i) => `prompt-${i}`);
const guarded = Array.from({ length: 20 }, (_, i) => `guarded-${i}`);
const incidents = [
  ...placeIncidents('cost_spike', tenants, 180, incidentsBySeries),
  ...placeIncidents('runaway_loop', tenants, 60, incidentsBySeries),
  ...placeIncidents('latency_p99', models, 120, incidentsBySeries),
  ...placeIncidents('provider_outage', models, 20, incidentsBySeries),
  ...placeIncidents('judge_drop', prompts, 240, incidentsBySeries),
  ...placeIncidents('guardrail_blocks', guarded, 180, incidentsBySeries),
];

/** The baseline's and the window's minute ranges of a rule at pass minute m (the live pass's periods). */
function periodsAt(r: MonitorRule, m: number) {
  const p = scope(r).periods(at(m));
  const minute = (d: Date) => Math.round((d.getTime() - T0) / 60_000);
  return { window: minute(p.windowStart), from: minute(p.baselineFrom), until: minute(p.baselineUntil) };
}

/** Where the rule's windows (its own and its stretched ones) start, as minutes. */
const windowsAt = (r: MonitorRule, m: number) =>
  windowStarts(r, at(m)).map((start) => Math.round((start.getTime() - T0) / 60_000));

/** Values per whole hour of a baseline, cached per rule and baseline end (the live pass reads each once an hour). */
function hourly(
  cache: Map<string, number[]>,
  from: number,
  until: number,
  value: (h: number) => number | undefined,
  variant = '',
) {
  const key = `${until}|${variant}`;
  let hours = cache.get(key);
  if (!hours) {
    hours = [];
    for (let h = Math.max(0, from); h + 60 <= until; h += 60) {
      const v = value(h);
      if (v !== undefined) hours.push(v);
    }
    // Baselines of an earlier hour are done with; the other season of this hour is kept.
    for (const old of cache.keys()) if (!old.startsWith(`${until}|`)) cache.delete(old);
    cache.set(key, hours);
  }
  return hours;
}

function tenantCostSeries(): Series[] {
  const r = rule('tenant-cost-spike') as MonitorRule & { metric: 'cost_usd' };
  const perRequest = rule('tenant-cost-per-request') as MonitorRule & { metric: 'cost_per_request' };
  return tenants.flatMap((tenant): Series[] => {
    const rate = 2 + random.next() * 18; // calls a minute at busy hours
    const perCall = 0.01 + random.next() * 0.03;
    const calls = new Column();
    const cost = new Column();
    const own = incidentsBySeries.get(tenant);
    for (let m = 0; m < MINUTES; m++) {
      const incident = inIncident(own, m);
      const multiplier = incident?.kind === 'runaway_loop' ? 20 : incident?.kind === 'cost_spike' ? 5 : 1;
      const n = poisson(rate * rhythm(m) * (incident?.kind === 'runaway_loop' ? multiplier : 1));
      calls.values[m] = n;
      cost.values[m] = n * perCall * Math.exp(0.25 * gaussian()) * (incident?.kind === 'cost_spike' ? multiplier : 1);
    }
    const caches = new Map<string, number[]>();
    const perRequestCache = new Map<string, number[]>();
    const spend: Series = {
      id: tenant,
      rule: r,
      key: `${r.id}:tenant=${tenant}`,
      judge(m) {
        const p = periodsAt(r, m);
        const spend = cost.sum(p.window, m) * (60 / r.window_minutes);
        return allSeasonsAgree(
          seasonsOf(at(p.window), at(m)).map((season) => {
            const hours = hourly(
              caches,
              p.from,
              p.until,
              (h) => (inSeason(at(h), season) && calls.sum(h, h + 60) > 0 ? cost.sum(h, h + 60) : undefined),
              `${season.hour}|${season.weekend}`,
            );
            return robustSpike(spend, hours, {
              sigmas: r.detector.sigmas,
              ratio: r.detector.ratio,
              floor: r.detector.floor,
              minBaseline: r.detector.min_baseline,
            });
          }),
        );
      },
    };
    // The mean cost of a call in each window (10 minutes, stretched to 80 while too quiet) against
    // the baseline's hourly means, upward only, as the live rule judges it.
    const costPerRequest: Series = {
      id: tenant,
      rule: perRequest,
      key: `${perRequest.id}:tenant=${tenant}`,
      judge(m) {
        const p = periodsAt(perRequest, m);
        const hours = hourly(perRequestCache, p.from, p.until, (h) => {
          const n = calls.sum(h, h + 60);
          return n > 0 ? cost.sum(h, h + 60) / n : undefined;
        });
        return firstFiring(
          windowsAt(perRequest, m).map((start): Verdict => {
            const n = calls.sum(start, m);
            if (n < perRequest.min_volume)
              return { state: 'low_volume', reason: 'few calls', numbers: { requests: n } };
            const verdict = robustShift(cost.sum(start, m) / n, hours, {
              change: perRequest.detector.change,
              sigmas: perRequest.detector.sigmas,
              minBaseline: perRequest.detector.min_baseline,
            });
            return verdict.state === 'fire' && Number(verdict.numbers.change) < 0
              ? { state: 'ok', numbers: verdict.numbers }
              : verdict;
          }),
        );
      },
    };
    return [spend, costPerRequest];
  });
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x / Math.SQRT2));
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The share of calls in each latency bucket when latency is log-normal around `medianMs`. */
function bucketShares(medianMs: number, sigma: number): number[] {
  const below = (ms: number) => normalCdf(Math.log(ms / medianMs) / sigma);
  return Array.from({ length: HISTOGRAM_BUCKETS }, (_, b) => {
    const high = b < LATENCY_BOUNDS_MS.length ? below(LATENCY_BOUNDS_MS[b]!) : 1;
    return high - (b === 0 ? 0 : below(LATENCY_BOUNDS_MS[b - 1]!));
  });
}

function modelSeries(): Series[] {
  const availability = rule('model-availability') as MonitorRule & { metric: 'server_error_rate' };
  const latency = rule('model-latency') as MonitorRule & { metric: 'slow_request_rate' };
  const shift = rule('model-latency-shift') as MonitorRule & { metric: 'latency_p99' };
  const slowFrom = LATENCY_BOUNDS_MS.indexOf(latency.detector.threshold_ms as (typeof LATENCY_BOUNDS_MS)[number]) + 1;
  return models.flatMap((model) => {
    const rate = 50 + random.next() * 450;
    const medianMs = 400 + random.next() * 1200;
    const usual = bucketShares(medianMs, 0.5);
    const slower = bucketShares(3 * medianMs, 0.5); // p99 ×3
    const calls = new Column();
    const errors = new Column();
    const slow = new Column();
    const histogram = Array.from({ length: HISTOGRAM_BUCKETS }, () => new Column());
    const own = incidentsBySeries.get(model);
    for (let m = 0; m < MINUTES; m++) {
      const n = poisson(rate * Math.max(0.1, rhythm(m)));
      calls.values[m] = n;
      errors.values[m] = poisson(n * (inIncident(own, m, 'provider_outage') ? 0.9 : 0.001));
      const shares = inIncident(own, m, 'latency_p99') ? slower : usual;
      for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
        histogram[b]!.values[m] = poisson(n * shares[b]!);
        if (b >= slowFrom) slow.values[m] += histogram[b]!.values[m]!;
      }
    }
    const burn = (r: MonitorRule & { detector: { objective: number } }, bad: Column) => (m: number) =>
      burnRate(
        [
          ...BURN_MINUTE_WINDOWS.map((minutes) => ({ minutes, from: m - minutes })),
          // Hour windows start on a whole hour, the hour in progress included (as the live pass reads them).
          ...BURN_HOUR_WINDOWS.map((minutes) => ({ minutes, from: Math.floor((m - minutes) / 60) * 60 })),
        ].map(({ minutes, from }) => ({ minutes, bad: bad.sum(from, m), total: calls.sum(from, m) })),
        r.detector.objective,
        r.min_volume,
      );
    const p99 = (from: number, to: number) =>
      histogramQuantile(
        histogram.map((column) => column.sum(from, to)),
        0.99,
      );
    const cache = new Map<string, number[]>();
    return [
      { id: model, rule: availability, key: `${availability.id}:model=${model}`, judge: burn(availability, errors) },
      { id: model, rule: latency, key: `${latency.id}:model=${model}`, judge: burn(latency, slow) },
      {
        id: model,
        rule: shift,
        key: `${shift.id}:model=${model}`,
        judge(m: number): Verdict {
          const p = periodsAt(shift, m);
          const n = calls.sum(p.window, m);
          if (n < shift.min_volume) return { state: 'low_volume', reason: 'few calls', numbers: { requests: n } };
          const hours = hourly(cache, p.from, p.until, (h) => p99(h, h + 60));
          return robustSpike(p99(p.window, m) ?? 0, hours, {
            sigmas: shift.detector.sigmas,
            ratio: shift.detector.ratio,
            floor: shift.detector.floor_ms,
            minBaseline: shift.detector.min_baseline,
          });
        },
      },
    ];
  });
}

/** Judge calls in the judged days: the sampled share, and the confirmation samples on suspicion. */
const judgeCalls = { sampled: 0, confirmation: 0 };

function promptSeries(): Series[] {
  const judgeRule = rule('prompt-judge-score') as MonitorRule & { metric: 'judge_score' };
  const lengthRule = rule('prompt-output-length') as MonitorRule & { metric: 'output_length' };
  return prompts.flatMap((prompt, index) => {
    const rate = 20 + random.next() * 180;
    const meanScore = 0.75 + random.next() * 0.15;
    const meanChars = 300 + random.next() * 900;
    const answers = new Column();
    const chars = new Column();
    const samples = new Column();
    const scoreSum = new Column();
    const scoreSquares = new Column();
    const own = incidentsBySeries.get(prompt);
    const meanAt = (m: number) => meanScore * (inIncident(own, m, 'judge_drop') ? 0.85 : 1);
    const score = (m: number) => Math.min(1, Math.max(0, meanAt(m) + 0.15 * gaussian()));
    for (let m = 0; m < MINUTES; m++) {
      const n = poisson(rate * Math.max(0.1, rhythm(m)));
      answers.values[m] = n;
      chars.values[m] = n * meanChars * (1 + 0.03 * gaussian());
      // The sampled share, and at least judge_sampling.min_per_prompt_hour of each prompt's hour.
      const judged = Math.min(n, poisson(Math.max(n * sampling.share, Math.min(n, sampling.min_per_prompt_hour / 60))));
      for (let j = 0; j < judged; j++) {
        const s = score(m);
        scoreSum.values[m] += s;
        scoreSquares.values[m] += s * s;
      }
      samples.values[m] = judged;
      if (m >= JUDGED_FROM_DAY * 1440) judgeCalls.sampled += judged;
    }
    // Confirmation samples: judged at a pass, in the log from the next pass on (as the live child workflow).
    const confirmed = new GrowingColumn();
    const confirmedSum = new GrowingColumn();
    const confirmedSquares = new GrowingColumn();
    const stats = (from: number, to: number, withConfirmed: boolean) => {
      const extra = withConfirmed ? confirmed.sum(from, to) : 0;
      const n = samples.sum(from, to) + extra;
      const total = scoreSum.sum(from, to) + (extra ? confirmedSum.sum(from, to) : 0);
      const squares = scoreSquares.sum(from, to) + (extra ? confirmedSquares.sum(from, to) : 0);
      const mean = n ? total / n : 0;
      const variance = n > 1 ? (squares - n * mean * mean) / (n - 1) : 0;
      return { n, mean, sd: Math.sqrt(Math.max(0, variance)) };
    };
    /** Judge `wanted` more answers, newest first, back to `oldest`, as the live confirmation does. */
    const confirm = (m: number, wanted: number, oldest: number) => {
      for (let minute = m - 1; minute >= oldest && wanted > 0; minute--) {
        const unjudged = answers.values[minute]! - samples.values[minute]! - confirmed.sum(minute, minute + 1);
        const take = Math.min(wanted, unjudged);
        for (let j = 0; j < take; j++) {
          const s = score(minute);
          confirmed.add(minute, 1);
          confirmedSum.add(minute, s);
          confirmedSquares.add(minute, s * s);
        }
        wanted -= take;
        judgeCalls.confirmation += take;
      }
    };
    const lengthCache = new Map<string, number[]>();
    const series: Series[] = [
      {
        id: prompt,
        rule: judgeRule,
        key: `${judgeRule.id}:prompt=${prompt}`,
        judge(m) {
          const p = periodsAt(judgeRule, m);
          const before = stats(p.from, p.until, false);
          const starts = windowsAt(judgeRule, m);
          const verdict = firstFiring(
            starts.map((start) =>
              meanDrop(stats(start, m, true), before, {
                drop: judgeRule.detector.drop,
                z: judgeRule.detector.z,
                minSamples: judgeRule.detector.min_samples,
              }),
            ),
          );
          const wanted = answersToConfirm(stats(starts[0]!, m, true), before, {
            suspectZ: judgeRule.detector.suspect_z,
            minSamples: judgeRule.detector.min_samples,
          });
          if (wanted) confirm(m, wanted, starts[starts.length - 1]!);
          return verdict;
        },
      },
    ];
    if (index < 10)
      series.push({
        id: prompt,
        rule: lengthRule,
        key: `${lengthRule.id}:prompt=${prompt},model=m`,
        judge(m) {
          const p = periodsAt(lengthRule, m);
          const n = answers.sum(p.window, m);
          if (n < lengthRule.min_volume) return { state: 'low_volume', reason: 'few answers', numbers: { answers: n } };
          const hours = hourly(lengthCache, p.from, p.until, (h) => {
            const a = answers.sum(h, h + 60);
            return a > 0 ? chars.sum(h, h + 60) / a : undefined;
          });
          return robustShift(chars.sum(p.window, m) / n, hours, {
            change: lengthRule.detector.change,
            sigmas: lengthRule.detector.sigmas,
            minBaseline: lengthRule.detector.min_baseline,
          });
        },
      });
    return series;
  });
}

function guardrailSeries(): Series[] {
  const r = rule('guardrail-block-rate') as MonitorRule & { metric: 'guardrail_block_rate' };
  return guarded.map((tenant) => {
    const rate = 5 + random.next() * 45;
    const blockRate = 0.005 + random.next() * 0.02;
    const calls = new Column();
    const blocks = new Column();
    const own = incidentsBySeries.get(tenant);
    for (let m = 0; m < MINUTES; m++) {
      const n = poisson(rate * Math.max(0.1, rhythm(m)));
      calls.values[m] = n;
      blocks.values[m] = poisson(n * blockRate * (inIncident(own, m, 'guardrail_blocks') ? 4 : 1));
    }
    return {
      id: tenant,
      rule: r,
      key: `${r.id}:tenant=${tenant},guardrail=input.injection`,
      judge(m) {
        const p = periodsAt(r, m);
        const before = { hits: blocks.sum(p.from, p.until), total: calls.sum(p.from, p.until) };
        return firstFiring(
          windowsAt(r, m).map((start) =>
            rateShift(
              { hits: blocks.sum(start, m), total: calls.sum(start, m) },
              before,
              r.detector.ratio,
              r.min_volume,
            ),
          ),
        );
      },
    };
  });
}

// ---- the replay --------------------------------------------------------------------------------

/** The rules whose alert on the incident's series catches it. */
const KIND_RULES: Record<Kind, string[]> = {
  cost_spike: ['tenant-cost-spike', 'tenant-cost-per-request'],
  runaway_loop: ['tenant-cost-spike'],
  latency_p99: ['model-latency-shift', 'model-latency'],
  provider_outage: ['model-availability'],
  judge_drop: ['prompt-judge-score'],
  guardrail_blocks: ['guardrail-block-rate'],
};
/** After an incident ends, an alert this soon still counts as catching it (windows trail the fault). */
const GRACE_MINUTES = 60;

function main(): void {
  const started = performance.now();
  const series = [...tenantCostSeries(), ...modelSeries(), ...promptSeries(), ...guardrailSeries()];
  const generatedMs = performance.now() - started;
  const lifecycles = new Map(DEFAULT_MONITOR_RULES.map((r) => [r.id, new AlertLifecycle(r.cooldown_minutes * 60_000)]));
  const raised: Array<{ key: string; rule: string; series: string; minute: number }> = [];
  for (let m = JUDGED_FROM_DAY * 1440; m < MINUTES; m++)
    for (const s of series)
      if (lifecycles.get(s.rule.id)!.observe(s.key, s.judge(m).state, T0 + m * 60_000))
        raised.push({ key: s.key, rule: s.rule.id, series: s.id, minute: m });

  const detections = incidents.map((incident) => {
    const hit = raised.find(
      (a) =>
        a.series === incident.series &&
        KIND_RULES[incident.kind].includes(a.rule) &&
        a.minute >= incident.start &&
        a.minute < incident.end + GRACE_MINUTES,
    );
    return { ...incident, minutesToAlert: hit ? hit.minute - incident.start : null };
  });
  const explained = (a: (typeof raised)[number]) =>
    incidents.some(
      (i) =>
        i.series === a.series &&
        KIND_RULES[i.kind].includes(a.rule) &&
        a.minute >= i.start &&
        a.minute < i.end + 24 * 60,
    );
  const falseAlerts = raised.filter((a) => !explained(a));
  const weeks = (DAYS - JUDGED_FROM_DAY) / 7;
  const kinds = [...new Set(incidents.map((i) => i.kind))];
  const byKind = kinds.map((kind) => {
    const mine = detections.filter((d) => d.kind === kind);
    const caught = mine.filter((d) => d.minutesToAlert !== null).map((d) => d.minutesToAlert!);
    return {
      kind,
      incidents: mine.length,
      detected: caught.length,
      medianMinutesToAlert: caught.length ? median(caught) : null,
    };
  });
  const falseByRule = Object.fromEntries(
    DEFAULT_MONITOR_RULES.map((r) => [r.id, falseAlerts.filter((a) => a.rule === r.id).length]).filter(([, n]) => n),
  );
  const result = {
    seed: SEED,
    series: series.length,
    passes: (DAYS - JUDGED_FROM_DAY) * 1440,
    incidents: incidents.length,
    detected: detections.filter((d) => d.minutesToAlert !== null).length,
    detectionRate: detections.filter((d) => d.minutesToAlert !== null).length / incidents.length,
    byKind,
    falseAlerts: falseAlerts.length,
    falseAlertsPerWeekPer100Series: Number(((falseAlerts.length / weeks) * (100 / series.length)).toFixed(2)),
    falseAlertsByRule: falseByRule,
    judgeCalls,
    missed: detections.filter((d) => d.minutesToAlert === null),
    generateMs: Math.round(generatedMs),
    replayMs: Math.round(performance.now() - started - generatedMs),
  };
  process.stdout.write(
    `${table(
      ['incident kind', 'injected', 'detected', 'median minutes to alert'],
      byKind.map((k) => [k.kind, k.incidents, k.detected, k.medianMinutesToAlert ?? '–']),
    )}\n\nDetected ${result.detected} of ${result.incidents} (${(100 * result.detectionRate).toFixed(1)}%); ` +
      `false alerts on quiet stretches: ${result.falseAlerts} over ${weeks} weeks and ${series.length} series = ` +
      `${result.falseAlertsPerWeekPer100Series} per week per 100 series ${JSON.stringify(falseByRule)}\n` +
      `judge calls over the judged days: ${judgeCalls.sampled} sampled, ${judgeCalls.confirmation} to confirm suspicions\n` +
      `(${result.passes} passes; generated in ${result.generateMs} ms, replayed in ${result.replayMs} ms; seed ${SEED})\n`,
  );
  mkdirSync(path.join(__dirname, '..', '..', 'bench-results'), { recursive: true });
  writeFileSync(
    path.join(__dirname, '..', '..', 'bench-results', 'monitor-decisions.json'),
    JSON.stringify(result, null, 2),
  );
}

main();
