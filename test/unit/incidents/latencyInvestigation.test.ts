import { latencyFindings, latencySummary, type LatencyGroup } from '../../../src/incidents/latencyInvestigation';
import { bucketOf, emptyHistogram } from '../../../src/monitoring/histogram';

/** `requests` calls all taking about `ms`. */
function group(over: Partial<LatencyGroup> & { ms: number }): LatencyGroup {
  const requests = over.requests ?? 100;
  const hist = emptyHistogram();
  hist[bucketOf(over.ms)] = requests;
  return {
    provider: 'openai',
    context: 'under-1k',
    prompt: 'support',
    version: '1.0.0',
    inputTokens: 500 * requests,
    outputTokens: 200 * requests,
    ...over,
    requests,
    hist,
  };
}

describe('latencyFindings', () => {
  const usual = [group({ ms: 800, requests: 900 }), group({ ms: 4000, requests: 100, context: '8k-32k' })];

  it('blames longer inputs when the long-context share grew', () => {
    const window = [group({ ms: 800, requests: 50 }), group({ ms: 4000, requests: 50, context: '8k-32k' })];
    const found = latencyFindings('m', 30, window, usual);
    expect(found.cause).toBe('longer-contexts');
    expect(found.contexts.find((c) => c.context === '8k-32k')).toMatchObject({ share: 0.5, baselineShare: 0.1 });
  });

  it("blames longer answers when a version's output tokens per call grew", () => {
    const window = [
      group({ ms: 2000, requests: 90, version: '1.1.0', outputTokens: 600 * 90 }),
      group({ ms: 4000, requests: 10, context: '8k-32k', version: '1.1.0', outputTokens: 600 * 10 }),
    ];
    const found = latencyFindings('m', 30, window, usual);
    expect(found.cause).toBe('longer-outputs');
    expect(found.advice).toMatch(/max_tokens/);
    // A version the baseline never saw has no usual to compare.
    expect(found.versions).toEqual([
      expect.objectContaining({ version: '1.1.0', outputTokens: 600, baselineOutputTokens: null }),
    ]);
  });

  it('blames the provider when the same inputs take longer, and names it', () => {
    const window = [group({ ms: 9000, requests: 90 }), group({ ms: 20_000, requests: 10, context: '8k-32k' })];
    const found = latencyFindings('m', 30, window, usual);
    expect(found.cause).toBe('slower-provider');
    expect(found.providers[0]!.p99Ms!).toBeGreaterThan(2 * found.providers[0]!.baselineP99Ms!);
    expect(latencySummary(found)).toMatch(
      /^m p99 \d+ ms in 30 min against \d+ ms usual; likely cause: slower-provider/,
    );
  });

  it('says unclear without a baseline or without traffic, rather than guessing', () => {
    expect(latencyFindings('m', 30, [group({ ms: 9000 })], []).cause).toBe('unclear');
    expect(latencyFindings('m', 30, [], usual)).toMatchObject({ cause: 'unclear', p99Ms: null });
  });
});
