import { disablePrompt, enablePrompt } from '../../registry/promptKillSwitch';
import { lazy } from '../../util/lazy';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { InputError } from '../../errors';
import { diffVersions } from '../../registry/diff';
import { moveLabel } from '../../registry/labels';
import { readPromptFile } from '../../registry/promptFile';
import { parsePromptReference } from '../../registry/reference';
import { listPrompts, promptHistory, pushPrompts, resolvePrompt } from '../../registry/registry';
import { renderPrompt } from '../../registry/render';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
const labelMoves = lazy(
  () => require('../../control/scheduleLabelMove') as typeof import('../../control/scheduleLabelMove'),
);

function parseVars(text: string | undefined, file: string | undefined): Record<string, unknown> {
  const source = file ? readFileSync(file, 'utf8') : (text ?? '{}');
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new InputError(
      `--vars${file ? '-file' : ''} is not valid JSON (${(error as Error).message}); pass an object such as '{"question":"Where is my order?"}'`,
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new InputError('--vars must be a JSON object mapping variable names to values');
  return value as Record<string, unknown>;
}

export function registerPromptCommands(program: Command): void {
  const prompt = program.command('prompt').description('The prompt registry: versions, labels, rendering');

  promptPushCommand(prompt);
  promptListCommand(prompt);
  promptShowCommand(prompt);
  promptHistoryCommand(prompt);
  promptDiffCommand(prompt);
  promptLabelCommand(prompt);
  promptRenderCommand(prompt);
  promptSwitchCommands(prompt);
}

/** The prompt's kill switch, by hand (the security playbook turns it on for an incident). */
function promptSwitchCommands(prompt: Command): void {
  for (const [name, description] of [
    ['disable', 'Switch the prompt off: every gateway refuses its requests (403 prompt_disabled) until it is enabled'],
    ['enable', 'Serve the prompt again after `prompt disable` (or a security incident) switched it off'],
  ] as const)
    prompt
      .command(name)
      .description(description)
      .argument('<name>', 'prompt name')
      .requiredOption('--reason <text>', 'why, for the audit trail')
      .option('--json', 'machine-readable output')
      .action(async (promptName: string, opts: { reason: string; json?: boolean }) => {
        const input = { prompt: promptName, reason: opts.reason, actor: currentActor() };
        const { changed } = await withDatabase((db) =>
          name === 'disable' ? disablePrompt(db.pool, input) : enablePrompt(db.pool, input),
        );
        emit(opts.json, { prompt: promptName, disabled: name === 'disable', changed }, () =>
          changed
            ? `${promptName} ${name}d. Gateways apply it within a second.`
            : `${promptName} is already ${name}d; nothing to do.`,
        );
      });
}

function promptPushCommand(prompt: Command): void {
  prompt
    .command('push')
    .description('Register prompt versions from YAML files (all or nothing)')
    .argument('<files...>', 'prompt files (YAML)')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const parsed = files.map(readPromptFile); // every file is validated before anything is written
      const results = await withDatabase((db) => pushPrompts(db.pool, parsed, currentActor()));
      emit(opts.json, results, () =>
        results
          .map((r) =>
            r.outcome === 'unchanged'
              ? `${r.name}@${r.version}: unchanged (identical content already registered; nothing to do)`
              : `${r.name}@${r.version}: registered (${r.contentHash.slice(0, 12)})${r.labels.length ? ` labels: ${r.labels.join(', ')}` : ''}`,
          )
          .join('\n'),
      );
    });
}

function promptListCommand(prompt: Command): void {
  prompt
    .command('list')
    .description('List prompts with their latest version and labels')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const prompts = await withDatabase((db) => listPrompts(db.pool));
      emit(opts.json, prompts, () =>
        prompts.length
          ? table(
              ['NAME', 'LATEST', 'VERSIONS', 'LABELS'],
              prompts.map((p) => [
                p.disabled ? `${p.name} (disabled)` : p.name,
                p.latestVersion,
                p.versions,
                Object.entries(p.labels)
                  .map(([l, v]) => `${l}=${v}`)
                  .join(' '),
              ]),
            )
          : 'No prompts yet. Register one with `flightdeck prompt push examples/prompts/*.yaml`.',
      );
    });
}

function promptShowCommand(prompt: Command): void {
  prompt
    .command('show')
    .description('Show one version: <name>, <name>@<version> or <name>@<label> (default: production)')
    .argument('<ref>', 'prompt reference')
    .option('--json', 'machine-readable output')
    .action(async (text: string, opts: { json?: boolean }) => {
      const ref = parsePromptReference(text);
      const found = await withDatabase((db) => resolvePrompt(db.pool, ref.name, ref.ref));
      emit(opts.json, found, () =>
        [
          `${found.name}@${found.version}  (${found.status}, hash ${found.contentHash.slice(0, 12)}, by ${found.createdBy} at ${formatTime(found.createdAt)})`,
          `model: ${found.spec.model}   params: ${JSON.stringify(found.spec.params)}`,
          `variables: ${
            Object.entries(found.spec.variables)
              .map(([n, v]) => `${n}:${v.type}${v.required ? '' : '?'}`)
              .join(', ') || 'none'
          }`,
          found.spec.template.system === undefined ? '' : `--- system ---\n${found.spec.template.system}`,
          `--- user ---\n${found.spec.template.user}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}

function promptHistoryCommand(prompt: Command): void {
  prompt
    .command('history')
    .description('Versions and label moves of a prompt')
    .argument('<name>', 'prompt name')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const history = await withDatabase((db) => promptHistory(db.pool, name));
      emit(opts.json, history, () =>
        [
          table(
            ['VERSION', 'HASH', 'STATUS', 'LABELS', 'BY', 'AT'],
            history.versions.map((v) => [
              v.version,
              v.contentHash.slice(0, 12),
              v.status,
              v.labels.join(','),
              v.createdBy,
              formatTime(v.createdAt),
            ]),
          ),
          '',
          table(
            ['AT', 'LABEL', 'FROM', 'TO', 'BY', 'REASON'],
            history.labelMoves.map((m) => [formatTime(m.ts), m.label, m.from, m.to, m.actor, m.reason]),
          ),
        ].join('\n'),
      );
    });
}

function promptDiffCommand(prompt: Command): void {
  prompt
    .command('diff')
    .description('Compare two versions: template as a unified diff, plus changed fields')
    .argument('<name>', 'prompt name')
    .argument('<a>', 'version or label')
    .argument('<b>', 'version or label')
    .option('--json', 'machine-readable output')
    .action(async (name: string, a: string, b: string, opts: { json?: boolean }) => {
      const diff = await withDatabase(async (db) =>
        diffVersions(await resolvePrompt(db.pool, name, a), await resolvePrompt(db.pool, name, b)),
      );
      emit(opts.json, diff, () =>
        [
          diff.templateDiff || 'template: identical',
          ...diff.changedFields.map((f) => `${f.field}: ${JSON.stringify(f.from)} -> ${JSON.stringify(f.to)}`),
        ].join('\n'),
      );
    });
}

function promptLabelCommand(prompt: Command): void {
  prompt
    .command('label')
    .description('Point a label (production, staging, any name) at a version; audited and broadcast to gateways')
    .argument('<name>', 'prompt name')
    .argument('<version>', 'version to label')
    .argument('<label>', 'label name')
    .option('--reason <text>', 'why, for the audit trail', 'manual label move')
    .option('--at <time>', 'move later, at this ISO time, via a durable Temporal workflow')
    .option('--json', 'machine-readable output')
    .action(
      async (name: string, version: string, label: string, opts: { reason: string; at?: string; json?: boolean }) => {
        if (opts.at) {
          const at = opts.at;
          const { withTemporalClient } = temporal();
          const { scheduleLabelMove } = labelMoves();
          const scheduled = await withTemporalClient(loadEnv(), (client) =>
            scheduleLabelMove(client, { name, ref: version, label, reason: opts.reason, at, actor: currentActor() }),
          );
          emit(
            opts.json,
            scheduled,
            () =>
              `Scheduled: ${name} ${label} -> ${version} at ${opts.at} (workflow ${scheduled.workflowId}; see it in the Temporal UI)`,
          );
          return;
        }
        const result = await withDatabase((db) =>
          moveLabel(db.pool, { name, label, version, actor: currentActor(), reason: opts.reason }),
        );
        emit(opts.json, result, () =>
          result.changed
            ? `${name}: ${label} ${result.from ?? '(none)'} -> ${result.to}`
            : `${name}: ${label} already points at ${result.to}; nothing to do`,
        );
      },
    );
}

function promptRenderCommand(prompt: Command): void {
  prompt
    .command('render')
    .description('Render a version with typed variables, exactly as it would be sent')
    .argument('<ref>', 'prompt reference, e.g. support-answer@1.2.0')
    .option('--vars <json>', 'variables as a JSON object')
    .option('--vars-file <path>', 'variables from a JSON file')
    .option('--json', 'machine-readable output')
    .action(async (text: string, opts: { vars?: string; varsFile?: string; json?: boolean }) => {
      const ref = parsePromptReference(text);
      const vars = parseVars(opts.vars, opts.varsFile);
      const found = await withDatabase((db) => resolvePrompt(db.pool, ref.name, ref.ref));
      const rendered = renderPrompt(found.spec, vars);
      emit(opts.json, { name: found.name, version: found.version, ...rendered }, () =>
        [
          `# ${found.name}@${found.version} -> ${rendered.model}`,
          rendered.system === undefined ? '' : `--- system ---\n${rendered.system}`,
          `--- user ---\n${rendered.user}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}
