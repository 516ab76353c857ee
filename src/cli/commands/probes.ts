import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { FlightdeckError } from '../../errors';
import { alertWebhookFromEnv } from '../../monitoring/alertWebhook';
import { runProbePass } from '../../monitoring/syntheticProbes';
import { withDatabase } from '../context';
import { emit, table } from '../output';

export function registerProbeCommands(program: Command): void {
  const probes = program
    .command('probes')
    .description(
      'Synthetic probes: golden requests per production prompt through the gateway (a schedule runs them every 5 minutes)',
    );

  probes
    .command('run')
    .description(
      "Run one probe pass now: each production prompt's `probe`-tagged dataset cases (else its first 3) through every gateway as the synthetic tenant flightdeck-probes; failures raise alerts",
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const env = loadEnv();
      const gatewayUrls = env.FLIGHTDECK_GATEWAY_URLS ?? [`http://127.0.0.1:${env.FLIGHTDECK_GATEWAY_PORT}`];
      const pass = await withDatabase((db) =>
        runProbePass(db.pool, { gatewayUrls, webhook: alertWebhookFromEnv(env), actor: currentActor(env) }),
      );
      emit(opts.json, pass, () =>
        pass.results.length
          ? [
              table(
                ['PROMPT', 'CASE', 'GATEWAY', 'VERSION', 'MS', 'RESULT'],
                pass.results.map((r) => [
                  r.prompt,
                  r.caseId,
                  r.gateway,
                  r.version,
                  r.latencyMs,
                  r.passed ? 'pass' : `FAIL ${r.reason}`,
                ]),
              ),
              `${pass.raised} alert(s) raised, ${pass.resolved} resolved; see \`flightdeck alerts list\`.`,
            ].join('\n')
          : 'Nothing to probe: no production prompt has a stored dataset (`flightdeck eval run` stores one).',
      );
      const failed = pass.results.filter((r) => !r.passed).length;
      if (failed)
        throw new FlightdeckError(
          `${failed} golden request(s) failed; see the list above and \`flightdeck alerts list\``,
        );
    });
}
