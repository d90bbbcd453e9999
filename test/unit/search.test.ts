import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseSidecar, PeopleSearch, ReferenceSearch } from '../../src/core';

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

  it('returns nothing for a query that matches nothing', () => {
    assert.deepStrictEqual(references.search('zzzzqqq'), []);
  });

  it('finds people by name and alias', () => {
    const search = new PeopleSearch(example.people);
    assert.strictEqual(search.search('kropotkin')[0]?.key, 'kropotkin');
    assert.strictEqual(search.search('Ленин')[0]?.key, 'lenin');
  });
});
