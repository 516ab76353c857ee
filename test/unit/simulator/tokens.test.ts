import { countTokens, streamPieces } from '../../../src/simulator/tokens';

describe('simulator tokens', () => {
  it('counts roughly like BPE and streams every character', () => {
    expect(countTokens('Hello, world!')).toBe(4);
    const text = 'The refund window is 30 days.';
    expect(streamPieces(text).join('')).toBe(text);
  });
});
