/**
 * Detail meant for operators, not tenants (raw provider errors, internal failures): one JSON line
 * on stderr per event, at most `PER_SECOND` lines per event kind each second so a flood of bad
 * requests cannot flood the log; the next line after a quiet spell says how many were suppressed.
 * FLIGHTDECK_OPERATOR_LOG=off silences it (the test suite does).
 */
const PER_SECOND = 20;
const windows = new Map<string, { second: number; lines: number; suppressed: number }>();

export function operatorLog(
  event: string,
  fields: Record<string, unknown>,
  sink: (line: string) => void = (line) => process.stderr.write(line),
): void {
  if (process.env.FLIGHTDECK_OPERATOR_LOG === 'off') return;
  const second = Math.floor(Date.now() / 1000);
  let window = windows.get(event);
  if (!window || window.second !== second) {
    const suppressed = window?.suppressed ?? 0;
    window = { second, lines: 0, suppressed: 0 };
    windows.set(event, window);
    if (suppressed) fields = { ...fields, suppressed_before: suppressed };
  }
  if (window.lines >= PER_SECOND) {
    window.suppressed++;
    return;
  }
  window.lines++;
  sink(`${JSON.stringify({ ts: new Date().toISOString(), level: 'warn', event, ...fields })}\n`);
}
