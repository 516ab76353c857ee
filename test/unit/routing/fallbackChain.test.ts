import { fallbackChain } from '../../../src/routing/fallbackChain';
import type { ProviderConfig } from '../../../src/providers/config';

describe('fallback chains', () => {
  const config: ProviderConfig = {
    providers: { simulator: { api: 'openai' }, azure: { api: 'openai' }, 'simulator-anthropic': { api: 'anthropic' } },
    models: [
      { match: 'claude-*', provider: 'simulator-anthropic' },
      { match: '*', provider: 'simulator' },
    ],
  };

  it('resolves each model to its provider, honours provider/model, and drops repeats', () => {
    expect(fallbackChain('gpt-4o', ['azure/gpt-4o', 'claude-haiku', 'gpt-4o', 'meta-llama/Llama-3'], config)).toEqual([
      { provider: 'simulator', model: 'gpt-4o' },
      { provider: 'azure', model: 'gpt-4o' },
      { provider: 'simulator-anthropic', model: 'claude-haiku' },
      { provider: 'simulator', model: 'meta-llama/Llama-3' },
    ]);
  });
});
