import * as assert from 'assert';
import { buildIndex, loadTextContext, parseSidecar, ParseCache, type Diagnostic, type FileContent } from '../../src/core';
import { fileUri, indexText, MemoryReader, people } from './helpers';

/** Code, severity and line of each diagnostic, in order of line. */
function codes(diagnostics: readonly Diagnostic[]): [string, string, number][] {
  return [...diagnostics].sort((a, b) => a.range.start.line - b.range.start.line).map((d) => [d.code, d.severity, d.range.start.line]);
}

describe('sidecar loading', () => {
  it('reads people with every field', () => {
    const sidecar = parseSidecar(
      fileUri('essay.yaml'),
      `people:
  kropotkin:
    name: Peter Kropotkin
    aliases: [Kropotkin]
    born: 1842
    died: "1921-02-08"
    description: Geographer
    bio: |
      Wrote *Mutual Aid*.
    links:
      Wikipedia: https://en.wikipedia.org/wiki/Peter_Kropotkin
    image: img/kropotkin.jpg
    implicit: true
`,
    );
    assert.deepStrictEqual(sidecar.diagnostics, []);
    const p = sidecar.people[0];
    assert.deepStrictEqual(
      { key: p.key, name: p.name, aliases: p.aliases, born: p.born, died: p.died, description: p.description, bio: p.bio, links: p.links, image: p.image, implicit: p.implicit, line: p.source.line },
      {
        key: 'kropotkin',
        name: 'Peter Kropotkin',
        aliases: ['Kropotkin'],
        born: '1842',
        died: '1921-02-08',
        description: 'Geographer',
        bio: 'Wrote *Mutual Aid*.\n',
        links: [{ label: 'Wikipedia', url: 'https://en.wikipedia.org/wiki/Peter_Kropotkin' }],
        image: fileUri('img/kropotkin.jpg'),
        implicit: true,
        line: 1,
      },
    );
  });

  it('reports a YAML syntax error at its line and column', () => {
    const sidecar = parseSidecar(fileUri('essay.yaml'), 'people:\n  a:\n    name: A\n  b: [unclosed\n');
    assert.strictEqual(sidecar.valid, false);
    const d = sidecar.diagnostics.find((x) => x.code === 'yaml-syntax');
    assert.ok(d);
    assert.strictEqual(d.severity, 'error');
    assert.strictEqual(d.range.start.line >= 3, true);
  });

  it('reports a person without a name, a reference without an id, and keys defined twice', () => {
    const sidecar = parseSidecar(
      fileUri('essay.yaml'),
      'people:\n  a:\n    born: 1900\n  b:\n    name: B\n  b:\n    name: B again\nreferences:\n  - title: No id\n  - id: x\n  - id: x\n',
    );
    assert.deepStrictEqual(codes(sidecar.diagnostics), [
      ['person-without-name', 'error', 1],
      ['duplicate-key', 'error', 5],
      ['reference-without-id', 'error', 8],
      ['duplicate-key', 'error', 10],
    ]);
    assert.deepStrictEqual(sidecar.people.map((p) => p.name), ['B']);
    assert.deepStrictEqual(sidecar.references.map((r) => r.id), ['x']);
  });

  it('reports wrong types and unknown fields, and keeps the rest', () => {
    const sidecar = parseSidecar(
      fileUri('essay.yaml'),
      'people:\n  a:\n    name: 42\n  b:\n    name: B\n    aliases: Bee\n    links: [x]\n    colour: red\nextra: 1\n',
    );
    assert.deepStrictEqual(codes(sidecar.diagnostics), [
      ['invalid-value', 'error', 2],
      ['invalid-value', 'error', 5],
      ['invalid-value', 'error', 6],
      ['unknown-field', 'warning', 7],
      ['unknown-field', 'warning', 8],
    ]);
    assert.deepStrictEqual(sidecar.people.map((p) => [p.key, p.aliases]), [['b', []]]);
  });

  it('reads references as CSL items', () => {
    const sidecar = parseSidecar(fileUri('essay.yaml'), people);
    const shub = sidecar.references.find((r) => r.id === 'shub1953');
    assert.ok(shub);
    assert.deepStrictEqual(shub.item.author, [{ family: 'Shub', given: 'David' }]);
    assert.deepStrictEqual(shub.item.issued, { 'date-parts': [[1953]] });
  });

  it('refuses a root that is not a mapping', () => {
    const sidecar = parseSidecar(fileUri('essay.yaml'), '- a\n- b\n');
    assert.deepStrictEqual(codes(sidecar.diagnostics), [['invalid-value', 'error', 0]]);
  });

  it('accepts an empty file and a byte order mark', () => {
    assert.deepStrictEqual(parseSidecar(fileUri('a.yaml'), '').diagnostics, []);
    const bom = parseSidecar(fileUri('a.yaml'), '\uFEFFpeople:\n  a:\n    name: A\n');
    assert.deepStrictEqual(bom.diagnostics, []);
    assert.strictEqual(bom.people.length, 1);
  });
});

describe('finding sidecars', () => {
  it('uses <stem>.yaml next to the text', async () => {
    const index = await indexText('Lenin', people);
    assert.deepStrictEqual(index.sidecars, [fileUri('essay.yaml')]);
    assert.strictEqual(index.mentions.length, 1);
  });

  it('falls back to <stem>.yml', async () => {
    const index = await indexText('Lenin', undefined, { 'essay.yml': people });
    assert.deepStrictEqual(index.sidecars, [fileUri('essay.yml')]);
  });

  it('prefers .yaml over .yml, with a warning', async () => {
    const index = await indexText('Lenin', people, { 'essay.yml': 'people: {}\n' });
    assert.deepStrictEqual(index.sidecars, [fileUri('essay.yaml')]);
    assert.deepStrictEqual(codes(index.diagnostics.filter((d) => d.code === 'ambiguous-sidecar')), [['ambiguous-sidecar', 'warning', 0]]);
  });

  it('warns when there is no sidecar, and still indexes the text', async () => {
    const index = await indexText('Text [@x] and Lenin.');
    assert.deepStrictEqual(codes(index.diagnostics.filter((d) => d.code === 'no-sidecar')), [['no-sidecar', 'warning', 0]]);
    assert.strictEqual(index.citations.length, 1);
  });

  it('takes the sidecar: key, a path or a list, relative to the text, merging in order', async () => {
    const text = '---\nsidecar: [shared/people.yaml, local.yaml]\n---\n[[a]] [[b]] [@r]';
    const index = await indexText(text, undefined, {
      'shared/people.yaml': 'people:\n  a:\n    name: A from shared\nreferences:\n  - id: r\n    title: Shared\n',
      'local.yaml': 'people:\n  a:\n    name: A again\n  b:\n    name: B\n',
    });
    assert.deepStrictEqual(index.sidecars, [fileUri('shared/people.yaml'), fileUri('local.yaml')]);
    assert.strictEqual(index.registry.people.get('a')?.name, 'A from shared');
    const dup = index.diagnostics.filter((d) => d.code === 'duplicate-key');
    assert.deepStrictEqual(dup.map((d) => [d.uri, d.range.start.line]), [[fileUri('local.yaml'), 1]]);
    assert.strictEqual(index.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'duplicate-key').length, 0);
  });

  it('reports a named sidecar that is missing, at its line in the front matter', async () => {
    const index = await indexText('---\ntitle: T\nsidecar: gone.yaml\n---\nText');
    const d = index.diagnostics.find((x) => x.code === 'missing-file');
    assert.ok(d);
    assert.deepStrictEqual([d.severity, d.range.start.line], ['error', 2]);
  });

  it('loads CSL-JSON bibliographies named in the sidecar, relative to it', async () => {
    const index = await indexText('[@big1] [@shub1953]', `${people}bibliography: refs/library.json\n`, {
      'refs/library.json': JSON.stringify([{ id: 'big1', title: 'Big', author: [{ family: 'Lib' }] }, { id: 'shub1953', title: 'Duplicate' }], null, 1),
    });
    assert.strictEqual(index.registry.references.get('big1')?.item.title, 'Big');
    assert.strictEqual(index.registry.references.get('shub1953')?.item.title, 'Kropotkin and Lenin');
    assert.deepStrictEqual(
      index.diagnostics.map((d) => d.code),
      ['duplicate-key'],
    );
  });

  it('reports a missing bibliography on the sidecar line that names it', async () => {
    const index = await indexText('Text', 'people: {}\nbibliography: nowhere.json\n');
    const d = index.diagnostics.find((x) => x.code === 'missing-file');
    assert.ok(d);
    assert.deepStrictEqual([d.uri, d.range.start.line], [fileUri('essay.yaml'), 1]);
  });

  it('reads the files a text names together, not one after another, with the same result and diagnostics in the same order', async () => {
    const text = '---\nsidecar: [a.yaml, b.yaml, gone.yaml]\nbibliography: [front.json, broken.json]\n---\n[[a]] [[b]] [@ra] [@rb] [@rf] [@none]';
    const files = {
      'a.yaml': 'people:\n  a:\n    name: A\nbibliography: [a.json, missing.json]\n',
      'b.yaml': 'people:\n  b:\n    name: B\nbibliography: b.json\n',
      'a.json': JSON.stringify([{ id: 'ra', title: 'A' }]),
      'b.json': JSON.stringify([{ id: 'rb', title: 'B' }]),
      'front.json': JSON.stringify([{ id: 'rf', title: 'F' }]),
      'broken.json': '[{"id": ',
    };
    // Each read settles a little later, as an editor's reads do; the reader notes how many had settled when each began.
    class SlowReader extends MemoryReader {
      private settled = 0;
      readonly settledBefore = new Map<string, number>();
      override async read(fileUri: string, maxBytes: number): Promise<FileContent | undefined> {
        this.settledBefore.set(fileUri.slice(fileUri.lastIndexOf('/') + 1), this.settled);
        await new Promise((resolve) => setTimeout(resolve, 5));
        this.settled++;
        return super.read(fileUri, maxBytes);
      }
    }
    const uri = fileUri('essay.annot.md');
    const slow = new SlowReader(files);
    const together = buildIndex({ uri, text }, await loadTextContext(uri, text, slow));
    // The front matter's sidecars and bibliographies at once, before any had settled; then those the sidecars name, at once.
    const waves = new Map<number, string[]>();
    for (const [file, settled] of slow.settledBefore) waves.set(settled, [...(waves.get(settled) ?? []), file].sort());
    assert.deepStrictEqual(
      [...waves],
      [
        [0, ['a.yaml', 'b.yaml', 'broken.json', 'front.json', 'gone.yaml']],
        [5, ['a.json', 'b.json', 'missing.json']],
      ],
    );
    const alone = buildIndex({ uri, text }, await loadTextContext(uri, text, new MemoryReader(files)));
    assert.deepStrictEqual(
      together.diagnostics.map((d) => [d.uri, d.code, d.range.start.line]),
      alone.diagnostics.map((d) => [d.uri, d.code, d.range.start.line]),
    );
    assert.deepStrictEqual([...together.registry.references.keys()], ['ra', 'rb', 'rf']);
    assert.deepStrictEqual(
      together.diagnostics.map((d) => d.code),
      ['unknown-citation', 'missing-file', 'missing-file', 'unreadable-file'],
    );
  });

  it('keeps serving the last good sidecar when it breaks, and says so', async () => {
    const cache = new ParseCache(true);
    const reader = new MemoryReader({ 'essay.yaml': people });
    const uri = fileUri('essay.annot.md');
    const text = 'Lenin';
    const good = buildIndex({ uri, text }, await loadTextContext(uri, text, reader, cache));
    assert.strictEqual(good.mentions[0].person, 'lenin');
    reader.files.set(fileUri('essay.yaml'), `${people}\n  broken: [\n`);
    const stale = buildIndex({ uri, text }, await loadTextContext(uri, text, reader, cache));
    assert.strictEqual(stale.mentions[0].person, 'lenin');
    assert.deepStrictEqual(stale.registry.staleSidecars, [fileUri('essay.yaml')]);
    assert.ok(stale.diagnostics.some((d) => d.code === 'yaml-syntax'));
    assert.ok(stale.diagnostics.some((d) => d.code === 'stale-sidecar'));
  });
});
