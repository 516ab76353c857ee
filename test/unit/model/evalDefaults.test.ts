import { chunked } from '../../../src/model/evalDefaults';

describe('eval defaults', () => {
  it('chunks lists', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
