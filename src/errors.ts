/**
 * Errors that carry the CLI exit code of DESIGN §3: 1 failure, 2 bad usage or bad input, 3 eval gate.
 * Every boundary throws one of these so the CLI (and later the gateway) can answer precisely.
 */
export class FlightdeckError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 | 3 = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller gave us something wrong; the message says what and how to fix it. Exit code 2. */
export class InputError extends FlightdeckError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Something named does not exist (prompt, version, label). Also bad input: exit code 2. */
export class NotFoundError extends InputError {}

/** Render zod issues as "field: problem" lines under a heading that names the source. */
export function describeZodIssues(
  source: string,
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): string {
  const lines = issues.map((issue) => {
    const field = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `  - ${field}: ${issue.message}`;
  });
  return `${source} is invalid:\n${lines.join('\n')}`;
}
