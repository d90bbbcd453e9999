import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseSidecar, ReferenceSearch, type Reference } from '../../src/core';

const root = path.resolve(__dirname, '..', '..', '..');
const example = parseSidecar('file:///examples/kropotkin-meets-lenin.yaml', fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.yaml'), 'utf8'));

/** A library large enough for the prefilter, with the example's works hidden among generated ones. */
function library(size: number): Reference[] {
  const syllables = ['ka', 'lo', 'min', 'ter', 'vas', 'ri', 'dol', 'sen', 'mar', 'tov', 'bel', 'qui'];
  const words = ['history', 'revolution', 'theory', 'letters', 'memoirs', 'society', 'anarchy', 'prison', 'bread', 'exile'];
  const generated: Reference[] = [];
  for (let n = 0; generated.length + example.references.length < size; n++) {
    const family = syllables[n % 12] + syllables[Math.floor(n / 12) % 12] + syllables[Math.floor(n / 144) % 12];
    const year = 1800 + ((n * 37) % 200);
    const id = `${family}${year}-${n}`;
    const item = { id, title: `${words[n % 10]} and ${words[(n * 3) % 10]}`, author: [{ family: family[0].toUpperCase() + family.slice(1), given: 'Anna' }], issued: { 'date-parts': [[year]] } };
    generated.push({ id, item, source: { uri: 'file:///library.json', span: { start: 0, end: 0 }, line: 0 } });
  }
  // The example's works in the middle, not first, so that order alone cannot find them.
  const half = Math.floor(generated.length / 2);
  return [...generated.slice(0, half), ...example.references, ...generated.slice(half)];
}

describe('citation search over a large library', () => {
  const references = library(6000);
  const search = new ReferenceSearch(references);
  const top = (query: string): string[] => search.search(query, 3).map((r) => r.id);

  it('finds author plus year, an author with one letter wrong, title words and a key prefix in the top 3', () => {
    assert.ok(top('woodcock 1950').includes('woodcock1950'), top('woodcock 1950').join());
    assert.ok(top('woodcok').includes('woodcock1950'), top('woodcok').join());
    assert.ok(top('anarchist prince').includes('woodcock1950'), top('anarchist prince').join());
    assert.ok(top('shub19').includes('shub1953'), top('shub19').join());
  });

  it('finds a generated item by its author and year, and by its key', () => {
    const target = references[4321];
    const family = (target.item.author as { family: string }[])[0].family;
    const year = String((target.item.issued as { 'date-parts': number[][] })['date-parts'][0][0]);
    assert.ok(top(`${family} ${year}`).includes(target.id), top(`${family} ${year}`).join());
    assert.strictEqual(top(target.id)[0], target.id);
  });

  it('reads words in any script, outside the Basic Multilingual Plane too', () => {
    const extra = (id: string, title: string, family: string): Reference => ({ id, item: { id, title, author: [{ family }], issued: { 'date-parts': [[1906]] } }, source: { uri: 'file:///library.json', span: { start: 0, end: 0 }, line: 0 } });
    const withScripts = new ReferenceSearch([
      ...references.slice(0, 3000),
      extra('kropotkin1906', 'Записки революционера', 'Кропоткин'),
      extra('yoshino1906', '𠮷野家の歴史', '𠮷田'),
      ...references.slice(3000),
    ]);
    assert.strictEqual(withScripts.search('записки', 3)[0]?.id, 'kropotkin1906');
    assert.strictEqual(withScripts.search('кропоткин 1906', 3)[0]?.id, 'kropotkin1906');
    assert.strictEqual(withScripts.search('𠮷野家', 3)[0]?.id, 'yoshino1906');
    assert.strictEqual(withScripts.search('𠮷田', 3)[0]?.id, 'yoshino1906');
  });

  it('answers every keystroke of a query, and nothing for a query that matches nothing', () => {
    for (let n = 1; n <= 'woodcock'.length; n++) assert.ok(Array.isArray(search.search('woodcock'.slice(0, n))));
    assert.strictEqual(top('woodcock')[0], 'woodcock1950');
    assert.deepStrictEqual(search.search('zzzzqqq'), []);
  });
});
