import * as assert from 'assert';
import fc from 'fast-check';
import type { Reference } from '../../src/core';
import { ReferencesById } from '../../src/core/referenceLayers';

function reference(id: string, n: number): Reference {
  return { id, item: { id }, source: { uri: 'file:///library.json', span: { start: n, end: n }, line: n } };
}

describe('references by id', () => {
  it('finds, keeps out and lists references as a Map does, however many ids share a slot', () => {
    // Short ids from few letters repeat often; with a table of 16 slots and up to 300 ids, most share a slot with others.
    const id = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', 'é', '𝔄', '"'), maxLength: 4 }), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.array(id, { maxLength: 300 }), fc.array(id, { maxLength: 20 }), fc.nat({ max: 400 }), (ids, others, expected) => {
        const byId = new ReferencesById(expected % 3 === 0 ? 0 : expected);
        const map = new Map<string, Reference>();
        ids.forEach((key, n) => {
          const added = reference(key, n);
          assert.strictEqual(byId.add(added), !map.has(key), `add ${JSON.stringify(key)}`);
          if (!map.has(key)) map.set(key, added);
        });
        assert.strictEqual(byId.size, map.size);
        assert.deepStrictEqual([...byId.inOrder()], [...map.values()]);
        assert.deepStrictEqual([...byId.values()], [...map.values()]);
        assert.deepStrictEqual([...byId.keys()], [...map.keys()]);
        assert.deepStrictEqual([...byId], [...map]);
        const each: [string, Reference][] = [];
        byId.forEach((value, key, self) => {
          assert.strictEqual(self, byId);
          each.push([key, value]);
        });
        assert.deepStrictEqual(each, [...map]);
        for (const key of [...ids, ...others, '']) {
          assert.strictEqual(byId.get(key), map.get(key), `get ${JSON.stringify(key)}`);
          assert.strictEqual(byId.has(key), map.has(key));
        }
      }),
      { numRuns: 300 },
    );
  });
});
