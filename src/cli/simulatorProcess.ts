import type { Env } from '../config/env';
import { startSimulator, type RunningSimulator } from '../simulator/server';

export async function simulatorAnswers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** The simulator on FLIGHTDECK_SIMULATOR_PORT: the running one if it answers, else one started here. */
export async function ensureSimulator(env: Env, log: (line: string) => void): Promise<RunningSimulator | undefined> {
  if (await simulatorAnswers(env.FLIGHTDECK_SIMULATOR_PORT)) {
    log(`Simulator: using the one already on port ${env.FLIGHTDECK_SIMULATOR_PORT}`);
    return undefined;
  }
  const simulator = await startSimulator({
    port: env.FLIGHTDECK_SIMULATOR_PORT,
    adminToken: env.FLIGHTDECK_SIMULATOR_ADMIN_TOKEN,
  });
  log(`Simulator: started on ${simulator.url}`);
  return simulator;
}
