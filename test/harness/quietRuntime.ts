import { installWorkerRuntime } from '../../workers/runtime';

// Gateways' operator log (provider failures the fault tests cause on purpose) stays out of test output.
process.env.FLIGHTDECK_OPERATOR_LOG ??= 'off';

// Each test file's workers log at WARN, so test output shows failures rather than worker chatter.
try {
  installWorkerRuntime('WARN');
} catch {
  // Already installed in this process by an earlier test file: it is the same setting.
}
