import type { Pool, PoolClient } from '../db/pool';
import { drillOutageKey, type IncidentInput } from '../model/incident';
import type { MonitorRule, MonitorsFile } from '../monitoring/monitorRules';
import { incidentFor } from '../monitoring/playbookStarts';
import { keyOf } from '../monitoring/ruleScope';
import { CIRCUIT_OPEN_CHANNEL, parseCircuitNotice } from '../routing/circuitNotices';
import type { ProbeResult } from './providerProbe';

export interface OutageWatchOptions {
  /** One of its connections is held for LISTEN. */
  pool: Pool;
  /** The monitors file as it is now (its provider-outage rule and the backups). */
  settings: () => Pick<MonitorsFile, 'rules' | 'playbooks'>;
  /** The model at its provider, or as a drill's tenant sees it (its fault fails the probe). */
  probe: (model: string, tenant?: string) => Promise<ProbeResult>;
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
 * the watch's probes. A drill's tenant has circuits of its own; when one opens, the watch probes the
 * model as that tenant sees it and starts a playbook for that tenant's calls only (the drill checks
 * it runs). Models without a backup in the monitors file are left to the alert.
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

  /** A circuit to `target` ("provider/model", or a drill tenant's "drill:<tenant>|provider/model") opened somewhere. */
  private async consider(notice: string): Promise<void> {
    const { target, tenant } = parseCircuitNotice(notice);
    const model = target.slice(target.indexOf('/') + 1);
    // Only models with a backup are remembered: a notice can name anything (anyone may NOTIFY).
    const { rules, playbooks } = this.options.settings();
    const rule = rules.find((r) => r.playbook === 'provider-outage' && r.by.length === 1 && r.by[0] === 'model');
    if (!rule || !playbooks.provider_outage.backups[model]) return;
    const scope = tenant ? drillOutageKey(model, tenant) : model;
    const last = this.considered.get(scope);
    if (last === 'now' || Date.now() - (last ?? -Infinity) < (this.options.quietMs ?? 10_000)) return;
    this.considered.set(scope, 'now');
    try {
      await this.confirmAndStart(target, model, rule, playbooks, tenant);
    } finally {
      this.considered.set(scope, Date.now());
    }
  }

  private async confirmAndStart(
    target: string,
    model: string,
    rule: MonitorRule,
    playbooks: MonitorsFile['playbooks'],
    tenant?: string,
  ): Promise<void> {
    const first = await this.options.probe(model, tenant);
    if (first.ok) return;
    await new Promise((resolve) => setTimeout(resolve, this.options.probeGapMs ?? 2000));
    const second = await this.options.probe(model, tenant);
    if (second.ok) return;
    const key = keyOf(rule, { model });
    const incident = incidentFor(
      {
        key,
        ruleId: rule.id,
        severity: rule.severity,
        summary: `a gateway's circuit to ${target}${tenant ? ` for tenant ${tenant}` : ''} opened, and two probes of ${model} failed (${second.error ?? 'no answer'})`,
        numbers: {},
        playbook: rule.playbook,
      },
      { model },
      playbooks,
    );
    if (!incident) return;
    // A drill's tenant: its own incident, its calls moved to the backup (never a gateway-wide cap).
    const scoped = tenant
      ? {
          key: drillOutageKey(model, tenant),
          tenant,
          mitigation: 'fallback' as const,
          backup: playbooks.provider_outage.backups[model],
        }
      : {};
    await this.options.start({ ...incident, ...scoped, actor: 'outage-watch' });
  }
}
