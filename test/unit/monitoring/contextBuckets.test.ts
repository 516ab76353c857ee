import { contextBucketOf, contextBucketSql, CONTEXT_BUCKETS } from '../../../src/monitoring/contextBuckets';

describe('context buckets', () => {
  it('puts each input size in the bucket whose bound it stays under', () => {
    expect([0, 999, 1000, 7999, 8000, 31_999, 32_000, 127_999, 128_000, 2_000_000].map(contextBucketOf)).toEqual([
      'under-1k',
      'under-1k',
      '1k-8k',
      '1k-8k',
      '8k-32k',
      '8k-32k',
      '32k-128k',
      '32k-128k',
      '128k-up',
      '128k-up',
    ]);
  });

  it('writes the same bounds in SQL, the last bucket as the ELSE', () => {
    const sql = contextBucketSql('r.input_tokens');
    for (const bucket of CONTEXT_BUCKETS.slice(0, -1))
      expect(sql).toContain(`WHEN r.input_tokens < ${bucket.below} THEN '${bucket.name}'`);
    expect(sql).toMatch(/ELSE '128k-up' END$/);
  });
});
