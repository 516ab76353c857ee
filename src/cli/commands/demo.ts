import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { currentActor, loadEnv } from '../../config/env';
import { moveLabel, rollbackProduction, STAGING, PRODUCTION } from '../../registry/labels';
import { readPromptFile } from '../../registry/promptFile';
import { promptHistory, pushPrompts, resolvePrompt } from '../../registry/registry';
import { renderPrompt } from '../../registry/render';
import { loadProviderConfig } from '../../providers/config';
import { ProviderDirectory } from '../../providers/directory';
import { cost } from '../../providers/pricing';
import { formatTime, table } from '../output';
import { scheduleLabelMove } from '../scheduleLabelMove';
import { startStack } from '../stack';
import { waitForShutdownSignal } from '../waitForSignal';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples', 'prompts');
const say = (line = '') => process.stdout.write(`${line}\n`);

/** The demo story; loaded only when `flightdeck demo` runs (it pulls in the Temporal SDK). */
export async function runDemo(opts: { exit?: boolean }): Promise<void> {
      const stack = await startStack(loadEnv(), (line) => process.stderr.write(`${line}\n`));
      try {
        const { pool } = stack.db;
        const actor = currentActor(stack.env);
        const name = 'support-answer';

        say('\n1. Push the example prompts (the first version of a prompt becomes production).');
        const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => readPromptFile(path.join(EXAMPLES, f)));
        for (const r of await pushPrompts(pool, files, actor)) say(`   ${r.name}@${r.version}: ${r.outcome}${r.labels.length ? ` [${r.labels.join(', ')}]` : ''}`);

        say('\n2. Render 1.1.0 with typed variables and call its model (the simulator, as no API keys are set).');
        const candidate = await resolvePrompt(pool, name, '1.1.0');
        const rendered = renderPrompt(candidate.spec, {
          question: 'How long do I have to return an item?',
          context: 'Items can be returned within 30 days of delivery. Refunds reach your card in 5 business days. Shipping is free over $50.',
        });
        const providers = new ProviderDirectory(loadProviderConfig(stack.env), stack.env);
        const completion = await providers.forModel(rendered.model).complete({ model: rendered.model, messages: rendered.messages, temperature: rendered.params.temperature, maxTokens: rendered.params.max_tokens });
        const usd = cost(completion.model, completion.usage);
        say(`   answer: ${completion.text}`);
        say(`   ${completion.provider}/${completion.model}: ${completion.usage.inputTokens} in, ${completion.usage.outputTokens} out, ${completion.latencyMs} ms, $${usd.usd.toFixed(6)}`);

        say('\n3. Move the staging label with a durable Temporal workflow (open the Temporal UI to watch it).');
        const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS });
        try {
          const client = new Client({ connection, namespace: stack.env.TEMPORAL_NAMESPACE });
          const at = new Date(Date.now() + 2000).toISOString();
          const { workflowId } = await scheduleLabelMove(client, { name, ref: '1.1.0', label: STAGING, reason: 'demo: stage the candidate', at, actor });
          const moved = await client.workflow.getHandle(workflowId).result();
          say(`   workflow ${workflowId}: staging ${moved.from ?? '(none)'} -> ${moved.to}`);
        } finally {
          await connection.close();
        }

        say('\n4. Promote 1.1.0 to production, then roll back in one step.');
        const promoted = await moveLabel(pool, { name, label: PRODUCTION, version: '1.1.0', actor, reason: 'demo: promote' });
        say(`   production ${promoted.from} -> ${promoted.to}`);
        const rolledBack = await rollbackProduction(pool, { name, reason: 'demo: rollback drill', actor });
        say(`   rollback: production ${rolledBack.from} -> ${rolledBack.to}`);

        say(`\n5. The audit trail of ${name}:`);
        const history = await promptHistory(pool, name);
        say(
          table(
            ['AT', 'LABEL', 'FROM', 'TO', 'BY', 'REASON'],
            history.labelMoves.slice(-6).map((m) => [formatTime(m.ts), m.label, m.from, m.to, m.actor, m.reason]),
          )
            .split('\n')
            .map((l) => `   ${l}`)
            .join('\n'),
        );
        say(`\nThe stack:\n${table(['SERVICE', 'WHERE'], stack.urls)}`);
        if (!opts.exit) {
          say('\nDemo done; the stack stays up. Try `npx flightdeck prompt list` in another terminal. Ctrl-C to stop.');
          await waitForShutdownSignal();
        }
      } finally {
        await stack.stop();
      }
}
