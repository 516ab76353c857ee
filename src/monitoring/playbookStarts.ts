import type { IncidentInput } from '../model/incident';
import type { Firing } from './alertStore';
import { costPolicyFor, type PlaybookSettings } from './monitorRules';

/** Rules whose alert is a latency spike: the playbook may cap answers instead of moving calls. */
const LATENCY_METRICS = new Set(['latency_p99', 'slow_request_rate']);

/**
 * The incident a new alert starts, when its rule names a playbook that is built and configured for
 * its series: a provider outage needs the failing model and a backup for it in the monitors file;
 * (a latency rule's alert may cap the model's answers instead, by `latency_mitigation`);
 * a cost runaway needs the tenant (and takes its ladder from the monitors file); a quality
 * regression needs the prompt; a security incident the tenant or the prompt.
 * Undefined otherwise (the alert stands on its own and notifies as usual).
 */
export function incidentFor(
  firing: Firing,
  series: Record<string, string>,
  playbooks: PlaybookSettings,
  metric?: string,
): IncidentInput | undefined {
  const common = { key: firing.key, reason: firing.summary, actor: 'monitor', alertKey: firing.key };
  if (firing.playbook === 'cost-runaway' && series.tenant)
    return { kind: 'cost-runaway', ...common, tenant: series.tenant, policy: costPolicyFor(playbooks, series.tenant) };
  if (firing.playbook === 'quality-regression' && series.prompt) {
    const q = playbooks.quality_regression;
    return {
      kind: 'quality-regression',
      ...common,
      prompt: series.prompt,
      approval: q.approval,
      approvalTimeoutMinutes: q.approval_timeout_minutes,
      onTimeout: q.on_timeout,
      changeHours: q.change_hours,
      verifyMinutes: q.verify_minutes,
    };
  }
  if (firing.playbook === 'security' && (series.tenant || series.prompt)) {
    const settings = playbooks.security;
    return {
      kind: 'security',
      ...common,
      finding: settings.finding,
      tenant: series.tenant,
      prompt: series.prompt,
      killSwitch: settings.kill_switch,
      approval: settings.approval,
      approvalTimeoutMinutes: settings.approval_timeout_minutes,
      sinceMinutes: settings.since_minutes,
      purge: settings.purge,
      // An alert never rotates a key by itself: that is a finding a person makes.
      rotateKey: false,
    };
  }
  if (firing.playbook !== 'provider-outage' || !series.model) return undefined;
  const settings = playbooks.provider_outage;
  const capped = settings.latency_mitigation === 'max_tokens' && LATENCY_METRICS.has(metric ?? '');
  const backup = settings.backups[series.model];
  if (!backup && !capped) return undefined;
  return {
    kind: 'provider-outage',
    ...common,
    // Keyed by the model: its availability and latency alerts, and the outage watch, join one incident.
    key: series.model,
    model: series.model,
    ...(capped ? { mitigation: 'max-tokens' as const, maxTokens: settings.max_tokens } : { backup }),
    probeEverySeconds: settings.probe_every_seconds,
    healthyProbes: settings.healthy_probes,
    slowProbeMs: settings.slow_probe_ms,
  };
}
