import { z } from 'zod';
import rawPrices from './prices.json';
import type { Usage } from './types';

const priceSchema = z.object({
  model: z.string(),
  effective: z.iso.date(),
  input: z.number().nonnegative(),
  cached_input: z.number().nonnegative(),
  output: z.number().nonnegative(),
});
export type Price = z.infer<typeof priceSchema>;

export const priceTableSchema = z.object({ prices: z.array(priceSchema) });

const DEFAULT_TABLE: Price[] = priceTableSchema.parse(rawPrices).prices;

// The gateway prices every request (estimate and cost): look each model up once a day. Model ids
// come from callers, so the memo is bounded; it starts afresh each UTC day.
let lookupDay = { start: 0, end: 0, day: '', prices: new Map<string, Price | undefined>() };
const MAX_LOOKUPS = 10_000;
const DAY_MS = 86_400_000;

/** The price in force for a model on a date: the entry with the latest effective date not after it. */
export function priceFor(model: string, at: Date = new Date(), table: Price[] = DEFAULT_TABLE): Price | undefined {
  if (table !== DEFAULT_TABLE) return latestEffective(table, model, at.toISOString().slice(0, 10));
  const time = at.getTime();
  if (time < lookupDay.start || time >= lookupDay.end) {
    const start = time - (((time % DAY_MS) + DAY_MS) % DAY_MS);
    lookupDay = { start, end: start + DAY_MS, day: new Date(start).toISOString().slice(0, 10), prices: new Map() };
  }
  const { prices, day } = lookupDay;
  if (!prices.has(model)) {
    if (prices.size >= MAX_LOOKUPS) prices.clear();
    prices.set(model, latestEffective(table, model, day));
  }
  return prices.get(model);
}

function latestEffective(table: Price[], model: string, day: string): Price | undefined {
  return table
    .filter((price) => price.model === model && price.effective <= day)
    .sort((a, b) => (a.effective < b.effective ? 1 : -1))[0];
}

/** Every model with a price in force on a date, with the day its first price took effect. */
export function pricedModels(at: Date = new Date(), table: Price[] = DEFAULT_TABLE): Map<string, string> {
  const day = at.toISOString().slice(0, 10);
  const since = new Map<string, string>();
  for (const price of table) {
    if (price.effective > day) continue;
    const known = since.get(price.model);
    if (!known || price.effective < known) since.set(price.model, price.effective);
  }
  return since;
}

export interface Cost {
  usd: number;
  /** False when the model has no price entry: the cost is unknown, not zero. */
  priced: boolean;
}

/** USD for one call: uncached input, cached input and output, each at its own rate. */
export function cost(model: string, usage: Usage, at: Date = new Date(), table: Price[] = DEFAULT_TABLE): Cost {
  const price = priceFor(model, at, table);
  if (!price) return { usd: 0, priced: false };
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
  const usd =
    (uncached * price.input + usage.cachedInputTokens * price.cached_input + usage.outputTokens * price.output) /
    1_000_000;
  return { usd: Number(usd.toFixed(10)), priced: true };
}
