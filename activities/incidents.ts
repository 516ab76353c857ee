import { Context } from '@temporalio/activity';
import type { Pool } from '../src/db/pool';
import { openIncident, recordIncidentStep } from '../src/incidents/incidentStore';
import { probeModel, type ProbeResult } from '../src/incidents/providerProbe';
import type { IncidentKind, IncidentStatus } from '../src/model/incident';
import type { ProviderDirectory } from '../src/providers/directory';
import { clearRouteOverride, setRouteOverride } from '../src/routing/routeOverrides';

/** The calling incident workflow's run: its id is the mark its route override carries. */
function callingWorkflow(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('incident activities run inside an incident workflow');
  return execution;
}

/**
 * Incident activities. Each is safe to repeat (a retry or a worker killed mid-step): the incident
 * row is one per run, a timeline step is written once, and the override set or cleared twice ends
 * the same.
 */
export function createIncidentActivities(pool: Pool, providers: ProviderDirectory) {
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
      await recordIncidentStep(pool, incidentId, {
        step: 'detect',
        actor: opening.actor,
        message: opening.alertKey ? `alert ${opening.alertKey}: ${opening.reason}` : opening.reason,
        status: 'mitigating',
      });
      return incidentId;
    },

    /** Every gateway sends the model's calls to the backup first (a route override marked with this incident). */
    async mitigateProviderOutage(input: {
      incidentId: number;
      model: string;
      backup: string;
      actor: string;
      reason: string;
    }): Promise<void> {
      await setRouteOverride(
        pool,
        {
          model: input.model,
          backup: input.backup,
          reason: input.reason,
          actor: input.actor,
          incident: callingWorkflow().workflowId,
        },
        providers.config,
      );
      await recordIncidentStep(pool, input.incidentId, {
        step: 'mitigate',
        actor: input.actor,
        message: `${input.model}'s calls go to ${input.backup} first on every gateway`,
        status: 'mitigated',
      });
    },

    async probeModel(input: { model: string }): Promise<ProbeResult> {
      return probeModel(providers, input.model);
    },

    /** The undo: the model's calls go to it first again (only this incident's override is cleared). */
    async restoreProviderRoute(input: {
      incidentId: number;
      model: string;
      actor: string;
      reason: string;
    }): Promise<void> {
      await clearRouteOverride(pool, {
        model: input.model,
        reason: input.reason,
        actor: input.actor,
        incident: callingWorkflow().workflowId,
      });
      await recordIncidentStep(pool, input.incidentId, {
        step: 'restore',
        actor: input.actor,
        message: `${input.model}'s calls go to it first again: ${input.reason}`,
        status: 'restoring',
      });
    },

    async recordIncidentStep(input: {
      incidentId: number;
      step: 'escalate' | 'close';
      actor: string;
      message: string;
      status: IncidentStatus;
      details?: Record<string, unknown>;
    }): Promise<void> {
      await recordIncidentStep(pool, input.incidentId, input);
    },
  };
}

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;
