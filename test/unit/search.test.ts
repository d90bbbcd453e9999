import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import Fuse from 'fuse.js';
import { authorsShort, parseSidecar, PeopleSearch, ReferenceSearch, yearOf, type CslName, type Reference } from '../../src/core';

const root = path.resolve(__dirname, '..', '..', '..');
const example = parseSidecar('file:///examples/kropotkin-meets-lenin.yaml', fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.yaml'), 'utf8'));

describe('search', () => {
  const references = new ReferenceSearch(example.references);
  const top = (query: string): string[] => references.search(query).slice(0, 3).map((r) => r.id);

  it('finds a reference by author and year', () => {
    assert.strictEqual(top('woodcock 1950')[0], 'woodcock1950');
  });

  it('finds an author with one letter wrong', () => {
    assert.strictEqual(top('woodcok')[0], 'woodcock1950');
  });

  it('finds by title words', () => {
    assert.ok(top('anarchist prince').includes('woodcock1950'));
  });

  it('finds by key prefix', () => {
    assert.ok(top('shub')[0] === 'shub1953');
  });

  it('ranks as fuse.js over every reference, each word on its own', () => {
    // The ranking spelled out with fuse.js alone: each word must match some field, and the sum of their scores ranks.
    const records = example.references.map((reference) => ({
      reference,
      authors: [authorsShort(reference.item), ...((reference.item.author ?? []) as CslName[]).map((n) => [n.given, n.family, n.literal].filter(Boolean).join(' '))].join(' '),
      year: yearOf(reference.item.issued),
      title: reference.item.title ?? '',
      id: reference.id,
    }));
    const fuse = new Fuse(records, { keys: [{ name: 'authors', weight: 3 }, { name: 'year', weight: 1 }, { name: 'title', weight: 2 }, { name: 'id', weight: 2 }], ignoreLocation: true, includeScore: true, threshold: 0.4 });
    const fuseRanking = (query: string): string[] => {
      const words = query.split(' ');
      if (words.length === 1) return fuse.search(query).map((r) => r.item.id);
      let scores = new Map(fuse.search(words[0]).map((r) => [r.item.id, r.score ?? 1]));
      for (const word of words.slice(1)) {
        const hits = new Map(fuse.search(word).map((r) => [r.item.id, r.score ?? 1]));
        scores = new Map([...scores].filter(([id]) => hits.has(id)).map(([id, score]) => [id, score + (hits.get(id) ?? 0)]));
      }
      return [...scores].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    };
    for (const query of ['woodcock 1950', 'kropotkin', 'kropotkin memoirs', 'lenin 1917 letters', 'the', 'a b', 'shub 19']) {
      assert.deepStrictEqual(
        references.search(query).map((r: Reference) => r.id),
        fuseRanking(query),
        query,
      );
    }
  });

  it('returns nothing for a query that matches nothing', () => {
    assert.deepStrictEqual(references.search('zzzzqqq'), []);
  });

  it('finds people by name and alias', () => {
    const search = new PeopleSearch(example.people);
    assert.strictEqual(search.search('kropotkin')[0]?.key, 'kropotkin');
    assert.strictEqual(search.search('Ленин')[0]?.key, 'lenin');
  });
});
