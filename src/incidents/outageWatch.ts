import type { Pool, PoolClient } from '../db/pool';
import type { IncidentInput } from '../model/incident';
import type { MonitorRule, MonitorsFile } from '../monitoring/monitorRules';
import { incidentFor } from '../monitoring/playbookStarts';
import { keyOf } from '../monitoring/ruleScope';
import { CIRCUIT_OPEN_CHANNEL } from '../routing/circuitNotices';
import type { ProbeResult } from './providerProbe';

export interface OutageWatchOptions {
  /** One of its connections is held for LISTEN. */
  pool: Pool;
  /** The monitors file as it is now (its provider-outage rule and the backups). */
  settings: () => Pick<MonitorsFile, 'rules' | 'playbooks'>;
  probe: (model: string) => Promise<ProbeResult>;
  start: (incident: IncidentInput) => Promise<unknown>;
  /**
   * After a model was considered, its notices are ignored this long (default 10 s): every gateway's
   * circuit opens within seconds of the others in an outage, and one look is enough.
   */
  quietMs?: number;
  /** Between the two confirming probes. */
  probeGapMs?: number;
}

/**
 * The fast path to the provider-outage playbook. A gateway's circuit to a target opens after a few
 * failures in a row and says so (NOTIFY); the watch, in the worker, probes the model at its provider
 * twice itself, and when both fail starts the playbook keyed by the model, as the availability and
 * latency alerts do, so the alert, a minute later, joins the same incident. One gateway's bad network, or a
 * drill's fault injected inside a gateway, does not move everyone's traffic: the provider answers
 * the watch's probes. Models without a backup in the monitors file are left to the alert.
 */
export class OutageWatch {
  private listener?: PoolClient;
  /** When each model was last looked at, or 'now' while it is. */
  private readonly considered = new Map<string, number | 'now'>();
  private readonly working = new Set<Promise<void>>();

  constructor(private readonly options: OutageWatchOptions) {}

  async start(): Promise<void> {
    const client = await this.options.pool.connect();
    client.on('notification', (message) => {
      if (message.channel === CIRCUIT_OPEN_CHANNEL && message.payload) this.track(this.consider(message.payload));
    });
    client.on('error', () => undefined); // the alert path still starts the playbook; a restarted worker listens again
    await client.query(`LISTEN ${CIRCUIT_OPEN_CHANNEL}`);
    this.listener = client;
  }

  async close(): Promise<void> {
    this.listener?.release(true); // ends the connection, and with it the LISTEN
    await Promise.allSettled([...this.working]);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.working.delete(tracked));
    this.working.add(tracked);
  }

  /** A circuit to `target` ("provider/model") opened somewhere. */
  private async consider(target: string): Promise<void> {
    const model = target.slice(target.indexOf('/') + 1);
    // Only models with a backup are remembered: a notice can name anything (anyone may NOTIFY).
    const { rules, playbooks } = this.options.settings();
    const rule = rules.find((r) => r.playbook === 'provider-outage' && r.by.length === 1 && r.by[0] === 'model');
    if (!rule || !playbooks.provider_outage.backups[model]) return;
    const last = this.considered.get(model);
    if (last === 'now' || Date.now() - (last ?? -Infinity) < (this.options.quietMs ?? 10_000)) return;
    this.considered.set(model, 'now');
    try {
      await this.confirmAndStart(target, model, rule, playbooks);
    } finally {
      this.considered.set(model, Date.now());
    }
  }

  private async confirmAndStart(
    target: string,
    model: string,
    rule: MonitorRule,
    playbooks: MonitorsFile['playbooks'],
  ): Promise<void> {
    const first = await this.options.probe(model);
    if (first.ok) return;
    await new Promise((resolve) => setTimeout(resolve, this.options.probeGapMs ?? 2000));
    const second = await this.options.probe(model);
    if (second.ok) return;
    const key = keyOf(rule, { model });
    const incident = incidentFor(
      {
        key,
        ruleId: rule.id,
        severity: rule.severity,
        summary: `a gateway's circuit to ${target} opened, and two probes of ${model} at its provider failed (${second.error ?? 'no answer'})`,
        numbers: {},
        playbook: rule.playbook,
      },
      { model },
      playbooks,
    );
    if (incident) await this.options.start({ ...incident, actor: 'outage-watch' });
  }
}
