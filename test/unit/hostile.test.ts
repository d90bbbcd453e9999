import * as assert from 'assert';
import { spawnSync } from 'child_process';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import {
  buildIndexWithin,
  decodeFile,
  defaultLimits,
  loadTextContext,
  looksBinary,
  parseCslJson,
  parseCslJsonInPieces,
  parseSidecar,
  ParseCache,
  refusedIndex,
  sidecarLimits,
  type AnnotationIndex,
  type Diagnostic,
  type FileReader,
  type Limits,
} from '../../src/core';
import { fileUri, MemoryReader } from './helpers';

const root = path.resolve(__dirname, '..', '..', '..');
const hostileDir = path.join(root, 'test', 'fixtures', 'hostile');
const cli = path.join(root, 'dist', 'cli.js');

/** Every file of the hostile corpus, as stored bytes, so decoding is part of what is tested. */
function corpusReader(): MemoryReader {
  const files: Record<string, Uint8Array> = {};
  for (const name of fs.readdirSync(hostileDir)) files[name] = fs.readFileSync(path.join(hostileDir, name));
  return new MemoryReader(files);
}

/** Indexes `<name>.annot.md` of the corpus with its sidecar, as the extension would. */
async function indexFixture(name: string, limits: Limits = defaultLimits, reader = corpusReader(), cache = new ParseCache()): Promise<AnnotationIndex> {
  const uri = fileUri(`${name}.annot.md`);
  const content = await reader.read(uri, limits.maxFileBytes);
  assert.ok(content, `no fixture ${name}.annot.md`);
  // As the CLI does: a refused text is indexed as empty, with the diagnostic that says why.
  const decoded = decodeFile(content, limits, 'text');
  if ('refusal' in decoded) return refusedIndex({ uri, text: '' }, await loadTextContext(uri, '', reader, cache, limits), decoded.refusal);
  return buildIndexWithin({ uri, text: decoded.text }, await loadTextContext(uri, decoded.text, reader, cache, limits), {}, limits);
}

/** [code, file, 0-based line] of each diagnostic, for readable assertions. */
function where(diagnostics: readonly Diagnostic[]): [string, string, number][] {
  return diagnostics.map((d) => [d.code, path.basename(d.uri), d.range.start.line]);
}

function codesIn(diagnostics: readonly Diagnostic[], file: string): string[] {
  return diagnostics.filter((d) => d.uri.endsWith(`/${file}`)).map((d) => d.code);
}

function assertNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  assert.strictEqual(probe.polluted, undefined, 'Object.prototype was polluted');
  assert.ok(!Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'));
  assert.strictEqual(Object.getPrototypeOf(probe), Object.prototype);
}

function timed<T>(limitMs: number, what: string, run: () => T): T {
  const started = Date.now();
  const result = run();
  const elapsed = Date.now() - started;
  assert.ok(elapsed < limitMs, `${what} took ${elapsed} ms (limit ${limitMs} ms)`);
  return result;
}

async function timedAsync<T>(limitMs: number, what: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await run();
  const elapsed = Date.now() - started;
  assert.ok(elapsed < limitMs, `${what} took ${elapsed} ms (limit ${limitMs} ms)`);
  return result;
}

describe('hostile input', () => {
  afterEach(assertNoPollution);

  describe('hostile sidecars', () => {
    it('stops an alias bomb at the alias budget, at the alias line, and keeps the people', async () => {
      const index = await timedAsync(2000, 'the alias bomb', () => indexFixture('alias-bomb'));
      const limit = index.diagnostics.filter((d) => d.code === 'limit-reached');
      assert.strictEqual(limit.length, 1, JSON.stringify(where(index.diagnostics)));
      assert.match(limit[0].message, /More than 1000 aliases/);
      // Line 9 holds the first level whose expansion crosses the budget.
      assert.strictEqual(limit[0].range.start.line, 8);
      assert.ok(index.registry.people.has('lenin') && index.registry.people.has('kropotkin'));
      assert.ok(index.registry.references.has('shub1953'));
      assert.deepStrictEqual(index.diagnostics.filter((d) => d.uri === index.uri), []);
    });

    it('follows ordinary aliases, within the budget', () => {
      const sidecar = parseSidecar(
        fileUri('s.yaml'),
        `names: &names [Lenin, Ульянов]
people:
  lenin: &lenin
    name: Vladimir Lenin
    aliases: *names
  ulyanov: *lenin
references:
  - &shub
    id: shub1953
    author: &shub-author [{family: Shub}]
  - id: shub1954
    author: *shub-author
`,
      );
      assert.deepStrictEqual(sidecar.people.map((p) => [p.key, p.name, p.aliases]), [
        ['lenin', 'Vladimir Lenin', ['Lenin', 'Ульянов']],
        ['ulyanov', 'Vladimir Lenin', ['Lenin', 'Ульянов']],
      ]);
      assert.deepStrictEqual(sidecar.references[1].item.author, [{ family: 'Shub' }]);
      assert.deepStrictEqual(where(sidecar.diagnostics), [['unknown-field', 's.yaml', 0]]);
    });

    it('reports an alias to an anchor that does not exist', () => {
      const sidecar = parseSidecar(fileUri('s.yaml'), 'people:\n  lenin: *nowhere\n');
      assert.deepStrictEqual(where(sidecar.diagnostics).map(([c, , l]) => [c, l]), [
        ['yaml-syntax', 1],
        ['invalid-value', 1],
      ]);
    });

    it('refuses brackets nested 20,000 deep quickly, at their line, without a stack overflow', async () => {
      const index = await timedAsync(2000, 'deep flow nesting', () => indexFixture('deep-flow-nesting'));
      const limit = index.diagnostics.find((d) => d.code === 'limit-reached');
      assert.ok(limit, JSON.stringify(where(index.diagnostics)));
      assert.strictEqual(limit.range.start.line, 10);
      assert.ok(limit.uri.endsWith('deep-flow-nesting.yaml'));
    });

    it('survives block mappings nested thousands of levels deep', () => {
      const levels = 3000;
      const text = Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' end\n';
      const sidecar = timed(5000, 'deep block nesting', () => parseSidecar(fileUri('s.yaml'), text));
      assert.ok(sidecar.diagnostics.length > 0);
      assert.ok(sidecar.diagnostics.every((d) => d.span.start >= 0 && d.span.end <= text.length));
    });

    it('never lets __proto__ or constructor reach a prototype: people, links, CSL items', async () => {
      const index = await indexFixture('proto-keys');
      const { people, references } = index.registry;
      assert.strictEqual(people.get('__proto__')?.name, 'Proto Person');
      assert.strictEqual(people.get('constructor')?.name, 'Constructor Person');
      assert.deepStrictEqual(people.get('lenin')?.links, [
        { label: '__proto__', url: 'https://example.org/proto' },
        { label: 'constructor', url: 'https://example.org/constructor' },
      ]);
      const item = references.get('shub1953')?.item as Record<string, unknown>;
      assert.strictEqual(Object.getPrototypeOf(item), Object.prototype);
      assert.ok(!Object.prototype.hasOwnProperty.call(item, '__proto__') && !Object.prototype.hasOwnProperty.call(item, 'constructor'));
      assert.strictEqual(item.polluted, undefined);
      const author = (item.author as Record<string, unknown>[])[0];
      assert.strictEqual(author.polluted, undefined);
      assert.ok(!Object.prototype.hasOwnProperty.call(author, '__proto__'));
      assert.ok(references.has('__proto__'));
      // The mentions [[__proto__]] and [[constructor]] and the citation [@__proto__] resolve like any other key.
      assert.deepStrictEqual(index.diagnostics.filter((d) => d.uri === index.uri), []);
      assert.deepStrictEqual(where(index.diagnostics), [
        ['unknown-field', 'proto-keys.yaml', 0],
        ['unknown-field', 'proto-keys.yaml', 2],
      ]);
    });

    it('warns at each unknown tag, reads its value as plain data, and runs nothing', async () => {
      const index = await indexFixture('unknown-tags');
      const tags = index.diagnostics.filter((d) => d.code === 'yaml-syntax');
      assert.deepStrictEqual(
        tags.map((d) => [d.severity, d.range.start.line]),
        [
          ['warning', 2],
          ['warning', 3],
          ['warning', 6],
          ['warning', 9],
        ],
      );
      assert.match(tags[0].message, /Unknown tag !!js\/function/);
      assert.strictEqual(index.registry.people.get('lenin')?.name, 'function () { return process.exit(1) }');
      assert.strictEqual(index.registry.people.get('lenin')?.bio, 'bar');
      assert.strictEqual(index.registry.references.get('shub1953')?.item.title, 'Kropotkin and Lenin');
    });

    it('reports duplicate keys at the later definition and keeps the first', async () => {
      const index = await indexFixture('duplicate-keys');
      assert.deepStrictEqual(
        where(index.diagnostics).filter(([code]) => code === 'duplicate-key').map(([, , line]) => line),
        [3, 4, 8, 14],
      );
      assert.strictEqual(index.registry.people.get('lenin')?.name, 'Vladimir Lenin');
      assert.ok(!index.registry.people.has('other'));
    });

    for (const name of ['root-is-a-list', 'root-is-a-scalar']) {
      it(`refuses a root that is not a mapping (${name}), at line 1`, async () => {
        const index = await indexFixture(name);
        assert.deepStrictEqual(where(index.diagnostics.filter((d) => d.uri.endsWith('.yaml'))), [['invalid-value', `${name}.yaml`, 0]]);
        assert.ok(index.mentions.length > 0, 'the text is still indexed');
      });
    }

    it('reports each wrong type at its line and keeps the rest of the person', async () => {
      const index = await indexFixture('wrong-types');
      assert.deepStrictEqual(
        where(index.diagnostics.filter((d) => d.uri.endsWith('.yaml'))).map(([code, , line]) => [code, line]),
        [
          ['invalid-value', 2],
          ['invalid-value', 5],
          ['invalid-value', 6],
          ['invalid-value', 7],
          ['invalid-value', 8],
          ['invalid-value', 11],
          ['invalid-value', 12],
          ['invalid-value', 16],
          ['reference-without-id', 17],
          ['unknown-field', 18],
        ],
      );
      const kropotkin = index.registry.people.get('kropotkin');
      assert.deepStrictEqual([kropotkin?.name, kropotkin?.aliases, kropotkin?.links, kropotkin?.implicit, kropotkin?.born], ['Peter Kropotkin', [], [], true, undefined]);
      assert.strictEqual(index.registry.people.get('bonch')?.bio, undefined);
      assert.ok(!index.registry.people.has('lenin'), 'a number is not a name');
    });

    for (const name of ['binary-sidecar', 'invalid-utf8-sidecar']) {
      it(`refuses a sidecar that is not UTF-8 text (${name}) with a clear message, and still indexes the text`, async () => {
        const index = await indexFixture(name);
        const refusal = index.diagnostics.find((d) => d.uri.endsWith(`${name}.yaml`));
        assert.ok(refusal);
        assert.deepStrictEqual([refusal.code, refusal.range.start.line], ['unreadable-file', 0]);
        assert.match(refusal.message, /looks like a binary file, or is not UTF-8 text/);
        assert.deepStrictEqual(codesIn(index.diagnostics, `${name}.annot.md`), ['unknown-person', 'unknown-citation']);
        assert.strictEqual(index.headings.length, 1);
      });
    }

    it('reads a sidecar and a text with a byte order mark as if it were not there', async () => {
      const index = await indexFixture('bom');
      assert.deepStrictEqual(index.diagnostics, []);
      assert.deepStrictEqual(index.mentions.map((m) => [m.person, index.lines.positionAt(m.span.start)]), [
        ['lenin', { line: 2, character: 0 }],
        ['kropotkin', { line: 2, character: 19 }],
      ]);
      // An editor may keep the BOM in the text it hands over.
      const kept = parseSidecar(fileUri('s.yaml'), '\uFEFFpeople:\n  lenin:\n    name: Vladimir Lenin\n');
      assert.deepStrictEqual([kept.valid, kept.people.map((p) => p.name), kept.diagnostics], [true, ['Vladimir Lenin'], []]);
    });

    it('refuses a sidecar over the size limit without parsing it, and keeps serving its last good version', async () => {
      const reader = corpusReader();
      const cache = new ParseCache(true);
      const good = await indexFixture('bom', defaultLimits, reader, cache);
      assert.ok(good.registry.people.has('lenin'));
      const small: Limits = { maxFileBytes: 120 };
      const refused = await indexFixture('bom', small, reader, cache);
      const [limit, stale] = refused.diagnostics.filter((d) => d.uri.endsWith('bom.yaml'));
      assert.deepStrictEqual([limit.code, limit.range.start.line, stale.code], ['limit-reached', 0, 'stale-sidecar']);
      assert.match(limit.message, /over the limit of 120 bytes, so it is not read/);
      assert.ok(refused.registry.people.has('lenin'), 'the last good people still serve');
      assert.deepStrictEqual(refused.registry.staleSidecars, [fileUri('bom.yaml')]);
    });

    it('keeps serving the last good sidecar when it turns binary on disk', async () => {
      const reader = new MemoryReader({ 'essay.yaml': 'people:\n  lenin:\n    name: Vladimir Lenin\n' });
      const cache = new ParseCache(true);
      const uri = fileUri('essay.annot.md');
      await loadTextContext(uri, 'Lenin.', reader, cache);
      reader.files.set(fileUri('essay.yaml'), fs.readFileSync(path.join(hostileDir, 'binary-sidecar.yaml')));
      // What the extension does when a file watcher reports the change.
      cache.forget(fileUri('essay.yaml'));
      const context = await loadTextContext(uri, 'Lenin.', reader, cache);
      assert.ok(context.registry.people.has('lenin'));
      assert.deepStrictEqual(context.registry.diagnostics.map((d) => d.code), ['unreadable-file', 'stale-sidecar']);
    });

    it('lists at most a bounded number of problems for one sidecar, and says so', () => {
      const text = 'people:\n' + Array.from({ length: 5000 }, (_, i) => `  p${i}: 3\n`).join('');
      const sidecar = timed(3000, '5,000 broken people', () => parseSidecar(fileUri('s.yaml'), text));
      assert.strictEqual(sidecar.diagnostics.length, sidecarLimits.diagnostics + 1);
      assert.strictEqual(sidecar.diagnostics[sidecarLimits.diagnostics].code, 'limit-reached');
    });

    it('reads a hostile CSL-JSON bibliography: no prototype keys, deep nesting cut with a notice', async () => {
      const index = await timedAsync(3000, 'the hostile bibliography', () => indexFixture('hostile-bibliography'));
      assert.deepStrictEqual(where(index.diagnostics), [['limit-reached', 'hostile-bibliography.json', 0]]);
      const item = index.registry.references.get('shub1953')?.item as Record<string, unknown>;
      assert.ok(!Object.prototype.hasOwnProperty.call(item, '__proto__') && !Object.prototype.hasOwnProperty.call(item, 'constructor'));
      assert.ok(index.registry.references.has('__proto__'));
      const bibliography = parseCslJson(fileUri('b.json'), '{"__proto__": {"polluted": 1}, "items": [{"id": "a", "__proto__": {"polluted": 1}}]}');
      assert.deepStrictEqual(bibliography.references.map((r) => r.id), ['a']);
    });

    it('reads CSL-JSON libraries of 50,000 escaped ids, or laid out without a bracket, in linear time', () => {
      const uri = fileUri('b.json');
      // JSON.stringify spells none of these ids as the file does, so none is found where an id is looked for.
      const escaped = `[\n${Array.from({ length: 50000 }, (_, n) => `{"id": "\\u0061b${n}", "title": "T${n}"}`).join(',\n')}\n]`;
      for (const read of [parseCslJson, parseCslJsonInPieces]) {
        const bibliography = timed(3000, `${read.name} on escaped ids`, () => read(uri, escaped));
        assert.strictEqual(bibliography.references.length, 50000);
        assert.strictEqual(bibliography.references[7].id, 'ab7');
      }
      // One block of lines per item, and no item with a bracket in it.
      const bare = `[\n${Array.from({ length: 50000 }, (_, n) => `  {\n    "id": "x${n}",\n    "title": "T${n}"\n  }`).join(',\n')}\n]`;
      const bibliography = timed(3000, 'a library without brackets', () => parseCslJsonInPieces(uri, bare));
      assert.strictEqual(bibliography.references.length, 50000);
      assert.strictEqual(bare.slice(bibliography.references[49999].source.span.start, bibliography.references[49999].source.span.end), 'x49999');
    });

    it('reports a remote bibliography named in a sidecar as unreadable, on the sidecar line that names it', async () => {
      const files = new MemoryReader({ 'essay.yaml': 'people:\n  a:\n    name: A\nbibliography: https://tracker.example/evil.json\n' });
      // Like the CLI's reader and workspace.fs: no provider reads http(s).
      const reader: FileReader = {
        read: (uri, maxBytes) => (uri.startsWith('file:') ? files.read(uri, maxBytes) : Promise.reject(new Error('The URL must be of scheme file'))),
      };
      const uri = fileUri('essay.annot.md');
      const context = await loadTextContext(uri, 'A text.', reader);
      assert.deepStrictEqual(where(context.registry.diagnostics), [['unreadable-file', 'essay.yaml', 3]]);
      assert.deepStrictEqual([context.diagnostics, context.bibliographies], [[], []]);
    });

    it('reports front matter that cannot be read (an alias bomb) on the text, at line 1', async () => {
      const index = await indexFixture('front-matter-alias-bomb');
      assert.deepStrictEqual(where(index.diagnostics), [['yaml-syntax', 'front-matter-alias-bomb.annot.md', 0]]);
      assert.match(index.diagnostics[0].message, /more than 100 aliases/);
      assert.ok(index.registry.people.has('lenin'), 'the default sidecar still serves');
    });
  });

  describe('hostile texts', () => {
    it('refuses a text over 20 MB with a limit-reached diagnostic and no index work', async () => {
      const paragraph = 'Lenin wrote to Peter Kropotkin [@shub1953].\n\n';
      const text = paragraph.repeat(Math.ceil((20 * 1024 * 1024 + 1) / paragraph.length));
      const uri = fileUri('big.annot.md');
      const reader = corpusReader();
      const index = await timedAsync(3000, 'refusing 20 MB', async () => buildIndexWithin({ uri, text }, await loadTextContext(uri, text, reader)));
      assert.deepStrictEqual(index.diagnostics.filter((d) => d.uri === uri && d.code !== 'no-sidecar').map((d) => [d.code, d.range.start.line]), [['limit-reached', 0]]);
      assert.match(index.diagnostics[0].message, /This text is 20 MB, over the limit of 20 MB/);
      assert.deepStrictEqual([index.mentions.length, index.citations.length], [0, 0]);
      // Positions still work on the refused text, for whatever shows it.
      assert.deepStrictEqual(index.lines.positionAt(text.length), { line: text.split('\n').length - 1, character: 0 });
    });

    it('indexes a 1 MB single line with positions right to its end', async () => {
      const reader = new MemoryReader({ 'line.yaml': 'people:\n  lenin:\n    name: Vladimir Lenin\n    aliases: [Lenin]\n' });
      const unit = 'Lenin wrote. ';
      const text = unit.repeat(Math.ceil(1024 * 1024 / unit.length));
      const uri = fileUri('line.annot.md');
      const index = await timedAsync(10000, 'a 1 MB line', async () => buildIndexWithin({ uri, text }, await loadTextContext(uri, text, reader)));
      const last = index.mentions[index.mentions.length - 1];
      assert.strictEqual(index.mentions.length, text.length / unit.length);
      assert.deepStrictEqual(index.lines.positionAt(last.span.start), { line: 0, character: text.length - unit.length });
    });

    it('refuses a binary file renamed .annot.md', async () => {
      const index = await indexFixture('binary-text');
      assert.deepStrictEqual(where(index.diagnostics), [['unreadable-file', 'binary-text.annot.md', 0]]);
      assert.deepStrictEqual([index.mentions.length, index.headings.length], [0, 0]);
      assert.ok(looksBinary('a\u0000b') && !looksBinary('Ленин écrit\uFFFD une lettre.'));
    });

    it('keeps positions right with CRLF, LF and lone CR mixed', async () => {
      const index = await indexFixture('mixed-line-endings');
      const lines = index.text.split(/\r\n|\r|\n/);
      const expected: { line: number; character: number }[] = [];
      lines.forEach((line, n) => {
        for (const match of line.matchAll(/Lenin|\[\[lenin\]\]/g)) expected.push({ line: n, character: match.index });
      });
      assert.deepStrictEqual(index.mentions.map((m) => index.lines.positionAt(m.span.start)), expected);
      assert.deepStrictEqual(index.diagnostics, []);
    });

    it('survives lone surrogates: no throw, spans inside the text', async () => {
      const text = '# \uD800 heading\n\n\uDC00Lenin\uD800 wrote [@shub1953]\uDBFF.\n\n[^\uD800]: note\n';
      const reader = corpusReader();
      const uri = fileUri('mixed-line-endings.annot.md');
      const index = buildIndexWithin({ uri, text }, await loadTextContext(uri, text, reader));
      for (const m of index.mentions) assert.strictEqual(text.slice(m.span.start, m.span.end), m.text);
      assert.strictEqual(index.citations.length, 1);
      const bytes = await indexFixture('lone-surrogate-bytes');
      assert.deepStrictEqual(bytes.diagnostics, []);
      assert.ok(bytes.mentions.some((m) => m.person === 'lenin'));
    });

    it('finds right-to-left names, and keeps mention spans exact around combining marks and bidi controls', async () => {
      const index = await indexFixture('rtl-combining');
      for (const m of index.mentions.filter((x) => !x.explicit)) assert.strictEqual(index.text.slice(m.span.start, m.span.end), m.text);
      const people = index.mentions.map((m) => m.person);
      assert.ok(people.includes('ibn-khaldun'), JSON.stringify(index.mentions));
      assert.ok(people.includes('maimonides'), JSON.stringify(index.mentions));
      assert.ok(people.filter((p) => p === 'lenin').length >= 2);
    });

    it('reads a text whose front matter is never closed as text, with a warning at line 1', async () => {
      const index = await indexFixture('unclosed-front-matter');
      assert.deepStrictEqual(where(index.diagnostics), [['unclosed-front-matter', 'unclosed-front-matter.annot.md', 0]]);
      assert.strictEqual(index.frontMatter, null);
      assert.ok(index.mentions.some((m) => m.explicit && m.person === 'lenin'));
    });

    it('reads constructs nested 20,000 deep, and many unclosed marks in one paragraph, without a stack overflow and in linear time', () => {
      const uri = fileUri('nesting.annot.md');
      const index = (text: string): AnnotationIndex => timed(5000, text.slice(0, 12), () => buildIndexWithin({ uri, text }, undefined));
      const deep = 20000;
      // Link text inside link text, and inline notes inside inline notes: each level is read, none on the call stack.
      assert.strictEqual(index('['.repeat(deep) + '](x)'.repeat(deep) + ' [@a]').citations.length, 1);
      assert.strictEqual(index('^['.repeat(deep) + ']'.repeat(deep)).footnotes.length, deep);
      // Every level is a citation of the one key at the centre.
      const nested = index('['.repeat(deep) + '@a' + ']'.repeat(deep));
      assert.strictEqual(nested.citations.length, deep - 2);
      assert.ok(nested.citations.every((c) => c.items.length === 1 && c.items[0].key === 'a'));
      // Quotations each followed by a citation: each quotation takes its own and no other.
      const quoted = index('"a" [@b] '.repeat(deep));
      assert.strictEqual(quoted.quotes.length, deep);
      assert.deepStrictEqual(quoted.quotes[deep - 1].citations, [deep - 1]);
      // A `$`, a comment opener or a braced key that never closes, again and again; what follows is still read.
      for (const open of ['a $b ', 'a <!-- ', '@{']) {
        const text = open.repeat(50000) + ' [@z]';
        assert.deepStrictEqual(index(text).citations.map((c) => c.items[0].key), ['z'], open);
      }
    });

    it('indexes 10,000 footnotes', async () => {
      const refs = Array.from({ length: 10000 }, (_, i) => `Text[^n${i}] by Lenin.`).join('\n\n');
      const defs = Array.from({ length: 10000 }, (_, i) => `[^n${i}]: Note ${i}.`).join('\n\n');
      const text = `${refs}\n\n${defs}\n`;
      const reader = corpusReader();
      const uri = fileUri('mixed-line-endings.annot.md');
      const index = await timedAsync(15000, '10,000 footnotes', async () => buildIndexWithin({ uri, text }, await loadTextContext(uri, text, reader)));
      assert.strictEqual(index.footnotes.length, 10000);
      assert.deepStrictEqual(index.diagnostics, []);
      const last = index.footnotes[9999];
      assert.deepStrictEqual([last.label, last.text, index.lines.positionAt(last.refs[0].start).line], ['n9999', 'Note 9999.', 19998]);
    });
  });

  describe('the CLI on the hostile corpus', () => {
    const texts = fs.readdirSync(hostileDir).filter((f) => f.endsWith('.annot.md'));

    function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
      const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 30000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    function assertClean(result: { status: number | null; stdout: string; stderr: string }, what: string): void {
      assert.ok(result.status === 0 || result.status === 1, `${what}: exit ${result.status}\n${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at |Error:/, what);
    }

    it('has a corpus to run on', () => {
      assert.ok(texts.length >= 15, texts.join(', '));
    });

    it('checks the whole corpus: one well-formed line per problem, exit 1 for the errors', () => {
      const check = run('check', path.join('test', 'fixtures', 'hostile'));
      assertClean(check, 'check');
      assert.strictEqual(check.status, 1);
      const lines = check.stdout.trim().split('\n');
      for (const line of lines) assert.match(line, /^test\/fixtures\/hostile\/[\w.-]+:\d+:\d+: (error|warning|information|hint) [a-z-]+: .+$/);
      for (const refused of ['binary-sidecar.yaml:1:1: error unreadable-file', 'binary-text.annot.md:1:1: error unreadable-file', 'deep-flow-nesting.yaml:11:515: warning limit-reached', 'alias-bomb.yaml:9:']) {
        assert.ok(lines.some((l) => l.includes(refused)), refused);
      }
    });

    for (const text of texts) {
      it(`indexes ${text} cleanly`, () => {
        const file = path.join('test', 'fixtures', 'hostile', text);
        const index = run('index', file, '--json');
        assertClean(index, `index ${text}`);
        assert.strictEqual(index.status, 0);
        const json = JSON.parse(index.stdout) as { file: string };
        assert.strictEqual(json.file, file);
      });
    }

    it('checks the whole corpus under a tiny size limit, saying what it skipped', () => {
      const result = run('check', '--max-file-size', '0.0005', path.join('test', 'fixtures', 'hostile'));
      assertClean(result, 'check --max-file-size');
      assert.match(result.stdout, /alias-bomb\.yaml:1:1: warning limit-reached: This sidecar is 735 bytes, over the limit of 524 bytes/);
      assert.match(result.stdout, /binary-text\.annot\.md:1:1: warning limit-reached: This text is 2 KB/);
    });

    it('refuses a bad --max-file-size with a message, not a stack trace', () => {
      const result = run('check', '--max-file-size', 'lots', 'examples');
      assert.strictEqual(result.status, 2);
      assert.match(result.stderr, /marginalia: --max-file-size takes a number of megabytes/);
    });
  });

  describe('properties of the sidecar loader', () => {
    const key = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'name', 'aliases', 'links', 'bio', 'id', 'author', 'people', 'references'));
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
    })).node;
    /** Sidecar-shaped YAML with random values where people and references should be. */
    const shaped = fc
      .record({
        people: fc.dictionary(key, fc.oneof(value, fc.record({ name: value, aliases: value, links: value, bio: value })), { maxKeys: 5 }),
        references: fc.array(fc.oneof(value, fc.record({ id: value, title: value, author: value })), { maxLength: 5 }),
      })
      .map((data) => stringify(data));
    /** Sprinkles anchors, aliases, tags and broken syntax into YAML text. */
    const mutated = fc.tuple(shaped, fc.array(fc.tuple(fc.nat(), fc.constantFrom('&a ', '*a', '&b ', '*b ', '!!js/function ', '!foo ', '!!binary ', '<<: *a\n', '[', '{', '"', '\uFEFF', '\u0000', '\t', '\n  - ', ': ', '? ', '--- ', '%YAML 1.1\n')), { maxLength: 6 })).map(([text, edits]) => {
      let out = text;
      for (const [at, piece] of edits) {
        const i = at % (out.length + 1);
        out = out.slice(0, i) + piece + out.slice(i);
      }
      return out;
    });

    it('never throws on random sidecar-shaped YAML, keeps ranges inside the file, and pollutes nothing', () => {
      fc.assert(
        fc.property(fc.oneof(shaped, mutated), (text) => {
          const sidecar = parseSidecar(fileUri('s.yaml'), text);
          for (const d of sidecar.diagnostics) assert.ok(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length, JSON.stringify(d));
          for (const p of sidecar.people) assert.ok(typeof p.name === 'string' && p.name.trim() !== '' && Array.isArray(p.aliases));
          for (const r of sidecar.references) assert.ok(!Object.prototype.hasOwnProperty.call(r.item, '__proto__'));
          assertNoPollution();
        }),
        { numRuns: 400 },
      );
    });

    it('loads exactly the people written, for well-formed random people', () => {
      const person = fc.record({ name: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== ''), aliases: fc.array(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== ''), { maxLength: 3 }) });
      fc.assert(
        fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((s) => s.trim() !== ''), person, { maxKeys: 6 }), (people) => {
          const sidecar = parseSidecar(fileUri('s.yaml'), stringify({ people }));
          assert.deepStrictEqual(
            sidecar.people.map((p) => [p.key, p.name, p.aliases]),
            Object.entries(people).map(([k, p]) => [k, p.name.trim(), p.aliases.map((a) => a.trim())]),
          );
        }),
        { numRuns: 300 },
      );
    });

    it('decodes random bytes without throwing, as text or as a refusal', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
          const decoded = decodeFile({ kind: 'bytes', bytes }, { maxFileBytes: 300 });
          if (bytes.length > 300) assert.ok('refusal' in decoded && decoded.refusal.code === 'limit-reached');
          else if ('text' in decoded) assert.ok(!decoded.text.includes('\u0000'));
          else assert.strictEqual(decoded.refusal.code, 'unreadable-file');
        }),
        { numRuns: 500 },
      );
    });
  });
});
