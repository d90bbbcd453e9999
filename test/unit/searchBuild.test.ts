import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { mergeRegistry, parseSidecar, peopleSearchFor, PeopleSearch, ReferenceSearch, referenceSearchFor, runNow, StepsCancelled, type Person, type Reference } from '../../src/core';
import { escapeBeyondAscii } from '../../src/core/ascii';
import { decodePrefilterTables, JoinedWords, listEnd } from '../../src/core/searchTables';

const root = path.resolve(__dirname, '..', '..', '..');
const exampleUri = 'file:///examples/kropotkin-meets-lenin.yaml';
const example = parseSidecar(exampleUri, fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.yaml'), 'utf8'));

const syllables = ['ka', 'lo', 'min', 'ter', 'vas', 'ri', 'dol', 'sen', 'mar', 'tov', 'bel', 'qui'];
const source = { uri: 'file:///library.json', span: { start: 0, end: 0 }, line: 0 };

function family(n: number): string {
  const name = syllables[n % 12] + syllables[Math.floor(n / 12) % 12] + syllables[Math.floor(n / 144) % 12];
  return name[0].toUpperCase() + name.slice(1);
}

/** Generated references with the example's in the middle, enough for the prefilter. */
function library(size: number): Reference[] {
  const words = ['history', 'revolution', 'theory', 'letters', 'memoirs', 'society', 'anarchy', 'prison', 'bread', 'exile'];
  const generated: Reference[] = [];
  for (let n = 0; generated.length + example.references.length < size; n++) {
    const year = 1800 + ((n * 37) % 200);
    const id = `${family(n).toLowerCase()}${year}-${n}`;
    generated.push({ id, item: { id, title: `${words[n % 10]} and ${words[(n * 3) % 10]}`, author: [{ family: family(n), given: 'Anna' }], issued: { 'date-parts': [[year]] } }, source });
  }
  const half = Math.floor(generated.length / 2);
  return [...generated.slice(0, half), ...example.references, ...generated.slice(half)];
}

/** Generated people with the example's in the middle, enough for the prefilter. */
function crowd(size: number): Person[] {
  const generated: Person[] = [];
  for (let n = 0; generated.length + example.people.length < size; n++) {
    const name = `${family(n * 7 + 3)} ${family(n)}`;
    generated.push({ key: `person${n}`, name, aliases: [family(n)], links: [], implicit: true, source });
  }
  const half = Math.floor(generated.length / 2);
  return [...generated.slice(0, half), ...example.people, ...generated.slice(half)];
}

/** A scheduler that counts the turns it gives. */
function countingScheduler(): { turns: number; scheduler: () => Promise<void> } {
  const counter = {
    turns: 0,
    scheduler: (): Promise<void> => {
      counter.turns++;
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
  return counter;
}

const ids = (found: readonly Reference[]): string[] => found.map((r) => r.id);

describe('search building', () => {
  const references = library(6000);
  const atOnce = new ReferenceSearch(references).prepare();
  const queries = ['woodcock 1950', 'woodcok', 'anarchist prince', 'shub19', 'memoirs exile', 'k', 'ka', 'zzzzqqq'];

  it('builds in slices, giving the event loop turns, and ranks as a search built at once', async () => {
    const counter = countingScheduler();
    const search = new ReferenceSearch(references);
    assert.strictEqual(search.isPrepared, false);
    assert.strictEqual(await search.prepareInSlices(counter.scheduler, { sliceMs: 0 }), search);
    assert.ok(search.isPrepared);
    assert.ok(counter.turns > 20, `only ${counter.turns} turns`);
    for (const query of queries) assert.deepStrictEqual(ids(search.search(query)), ids(atOnce.search(query)), query);
  });

  it('finishes a stepped build at once when searched meanwhile, and the stepped build then ends', async () => {
    const counter = countingScheduler();
    const search = new ReferenceSearch(references);
    const stepped = search.prepareInSlices(counter.scheduler, { sliceMs: 0 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(counter.turns >= 1 && !search.isPrepared, 'the stepped build is under way');
    assert.deepStrictEqual(ids(search.search('woodcock 1950')), ids(atOnce.search('woodcock 1950')));
    assert.ok(search.isPrepared);
    const turns = counter.turns;
    assert.strictEqual(await stepped, search);
    assert.ok(counter.turns <= turns + 1, `${counter.turns - turns} more turns after the build was done`);
  });

  it('shares one build between callers', async () => {
    const first = countingScheduler();
    const second = countingScheduler();
    const search = new ReferenceSearch(references);
    const [a, b] = await Promise.all([search.prepareInSlices(first.scheduler, { sliceMs: 0 }), search.prepareInSlices(second.scheduler, { sliceMs: 0 })]);
    assert.strictEqual(a, search);
    assert.strictEqual(b, search);
    assert.ok(first.turns > 0);
    assert.strictEqual(second.turns, 0);
  });

  it('goes on from where a cancelled or failed build stopped', async () => {
    const search = new ReferenceSearch(references);
    let turns = 0;
    await assert.rejects(search.prepareInSlices(() => Promise.resolve(), { sliceMs: 0, cancelled: () => ++turns > 3 }), StepsCancelled);
    assert.strictEqual(search.isPrepared, false);
    await assert.rejects(
      search.prepareInSlices(() => Promise.reject(new Error('no more turns')), { sliceMs: 0 }),
      /no more turns/,
    );
    const counter = countingScheduler();
    await search.prepareInSlices(counter.scheduler);
    assert.ok(search.isPrepared);
    for (const query of queries) assert.deepStrictEqual(ids(search.search(query)), ids(atOnce.search(query)), query);
  });

  it('ranks a query typed a key at a time as a fresh search ranks it', () => {
    // Each word's scores are kept from one keystroke to the next: they must not leak into another query's ranking.
    const typing = new ReferenceSearch(references).prepare();
    for (const query of ['anarchist prince', 'memoirs exile 1850', 'kropotkin memoirs']) {
      for (let n = 1; n <= query.length; n++) {
        const typed = query.slice(0, n);
        assert.deepStrictEqual(ids(typing.search(typed)), ids(new ReferenceSearch(references).search(typed)), typed);
      }
    }
  });

  it('keeps one search per registry, and a new one for a new registry', () => {
    const registry = mergeRegistry([example], new Map());
    assert.strictEqual(referenceSearchFor(registry), referenceSearchFor(registry));
    assert.strictEqual(peopleSearchFor(registry), peopleSearchFor(registry));
    const changed = mergeRegistry([example], new Map());
    assert.notStrictEqual(referenceSearchFor(changed), referenceSearchFor(registry));
    assert.notStrictEqual(peopleSearchFor(changed), peopleSearchFor(registry));
    assert.strictEqual(referenceSearchFor(registry).search('woodcok')[0]?.id, 'woodcock1950');
    assert.strictEqual(peopleSearchFor(registry).search('kropotkin')[0]?.key, 'kropotkin');
  });
});

describe('search tables kept with a record', () => {
  const references = library(6000);
  const people = crowd(5000);
  const built = new ReferenceSearch(references).prepare();
  const builtPeople = new PeopleSearch(people).prepare();
  const tables = runNow(new ReferenceSearch(references).tablesSteps()) as string;
  const peopleTables = runNow(new PeopleSearch(people).tablesSteps()) as string;
  const queries = ['woodcock 1950', 'woodcok', 'anarchist prince', 'shub19', 'memoirs exile', 'k', 'ka', 'zzzzqqq', 'Ленин'];

  it('give back a search that ranks every query as one built from the items', () => {
    const search = new ReferenceSearch(references, tables).prepare();
    assert.ok(search.fromRecordedTables);
    for (const query of queries) assert.deepStrictEqual(ids(search.search(query)), ids(built.search(query)), query);
    const found = new PeopleSearch(people, peopleTables).prepare();
    assert.ok(found.fromRecordedTables);
    for (const query of [...queries, 'kropotkin', 'kropotkn', people[3210].name, people[3210].key]) {
      assert.deepStrictEqual(found.search(query).map((p) => p.key), builtPeople.search(query).map((p) => p.key), query);
    }
  });

  it('are read back in steps, giving the event loop turns', async () => {
    const counter = countingScheduler();
    const search = await new ReferenceSearch(references, tables).prepareInSlices(counter.scheduler, { sliceMs: 0 });
    assert.ok(search.fromRecordedTables);
    assert.ok(counter.turns >= 3, `${counter.turns} turns`);
  });

  it('are written the same from a search built at once, in slices, or from the tables themselves', async () => {
    const sliced = new ReferenceSearch(references);
    await sliced.prepareInSlices(countingScheduler().scheduler, { sliceMs: 0 });
    assert.strictEqual(runNow(sliced.tablesSteps()), tables);
    assert.strictEqual(runNow(new ReferenceSearch(references, tables).tablesSteps()), tables);
    assert.strictEqual(runNow(new ReferenceSearch(references.slice(0, 100)).tablesSteps()), undefined, 'too few items for a prefilter');
  });

  it('are refused when their counts do not add up, and the search is built from the items', () => {
    const [format, count, words, head, holderLists, byGramLists] = tables.split('\t');
    const garbled: Record<string, string> = {
      'another layout': ['1', count, words, head, holderLists, byGramLists].join('\t'),
      'another item count': [format, '5999', words, head, holderLists, byGramLists].join('\t'),
      'a word too many': [format, count, `${words} extra`, head, holderLists, byGramLists].join('\t'),
      'a word too few': [format, count, words.slice(words.indexOf(' ') + 1), head, holderLists, byGramLists].join('\t'),
      'cut short': tables.slice(0, -1),
      'a digit too many': `${tables}A`,
      'a list digit too few': [format, count, words, head, holderLists.slice(1), byGramLists].join('\t'),
      'not a digit in the counts': [format, count, words, `${head.slice(0, 100)}!${head.slice(101)}`, holderLists, byGramLists].join('\t'),
      'a huge count': [format, count, words, `_________f${head}`, holderLists, byGramLists].join('\t'),
      'a field too many': `${tables}\t`,
      'a field too few': [format, count, words, head, holderLists].join('\t'),
      empty: '',
    };
    for (const [name, text] of Object.entries(garbled)) {
      const search = new ReferenceSearch(references, text).prepare();
      assert.strictEqual(search.fromRecordedTables, false, name);
      assert.deepStrictEqual(ids(search.search('woodcock 1950')), ids(built.search('woodcock 1950')), name);
    }
  });

  it('keep the words read back as one text, escaped as records keep it, each word as splitting it at spaces gives', () => {
    for (const text of ['', 'a', 'ab cd', 'a  b', ' x ', 'woodcock 1950 ленин', 'ленин л 𝔄b é éé x', 'avakumović ćwiek kć']) {
      const escaped = escapeBeyondAscii(text);
      assert.ok(!/[\u0080-\uffff]/.test(escaped));
      const words = new JoinedWords(escaped);
      const split = text === '' ? [] : text.split(' ');
      assert.strictEqual(words.count, split.length, JSON.stringify(text));
      assert.deepStrictEqual([...words.lengths()], split.map((word) => word.length), JSON.stringify(text));
      assert.strictEqual(words.escaped(), escaped);
      for (const [id, word] of split.entries()) {
        for (const prefix of ['', word.slice(0, 1), word.slice(0, 2), word, `${word}x`, `${word}é`, `${word} `, 'b', 'л', 'ле', 'ć', 'av']) assert.strictEqual(words.startsWith(id, prefix), word.startsWith(prefix), `${JSON.stringify(text)} ${id} ${prefix}`);
      }
    }
  });

  it('read each list when first asked for, and a list that does not read back whole as empty', () => {
    const [format, count, words, head, holderLists, byGramLists] = tables.split('\t');
    // Digits changed within the lists keep the counts: the tables are taken, and what a search gives stays within its items.
    for (const which of ['holders', 'pieces']) {
      const lists = which === 'holders' ? holderLists : byGramLists;
      for (let at = 5; at < lists.length; at += Math.floor(lists.length / 40)) {
        const changed = `${lists.slice(0, at)}${lists[at] === 'A' ? 'B' : lists[at] === '!' ? 'A' : '!'}${lists.slice(at + 1)}`;
        const fields = which === 'holders' ? [format, count, words, head, changed, byGramLists] : [format, count, words, head, holderLists, changed];
        const search = new ReferenceSearch(references, fields.join('\t')).prepare();
        assert.ok(search.fromRecordedTables, `${which} at ${at}`);
        for (const query of queries) for (const found of search.search(query)) assert.ok(references.includes(found), `${query}, ${which} at ${at}`);
      }
    }
    // A list no query reads is never read: a broken last list leaves every query's ranking as it was.
    const last = `${holderLists.slice(0, -1)}!`;
    const search = new ReferenceSearch(references, [format, count, words, head, last, byGramLists].join('\t')).prepare();
    assert.ok(search.fromRecordedTables);
    for (const query of ['woodcock 1950', 'anarchist prince', 'shub19']) assert.deepStrictEqual(ids(search.search(query)), ids(built.search(query)), query);
  });

  it("list under each piece of a word, found by its letters or by its number, just the words that hold it", () => {
    // Pieces of ASCII letters and digits are looked up one way, all others another: words of both, and of both mixed.
    const titles = ['Émile Zola 1898', "J'accuse zola1898", 'Ленин и Кропоткин', 'a b2 7x ÿz zÿ', 'aaaa banana ANANAS', 'ǅemal dž', 'x', 'abc bac acb cab bca cba ba 1ab b1a ab1'];
    const mixed = [...references.slice(0, 2000), ...titles.map((title, n) => ({ id: `mixed${n}`, item: { id: `mixed${n}`, title }, source }))];
    const text = runNow(new ReferenceSearch(mixed).tablesSteps()) as string;
    const decoded = runNow(decodePrefilterTables(text, mixed.length));
    assert.ok(decoded);
    const words = (JSON.parse(`"${decoded.words.escaped()}"`) as string).split(' ');
    // A word's pieces as the prefilter numbers them: its first letter, its first two, and every three in a row, repeats counted.
    const piecesOf = (word: string): number[] => {
      const code = (k: number): number => word.charCodeAt(k);
      const pieces = [-1 - code(0)];
      if (word.length >= 2) pieces.push(-0x1_0001 - code(0) * 0x1_0000 - code(1));
      for (let k = 0; k + 3 <= word.length; k++) pieces.push(code(k) * 0x1_0000_0000 + code(k + 1) * 0x1_0000 + code(k + 2));
      return pieces.sort((a, b) => a - b);
    };
    const listed = words.map((): number[] => []);
    for (let gram = 0; gram < decoded.gramKeys.length; gram++) {
      for (let at = decoded.byGram.start[gram], end = listEnd(decoded.byGram, gram); at < end; at++) listed[decoded.byGram.values[at]].push(decoded.gramKeys[gram]);
    }
    for (const [id, word] of words.entries()) assert.deepStrictEqual(listed[id].sort((a, b) => a - b), piecesOf(word), word);
    for (const word of ['émile', 'zola1898', 'ленин', 'ÿz', 'zÿ', 'b2', '7x', 'banana', 'ananas', 'ǆemal', 'dž']) assert.ok(words.includes(word), word);
  });
});

describe('people search among thousands', () => {
  const people = crowd(5000);
  const search = new PeopleSearch(people);
  const top = (query: string): string[] => search.search(query, 3).map((p) => p.key);

  it('finds a person by name, a misspelling, an alias in another script and the whole name', () => {
    assert.strictEqual(top('kropotkin')[0], 'kropotkin');
    assert.strictEqual(top('kropotkn')[0], 'kropotkin');
    assert.strictEqual(top('Ленин')[0], 'lenin');
    assert.strictEqual(top('peter kropotkin')[0], 'kropotkin');
  });

  it('finds a generated person by name and by key', () => {
    const target = people[3210];
    assert.ok(top(target.name).includes(target.key), `${target.name}: ${top(target.name).join()}`);
    assert.ok(top(target.key).includes(target.key), `${target.key}: ${top(target.key).join()}`);
  });
});
