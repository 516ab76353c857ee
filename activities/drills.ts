import { Context } from '@temporalio/activity';
import type { Pool } from '../src/db/pool';
import { injectDrillFault, revertDrillFaults } from '../src/drills/drillFaults';
import { pushDrillVersions } from '../src/drills/drillPrompt';
import { saveDrillRun } from '../src/drills/drillRuns';
import { driveTraffic, servedVersion, summarizeTraffic, type TrafficSummary } from '../src/drills/drillTraffic';
import { drillStopReason } from '../src/drills/stopConditions';
import { ensureSyntheticTenant, mintSyntheticKey } from '../src/tenants/syntheticTenant';
import { InputError, NotFoundError } from '../src/errors';
import { getIncident } from '../src/incidents/incidentStore';
import type { DrillInput, DrillView } from '../src/model/drill';
import { drillOutageKey, incidentWorkflowId } from '../src/model/incident';
import { loadMonitorsFile } from '../src/monitoring/monitorRules';
import type { ProviderConfig } from '../src/providers/config';
import { moveLabel, PRODUCTION, rollbackProduction } from '../src/registry/labels';
import { parseTarget } from '../src/routing/fallbackChain';

export interface DrillActivityOptions {
  /** Every gateway the drill's traffic and version checks go to (FLIGHTDECK_GATEWAY_URLS). */
  gatewayUrls: readonly string[];
  monitorsFile?: string;
  providerConfig: ProviderConfig;
}

/** Heartbeat about once a second while `work` runs; the heartbeat also delivers the activity's cancellation. */
async function beating<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), 1000);
  try {
    return await work(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

export function createDrillActivities(pool: Pool, options: DrillActivityOptions) {
  const gateways = options.gatewayUrls;
  const actorOf = (drill: string) => `drill ${drill}`;
  return {
    /**
     * Everything a drill needs, checked before anything is injected: the synthetic tenant (created
     * on first use, a real one refused), a reachable gateway, and for a provider kill a model with a
     * backup and a provider-outage rule to start the playbook. Returns the model and its backup.
     */
    async prepareDrill(input: DrillInput & { workflowId: string }): Promise<{ model?: string; backup?: string }> {
      if (!gateways.length)
        throw new InputError(
          'The worker knows no gateway to drill through: set FLIGHTDECK_GATEWAY_URLS (comma-separated)',
        );
      await ensureSyntheticTenant(pool, input.tenant, input.actor);
      for (const url of gateways) {
        const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        if (!ready?.ok)
          throw new Error(`The gateway at ${url} is not ready (${ready ? `HTTP ${ready.status}` : 'no answer'})`);
      }
      if (input.kind !== 'provider-kill') return {};
      const { rules, playbooks } = loadMonitorsFile(options.monitorsFile);
      const backups = playbooks.provider_outage.backups;
      const model = input.model ?? Object.keys(backups)[0];
      if (!model || !backups[model])
        throw new InputError(
          `${model ? `Model ${model} has` : 'No model has'} a backup under playbooks.provider_outage.backups in the monitors file: the outage playbook would have nowhere to send its calls`,
        );
      if (!rules.some((r) => r.playbook === 'provider-outage' && r.by.length === 1 && r.by[0] === 'model'))
        throw new InputError(
          'No monitor rule by model starts the provider-outage playbook: nothing would detect the drill',
        );
      parseTarget(model, options.providerConfig);
      parseTarget(backups[model]!, options.providerConfig);
      return { model, backup: backups[model] };
    },

    async drillStopReason(): Promise<string | undefined> {
      return drillStopReason(pool);
    },

    async saveDrillReport(view: DrillView): Promise<void> {
      await saveDrillRun(pool, view);
    },

    /** Switch the model off for the drill tenant; returns when (epoch ms, Postgres' clock). */
    async injectDrillFault(input: { tenant: string; model: string; drill: string; minutes: number }): Promise<number> {
      const fault = await injectDrillFault(pool, { ...input, actor: actorOf(input.drill) });
      const { rows } = await pool.query<{ created_at: Date }>(
        'SELECT created_at FROM drill_faults WHERE tenant_id = $1 AND model = $2',
        [fault.tenant, fault.model],
      );
      return rows[0]!.created_at.getTime();
    },

    async revertDrillFaults(input: { drill: string; reason: string }): Promise<number> {
      return (await revertDrillFaults(pool, { drill: input.drill, actor: actorOf(input.drill), reason: input.reason }))
        .length;
    },

    /**
     * The drill tenant's calls to the model until `until` answers in a row come from `want` (the
     * backup while the fault is on, the model again after it), or `maxSeconds`.
     */
    async driveDrillTraffic(input: {
      tenant: string;
      model: string;
      want: string;
      backup: string;
      inARow: number;
      requestsPerSecond: number;
      maxSeconds: number;
      drill: string;
    }): Promise<TrafficSummary & { wantedAt?: number }> {
      const apiKey = await mintSyntheticKey(pool, input.tenant, actorOf(input.drill));
      const settled = (answers: readonly { model?: string }[]) =>
        answers.length >= input.inARow && answers.slice(-input.inARow).every((a) => a.model === input.want);
      const answers = await beating((signal) =>
        driveTraffic({
          gatewayUrl: gateways[0]!,
          apiKey,
          model: input.model,
          requestsPerSecond: input.requestsPerSecond,
          maxSeconds: input.maxSeconds,
          enough: settled,
          signal,
        }),
      );
      const wanted = answers.find((a) => a.model === input.want);
      return { ...summarizeTraffic(answers, input.backup), wantedAt: wanted?.at };
    },

    /** The drill's outage incident, once the watch started it: when it opened, was mitigated and closed (epoch ms). */
    async drillIncident(input: { model: string; tenant: string; since: number }): Promise<{
      workflowId: string;
      status?: string;
      openedAt?: number;
      mitigatedAt?: number;
      resolvedAt?: number;
      resolvedBy?: string;
    }> {
      const workflowId = incidentWorkflowId('provider-outage', drillOutageKey(input.model, input.tenant));
      const incident = await getIncident(pool, workflowId).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (!incident || incident.openedAt.getTime() < input.since) return { workflowId };
      return {
        workflowId,
        status: incident.status,
        openedAt: incident.openedAt.getTime(),
        mitigatedAt: incident.timeline.find((s) => s.step === 'mitigate')?.at.getTime(),
        resolvedAt: incident.resolvedAt?.getTime(),
        resolvedBy: incident.resolvedBy ?? undefined,
      };
    },

    async pushDrillPrompt(input: { prompt: string; model: string; drill: string }) {
      return pushDrillVersions(pool, { ...input, actor: actorOf(input.drill) });
    },

    /** Put production on `version` (a promotion), or roll it back one step (`rollback`). */
    async moveDrillProduction(input: {
      prompt: string;
      version?: string;
      drill: string;
      reason: string;
    }): Promise<string> {
      const mark = { name: input.prompt, actor: actorOf(input.drill), reason: input.reason };
      const moved = input.version
        ? await moveLabel(pool, { ...mark, label: PRODUCTION, version: input.version })
        : await rollbackProduction(pool, mark);
      return moved.to;
    },

    /**
     * Ask every gateway which version of the prompt it serves the drill tenant, until all serve
     * `version` or `withinSeconds` pass. Returns how long it took (ms) and what each served last.
     */
    async gatewaysServe(input: {
      tenant: string;
      prompt: string;
      version: string;
      withinSeconds: number;
      drill: string;
    }): Promise<{ ms: number; served: Record<string, string> }> {
      const apiKey = await mintSyntheticKey(pool, input.tenant, actorOf(input.drill));
      const started = Date.now();
      const served: Record<string, string> = {};
      return beating(async (signal) => {
        for (;;) {
          await Promise.all(
            gateways.map(async (url) => {
              served[url] = await servedVersion(url, apiKey, input.prompt).catch(
                (error: Error) => `error: ${error.message.slice(0, 200)}`,
              );
            }),
          );
          const ms = Date.now() - started;
          if (
            Object.values(served).every((v) => v === input.version) ||
            ms > input.withinSeconds * 1000 ||
            signal.aborted
          )
            return { ms, served };
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
    },
  };
}

export type DrillActivities = ReturnType<typeof createDrillActivities>;
