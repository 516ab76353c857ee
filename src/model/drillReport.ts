import type { DrillCheck, DrillView } from './drill';

const timing = (c: DrillCheck) => (c.seconds === undefined ? '' : ` (${c.seconds.toFixed(1)} s)`);

/** One line per check: PASS or FAIL, its name, its timing and what was seen. */
export function checkLines(checks: readonly DrillCheck[]): string[] {
  return checks.map((c) => `${c.passed ? 'PASS' : 'FAIL'}  ${c.name}${timing(c)}: ${c.detail}`);
}

/** Passed when every check passed (and there was at least one). */
export function checksPassed(checks: readonly DrillCheck[]): boolean {
  return checks.length > 0 && checks.every((c) => c.passed);
}

/** The Temporal UI's details for a drill: a list, legible in the UI's markdown (no tables, no glyphs). */
export function drillDetails(view: DrillView): string {
  return [
    `**Drill ${view.kind}** on tenant \`${view.tenant}\`${view.dryRun ? ' (dry run)' : ''}`,
    '',
    `- status: **${view.status}**`,
    `- step: ${view.step}`,
    ...(view.summary ? [`- ${view.summary}`] : []),
    ...(view.checks.length ? ['', ...checkLines(view.checks).map((line) => `- ${line}`)] : []),
  ].join('\n');
}
