import { checkProcessors } from './processor-check';

describe('checkProcessors', () => {
  it('accepts one processor per queue', () => {
    expect(checkProcessors(['a', 'b'], ['b', 'a'])).toEqual([]);
  });
  it('names a queue without a processor, with two, and a processor for an unknown queue', () => {
    expect(checkProcessors(['a', 'b'], ['a', 'a', 'c'])).toEqual(['queue "a" has 2 processors', 'queue "b" has no processor', 'processor for unknown queue "c"']);
  });
});
