import { cosine, embed } from '../../../src/simulator/embeddings';

describe('simulator embeddings', () => {
  it('are deterministic, normalised and meaningful', () => {
    const refund = embed('how do I get a refund for my order');
    expect(embed('how do I get a refund for my order')).toEqual(refund);
    expect(Math.hypot(...refund)).toBeCloseTo(1, 6);
    const similar = cosine(refund, embed('refund for my order please'));
    const unrelated = cosine(refund, embed('rocket engine thrust vectoring'));
    expect(similar).toBeGreaterThan(0.4);
    expect(similar).toBeGreaterThan(unrelated + 0.3);
  });
});

describe('simulator embeddings under a topic shift', () => {
  const centroid = (texts: string[]) => {
    const vectors = texts.map((t) => embed(t));
    return vectors[0]!.map((_, i) => vectors.reduce((sum, v) => sum + v[i]!, 0) / vectors.length);
  };
  it('moves the centroid away from the old topic', () => {
    const billing = ['refund for my order', 'my card was charged twice', 'refund the duplicate charge'];
    const moreBilling = ['charged twice for one order', 'where is my refund'];
    const shipping = ['my parcel is lost in transit', 'tracking number shows no movement'];
    const before = centroid(billing);
    expect(cosine(before, centroid(moreBilling))).toBeGreaterThan(cosine(before, centroid(shipping)));
  });
});
