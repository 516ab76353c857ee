import { Context } from '@temporalio/activity';
import type { Pool } from '../src/db/pool';
import { incidentWebhookBody } from '../src/incidents/incidentNotice';
import { markIncidentStepNotified, openIncident, recordIncidentStep } from '../src/incidents/incidentStore';
import { probeModelAs, type ProbeResult } from '../src/incidents/providerProbe';
import { investigateLatency, latencySummary, type LatencyCause } from '../src/incidents/latencyInvestigation';
import { attributeSpend, type SpendAttribution } from '../src/incidents/spendAttribution';
import { applyTenantStep, restoreTenantFromIncident } from '../src/incidents/tenantMitigation';
import { worstAnswers } from '../src/incidents/answerEvidence';
import { recentPromptChanges, type PromptChanges } from '../src/incidents/promptChanges';
import { alertIsOpen } from '../src/monitoring/alertStore';
import { loadMonitorRules } from '../src/monitoring/monitorRules';
import { judgeAlertSince, type SinceVerdict } from '../src/incidents/verifySince';
import { moveLabel, PRODUCTION, rollbackProduction } from '../src/registry/labels';
import { restoreStable } from '../src/release/rolloutRouting';
import { hasLiveCandidate } from '../src/routing/routeStore';
import type { CostStep } from '../src/model/costPolicy';
import type { IncidentKind, IncidentStatus } from '../src/model/incident';
import { postSigned, type AlertWebhook } from '../src/monitoring/alertWebhook';
import type { ProviderDirectory } from '../src/providers/directory';
import { clearOutputCap, setOutputCap } from '../src/routing/outputCaps';
import { clearRouteOverride, setRouteOverride } from '../src/routing/routeOverrides';

/** The calling incident workflow's run: its id is the mark its route override carries. */
export function callingWorkflow(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('incident activities run inside an incident workflow');
  return execution;
}

/**
 * A timeline step, written once; the webhook (when configured) hears of it until a post succeeds:
 * a retry after a worker died between the write and the post posts it, one after the post does not.
 */
export function incidentStepRecorder(pool: Pool, webhook?: AlertWebhook) {
  return async (
    incidentId: number,
    entry: { step: string; actor: string; message: string; status: IncidentStatus; details?: object },
  ): Promise<void> => {
    const pending = await recordIncidentStep(pool, incidentId, entry);
    if (!pending || !webhook) return;
    const { workflowId } = callingWorkflow();
    const [kind, ...key] = workflowId.split('/').slice(1);
    const posted = await postSigned(
      webhook,
      incidentWebhookBody({ incidentId, workflowId, kind: kind as IncidentKind, key: key.join('/'), ...entry }),
      {},
    );
    if (posted) await markIncidentStepNotified(pool, incidentId, entry.step);
  };
}

/**
 * Incident activities. Each is safe to repeat (a retry or a worker killed mid-step): the incident
 * row is one per run, a timeline step is written and notified once, and an override or a tenant's
 * status set or cleared twice ends the same.
 */
export function createIncidentActivities(
  pool: Pool,
  providers: ProviderDirectory,
  webhook?: AlertWebhook,
  monitorsFile?: string,
) {
  const step = incidentStepRecorder(pool, webhook);

  return {
    async openIncident(opening: {
      kind: IncidentKind;
      key: string;
      reason: string;
      actor: string;
      alertKey?: string;
    }): Promise<number> {
      const { workflowId, runId } = callingWorkflow();
      const incidentId = await openIncident(pool, { ...opening, workflowId, runId });
      await step(incidentId, {
        step: 'detect',
        actor: opening.actor,
        message: opening.alertKey ? `alert ${opening.alertKey}: ${opening.reason}` : opening.reason,
        status: 'mitigating',
      });
      return incidentId;
    },

    /**
     * Every gateway sends the model's calls to the backup first (a route override), or caps their
     * output tokens (a latency spike's other mitigation); either marked with this incident.
     */
    async mitigateProviderOutage(input: {
      incidentId: number;
      model: string;
      backup?: string;
      maxTokens?: number;
      /** A drill's tenant: only its calls move. */
      tenant?: string;
      actor: string;
      reason: string;
    }): Promise<void> {
      const mark = {
        model: input.model,
        reason: input.reason,
        actor: input.actor,
        incident: callingWorkflow().workflowId,
      };
      if (input.backup)
        await setRouteOverride(pool, { ...mark, tenant: input.tenant, backup: input.backup }, providers.config);
      else await setOutputCap(pool, { ...mark, maxTokens: input.maxTokens! });
      const whose = input.tenant ? `tenant ${input.tenant}'s calls` : 'calls';
      await step(input.incidentId, {
        step: 'mitigate',
        actor: input.actor,
        message: input.backup
          ? `${input.model}'s ${whose} go to ${input.backup} first on every gateway`
          : `${input.model}'s calls ask for at most ${input.maxTokens} output tokens on every gateway`,
        status: 'mitigated',
      });
    },

    /** Seed 000's latency runbook for the model: context lengths, providers and versions against the usual week. */
    async investigateModel(input: { incidentId: number; model: string }): Promise<LatencyCause> {
      const findings = await investigateLatency(pool, input.model);
      await step(input.incidentId, {
        step: 'investigate',
        actor: 'flightdeck',
        message: latencySummary(findings),
        status: 'mitigated',
        details: { latency: findings },
      });
      return findings.cause;
    },

    /** The model at its provider, or as a drill's tenant sees it (its fault fails the probe). */
    async probeModel(input: { model: string; tenant?: string }): Promise<ProbeResult> {
      return probeModelAs(pool, providers, input.model, input.tenant);
    },

    /** The undo: the model's calls go to it first again (only this incident's override is cleared). */
    async restoreProviderRoute(input: {
      incidentId: number;
      model: string;
      tenant?: string;
      actor: string;
      reason: string;
    }): Promise<void> {
      // Whichever this incident set (each clears only its own).
      const mark = {
        model: input.model,
        reason: input.reason,
        actor: input.actor,
        incident: callingWorkflow().workflowId,
      };
      await clearRouteOverride(pool, { ...mark, tenant: input.tenant });
      await clearOutputCap(pool, mark);
      await step(input.incidentId, {
        step: 'restore',
        actor: input.actor,
        message: `${input.model}'s calls are served as before again (no backup first, no cap): ${input.reason}`,
        status: 'restoring',
      });
    },

    async recordIncidentStep(input: {
      incidentId: number;
      step: string;
      actor: string;
      message: string;
      status: IncidentStatus;
      details?: Record<string, unknown>;
    }): Promise<void> {
      await step(input.incidentId, input);
    },

    async attributeTenantSpend(input: { tenant: string; windowMinutes: number }): Promise<SpendAttribution> {
      return attributeSpend(pool, input.tenant, { windowMinutes: input.windowMinutes });
    },

    /** A rung of the cost ladder: warn notifies; throttle and kill change the tenant (marked with this incident). */
    async applyCostStep(input: {
      incidentId: number;
      tenant: string;
      step: CostStep;
      throttleRpm?: number;
      spend: SpendAttribution;
      reason: string;
    }): Promise<void> {
      const incident = callingWorkflow().workflowId;
      if (input.step !== 'warn')
        await applyTenantStep(pool, {
          tenant: input.tenant,
          step: input.step,
          throttleRpm: input.throttleRpm,
          incident,
          reason: input.reason,
        });
      const pace = `$${input.spend.usdPerHour.toFixed(2)}/h, usual $${input.spend.baselineUsdPerHour.toFixed(2)}/h`;
      await step(input.incidentId, {
        step: input.step,
        actor: 'flightdeck',
        message:
          input.step === 'warn'
            ? `warning for ${input.tenant}'s account owner (the incident webhook carries it): spending ${pace} (likely cause: ${input.spend.cause})`
            : input.step === 'throttle'
              ? `${input.tenant} throttled to ${input.throttleRpm} requests a minute per gateway (${pace})`
              : `${input.tenant} killed: every request refused (${pace})`,
        status: 'mitigated',
        details: { spentUsd: input.spend.spentUsd, ratio: input.spend.ratio },
      });
    },

    /** The undo of throttle or kill, by the person who resolved the incident (only what this incident set). */
    async restoreTenant(input: { incidentId: number; tenant: string; actor: string; reason: string }): Promise<void> {
      const restored = await restoreTenantFromIncident(pool, { ...input, incident: callingWorkflow().workflowId });
      await step(input.incidentId, {
        step: 'restore',
        actor: input.actor,
        message: restored
          ? `${input.tenant} served normally again: ${input.reason}`
          : `${input.tenant} left as it is (its status is no longer this incident's)`,
        status: 'restoring',
      });
    },

    async findPromptChanges(input: { prompt: string; hours: number }): Promise<PromptChanges> {
      return recentPromptChanges(pool, input.prompt, input.hours);
    },

    /** Production back to the version named (a retry moves to the same version, never one further back). */
    async rollBackProduction(input: { incidentId: number; prompt: string; to: string; reason: string }): Promise<void> {
      const moved = await rollbackProduction(pool, {
        name: input.prompt,
        to: input.to,
        reason: input.reason,
        actor: callingWorkflow().workflowId,
      });
      await step(input.incidentId, {
        step: 'mitigate',
        actor: 'flightdeck',
        message: `${input.prompt}: production ${moved.from} -> ${moved.to} (rolled back)`,
        status: 'mitigated',
      });
    },

    /**
     * After the rollout was told to roll back: wait up to 20 s for it to put 100% on stable, else
     * write the route here (audited as forced), as `flightdeck rollback` does.
     */
    async ensureStableRoute(input: { incidentId: number; prompt: string; reason: string }): Promise<void> {
      const deadline = Date.now() + 20_000;
      while ((await hasLiveCandidate(pool, input.prompt)) && Date.now() < deadline) {
        Context.current().heartbeat();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const forced = await hasLiveCandidate(pool, input.prompt);
      if (forced)
        await restoreStable(pool, {
          prompt: input.prompt,
          actor: callingWorkflow().workflowId,
          reason: input.reason,
          details: { forced: true, why: 'the rollout did not roll back within 20 s' },
        });
      await step(input.incidentId, {
        step: 'mitigate',
        actor: 'flightdeck',
        message: `${input.prompt}: canary aborted, 100% on stable${forced ? ' (route written directly: the rollout did not answer)' : ''}`,
        status: 'mitigated',
      });
    },

    /** The worst-scored answers of the window, kept in the timeline for the postmortem and new test cases. */
    async collectEvidence(input: { incidentId: number; prompt: string; hours: number }): Promise<number> {
      const answers = await worstAnswers(pool, input.prompt, input.hours);
      await step(input.incidentId, {
        step: 'evidence',
        actor: 'flightdeck',
        message: answers.length
          ? `${answers.length} worst-scored answers kept (lowest ${answers[0]!.score.toFixed(2)}); \`flightdeck incident show\` lists them`
          : 'no judged answers in the window',
        status: 'mitigated',
        details: { prompt: input.prompt, answers },
      });
      return answers.length;
    },

    async alertIsOpen(input: { key: string }): Promise<boolean> {
      return alertIsOpen(pool, input.key);
    },

    /** The alert's rule over the minutes since the rollback alone (the monitors file read now). */
    async judgeSinceMitigation(input: { alertKey: string; minutes: number }): Promise<{
      verdict: SinceVerdict;
      reason: string;
    }> {
      return judgeAlertSince(pool, loadMonitorRules(monitorsFile), input.alertKey, input.minutes);
    },

    /** The rollback proved wrong (the alert stayed): production goes back to where the incident found it. */
    async undoRollback(input: { incidentId: number; prompt: string; to: string }): Promise<void> {
      await moveLabel(pool, {
        name: input.prompt,
        label: PRODUCTION,
        version: input.to,
        actor: callingWorkflow().workflowId,
        reason: 'the rollback did not bring the alert back in bounds: undone',
      });
      await step(input.incidentId, {
        step: 'undo',
        actor: 'flightdeck',
        message: `${input.prompt}: production back on ${input.to} (the rollback did not help)`,
        status: 'escalated',
      });
    },
  };
}

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;
