import type { Pool } from '../db/pool';

/** NOTIFY channel: a gateway's circuit to a target opened (the worker's outage watch listens). */
export const CIRCUIT_OPEN_CHANNEL = 'flightdeck_circuit_open';

/** A synthetic tenant's own circuit to a target while a drill's fault is on it (never the shared one). */
export const drillCircuitKey = (tenant: string, target: string): string => `drill:${tenant}|${target}`;

/** A notice's target ("provider/model"), and the drill's tenant when the circuit was a drill's own. */
export function parseCircuitNotice(payload: string): { target: string; tenant?: string } {
  const drill = /^drill:([^|]+)\|(.+)$/.exec(payload);
  return drill ? { tenant: drill[1]!, target: drill[2]! } : { target: payload };
}

/**
 * Tell whoever listens that a circuit opened, off the request's path: a lost notice costs only speed
 * (the monitor pass's availability alert starts the same playbook a minute or two later).
 */
export function announceCircuitOpen(pool: Pool, target: string): void {
  pool.query('SELECT pg_notify($1, $2)', [CIRCUIT_OPEN_CHANNEL, target.slice(0, 500)]).catch(() => undefined);
}
