export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __flightdeckStops?: Array<() => Promise<void>> }).__flightdeckStops ?? [];
  for (const stop of stops.reverse()) await stop();
}
