import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import { DRILL_KINDS } from '../model/drill';
import { TASK_QUEUE } from './connection';

/** The periodic jobs (DESIGN §4): the daily scheduled eval, the monitor pass and the judge's answer sampling every minute, the nightly usage reconciliation, synthetic probes every five minutes, the weekly jailbreak canary and the quarterly kill drills. */
export const SCHEDULES: ScheduleOptions[] = [
  {
    scheduleId: 'flightdeck-scheduled-eval',
    spec: { calendars: [{ hour: 6, minute: 0, comment: 'daily, 06:00 UTC' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledEvalWorkflow',
      taskQueue: TASK_QUEUE,
      workflowId: 'scheduled-eval',
      args: [],
    },
    memo: {
      description:
        'Evaluate the production version of every prompt with a dataset; alert on a drop against the last passing run.',
    },
  },
  {
    scheduleId: 'flightdeck-monitors',
    spec: { intervals: [{ every: '1 minute' }] },
    // A pass still running when the next is due is not doubled: the next minute catches up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    action: {
      type: 'startWorkflow',
      workflowType: 'monitorPassWorkflow',
      taskQueue: TASK_QUEUE,
      workflowId: 'monitor-pass',
      args: [],
    },
    memo: { description: 'Judge every monitor rule over the request rollups; raise and resolve alerts.' },
  },
  {
    scheduleId: 'flightdeck-answer-sampling',
    // Every minute: a sampled score reaches the judge-score windows (five minutes long) a minute after its answer.
    spec: { intervals: [{ every: '1 minute' }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5 minutes' },
    action: {
      type: 'startWorkflow',
      workflowType: 'answerSamplingWorkflow',
      taskQueue: TASK_QUEUE,
      workflowId: 'answer-sampling',
      args: [],
    },
    memo: {
      description:
        "The judge scores a sample of production answers within the day's judge budget (judge_score monitors).",
    },
  },
  {
    scheduleId: 'flightdeck-usage-reconciliation',
    // Providers' reports settle an hour or so after midnight.
    spec: { calendars: [{ hour: 2, minute: 0, comment: 'daily, 02:00 UTC' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'usageReconciliationWorkflow',
      taskQueue: TASK_QUEUE,
      workflowId: 'usage-reconciliation',
      args: [],
    },
    memo: { description: "Yesterday's request log against each provider's usage report; differences are alerts." },
  },
  {
    scheduleId: 'flightdeck-synthetic-probes',
    spec: { intervals: [{ every: '5 minutes' }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5 minutes' },
    action: {
      type: 'startWorkflow',
      workflowType: 'syntheticProbesWorkflow',
      taskQueue: TASK_QUEUE,
      workflowId: 'synthetic-probes',
      args: [],
    },
    memo: {
      description:
        'Golden requests per production prompt through the gateways as the synthetic probe tenant; a failure is an alert.',
    },
  },
  {
    scheduleId: 'flightdeck-jailbreak-canaries',
    spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 9, minute: 0, comment: 'weekly, Monday 09:00 UTC' }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    action: {
      type: 'startWorkflow',
      workflowType: 'weeklyCanaryWorkflow',
      taskQueue: TASK_QUEUE,
      workflowId: 'canaries-weekly',
      args: [{}],
    },
    memo: {
      description:
        'The jailbreak suite against every production prompt and live candidate as the synthetic canary tenant; a rise is an alert, an attack that came back a security incident.',
    },
  },
  ...DRILL_KINDS.map((kind, i): ScheduleOptions => ({
    scheduleId: `flightdeck-drill-${kind}`,
    // Quarterly, on a weekday afternoon a week apart (never at 2 a.m.: people should be around).
    spec: {
      calendars: [
        {
          month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'],
          dayOfMonth: 15 + 7 * i,
          hour: 14,
          minute: 0,
          comment: `quarterly, the ${15 + 7 * i}th of Jan/Apr/Jul/Oct, 14:00 UTC`,
        },
      ],
    },
    // A drill missed by more than 15 minutes is skipped, not fired late (perhaps into an outage).
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '15 minutes' },
    action: {
      type: 'startWorkflow',
      workflowType: 'drillWorkflow',
      taskQueue: TASK_QUEUE,
      workflowId: `drill/${kind}/scheduled`,
      args: [{ kind, id: 'scheduled', actor: 'schedule' }],
    },
    memo: {
      description: `The ${kind} kill drill on the synthetic drill tenant; its stop conditions skip it while real traffic has an alert.`,
    },
  })),
];

export interface InstalledSchedule {
  id: string;
  outcome: 'created' | 'updated';
}

/** Create each schedule, or bring an existing one up to date: safe to run any number of times. */
export async function installSchedules(client: Client, schedules = SCHEDULES): Promise<InstalledSchedule[]> {
  const installed: InstalledSchedule[] = [];
  for (const options of schedules) {
    try {
      await client.schedule.create(options);
      installed.push({ id: options.scheduleId, outcome: 'created' });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action as typeof previous.action,
        policies: { ...previous.policies, ...options.policies },
      }));
      installed.push({ id: options.scheduleId, outcome: 'updated' });
    }
  }
  return installed;
}

export interface ScheduleState {
  id: string;
  installed: boolean;
  nextRuns: string[];
  recentRuns: number;
  paused: boolean;
}

export async function describeSchedules(client: Client, schedules = SCHEDULES): Promise<ScheduleState[]> {
  return Promise.all(
    schedules.map(async ({ scheduleId }) => {
      try {
        const d = await client.schedule.getHandle(scheduleId).describe();
        return {
          id: scheduleId,
          installed: true,
          nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
          recentRuns: d.info.recentActions.length,
          paused: d.state.paused,
        };
      } catch (error) {
        if (error instanceof ScheduleNotFoundError)
          return { id: scheduleId, installed: false, nextRuns: [], recentRuns: 0, paused: false };
        throw error;
      }
    }),
  );
}
