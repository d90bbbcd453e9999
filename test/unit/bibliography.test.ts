import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { bibtexSteps, cslDate, cslYamlSteps, parseBibliography, ParseCache, runInSlices, runNow, steppedLoadChars, type Bibliography } from '../../src/core';
import fc from 'fast-check';
import * as bibliographyModule from '../../src/core/bibliography';
import { editedTexts, indexText, MemoryStore, plainBibliography } from './helpers';
import { ItemReference } from '../../src/core/cslJsonSteps';
import { useBibtexParserEsmBuild } from './bibtexParserEsm';

/** The parser's reading of a whole BibTeX library, which every other reading must give. */
const parseBibtexWhole = (uri: string, text: string): Bibliography => bibliographyModule.parseBibtexWhole(uri, text);

const fixtures = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'citeproc');

/**
 * Checks that a large library, read once in steps, is served in the next
 * session from its record, without a parse, as it was read; and that another
 * text of it is parsed again.
 */
async function servedFromItsRecord(uri: string, text: string, changed: string): Promise<void> {
  assert.ok(text.length >= steppedLoadChars);
  const scheduler = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const store = new MemoryStore();
  await new ParseCache(true, store).bibliographyInSteps(uri, text, scheduler);
  while (store.writes === 0) await scheduler();
  assert.match(store.records.get(uri) ?? '', /^\{"format":\d+,"kind":"library entries"/);
  // A fresh copy of the same text, as a read from disk gives.
  const served = await new ParseCache(true, store).bibliographyInSteps(uri, (' ' + text).slice(1), scheduler);
  assert.ok(served.references.length > 0 && served.references.every((reference) => reference instanceof ItemReference), 'references made from the record, each item parsed when first read');
  const whole = parseBibliography(uri, text);
  assert.deepStrictEqual(plainBibliography(served), plainBibliography(whole));
  assert.strictEqual(JSON.stringify(served), JSON.stringify(whole));
  assert.notStrictEqual(changed, text);
  const again = await new ParseCache(true, store).bibliographyInSteps(uri, changed, scheduler);
  assert.ok(!again.references.some((reference) => reference instanceof ItemReference), 'another text is parsed');
  assert.deepStrictEqual(plainBibliography(again), plainBibliography(parseBibliography(uri, changed)));
}
const read = (name: string): string => fs.readFileSync(path.join(fixtures, name), 'utf8');

describe('bibliography files', () => {
  before(useBibtexParserEsmBuild);

  describe('BibTeX and BibLaTeX', () => {
    // Parsed inside the tests, after the hook above has pointed require at the parser.
    const library = () => parseBibliography('file:///work/library.bib', read('library.bib'));
    const byId = { get: (id: string) => library().references.find((r) => r.id === id) };

    it('reads every entry, with the line its key is written on', () => {
      const bib = library();
      assert.deepStrictEqual(
        bib.references.map((r) => [r.id, r.source.line]),
        [
          ['kropotkin1899bib', 3],
          ['mueller1953', 11],
          ['avrich1988', 22],
        ],
      );
      assert.deepStrictEqual(bib.diagnostics, []);
    });

    it('decodes LaTeX accents, braces and string macros', () => {
      const memoirs = byId.get('kropotkin1899bib')?.item;
      assert.deepStrictEqual(memoirs?.author, [{ family: 'Kropotkin', given: 'Petr Alekseevič' }]);
      assert.strictEqual(memoirs?.title, 'Memoirs of a Revolutionist');
      assert.strictEqual(memoirs?.publisher, 'Houghton, Mifflin');
      const article = byId.get('mueller1953')?.item;
      assert.deepStrictEqual(article?.author, [
        { family: 'Müller', given: 'Jérôme' },
        { family: 'Fontaine', given: 'Jean', 'non-dropping-particle': 'de la' },
      ]);
      assert.strictEqual(article?.title, 'Über die <i>Anarchie</i>');
      assert.strictEqual(article?.['container-title'], 'Zeitschrift für Geschichte');
      assert.strictEqual(article?.language, 'de');
    });

    it('maps entry types and fields to CSL', () => {
      const article = byId.get('mueller1953')?.item;
      assert.strictEqual(article?.type, 'article-journal');
      assert.deepStrictEqual(article?.issued, { 'date-parts': [[1953, 4]] });
      assert.strictEqual(article?.issue, '4');
      assert.strictEqual(article?.page, '227–234');
      const chapter = byId.get('avrich1988')?.item;
      assert.strictEqual(chapter?.type, 'chapter');
      assert.strictEqual(chapter?.['container-title'], 'Anarchist Portraits');
      assert.strictEqual(chapter?.['publisher-place'], 'Princeton');
      assert.deepStrictEqual(chapter?.issued, { 'date-parts': [[1988]] });
    });

    it('reports a duplicate key in the same file', () => {
      const twice = parseBibliography('file:///work/twice.bib', '@book{a, title={One}}\n@book{a, title={Two}}\n');
      assert.strictEqual(twice.references.length, 1);
      assert.strictEqual(twice.diagnostics[0]?.code, 'duplicate-key');
      assert.strictEqual(twice.diagnostics[0]?.range.start.line, 1);
    });
  });

  describe('CSL-YAML', () => {
    it('reads a references: mapping and a bare list, with lines', () => {
      const yaml = parseBibliography('file:///work/library.yaml', read('library.yaml'));
      assert.deepStrictEqual(
        yaml.references.map((r) => [r.id, r.source.line]),
        [
          ['berkman1925yaml', 2],
          ['goldman1923yaml', 12],
        ],
      );
      const list = parseBibliography('file:///work/list.yml', '- id: a\n  title: A\n- id: b\n  title: B\n');
      assert.deepStrictEqual(
        list.references.map((r) => r.id),
        ['a', 'b'],
      );
    });

    it('reports YAML that does not parse', () => {
      const broken = parseBibliography('file:///work/broken.yaml', 'references:\n  - id: [unclosed\n');
      assert.strictEqual(broken.valid, false);
      assert.strictEqual(broken.diagnostics[0]?.code, 'yaml-syntax');
    });
  });

  describe('BibTeX read in steps', () => {
    const uri = 'file:///work/library.bib';
    /**
     * `count` entries, a few to a macro defined along the way, with accents, comments and one entry not at a line
     * start; one in three has LaTeX that only the parser reads, so that pieces go to it as well.
     */
    const generated = (count: number): string => {
      const parts = ['% A library written for the tests.', '@string{ jot = "Journal of {T}hings" }', 'Text before the first entry is a comment. @misc{inline0, title = {Inline}}'];
      for (let n = 0; n < count; n++) {
        if (n % 37 === 20) parts.push(`@string{ place${n} = {K{\\"o}ln} }`);
        const macro = n > 20 ? `place${20 + Math.floor((n - 20) / 37) * 37}` : '"Paris"';
        parts.push(
          `@article{key${n},\n  author = {M{\\"u}ller, Hans and Other, Person${n}},\n  title = {On {Mutual} Aid, part ${n % 3 === 0 ? `\\mbox{${n}}` : n}},\n  journal = jot,\n  address = ${macro},\n  year = {${1900 + (n % 120)}},\n}`,
          n % 50 === 7 ? '% a comment between entries' : '',
        );
      }
      parts.push('@book{key3,\n  title = {A duplicate key},\n}');
      return parts.join('\n');
    };

    it('gives what the whole read gives', () => {
      const texts: Record<string, string> = {
        fixture: read('library.bib'),
        generated: generated(300),
        'with an error in one piece, read whole': generated(60).replace('title = {On {Mutual} Aid, part 46}', 'title = {On {Mutual} Aid, part 46'),
        empty: '',
        'only comments': '% nothing here\n',
      };
      for (const [name, text] of Object.entries(texts)) {
        assert.deepStrictEqual(runNow(bibtexSteps(uri, text)).bibliography, parseBibtexWhole(uri, text), name);
        assert.deepStrictEqual(parseBibliography(uri, text), parseBibtexWhole(uri, text), name);
      }
      const read300 = runNow(bibtexSteps(uri, texts.generated)).bibliography;
      assert.strictEqual(read300.references.length, 301);
      assert.strictEqual(read300.references.find((r) => r.id === 'key200')?.item['publisher-place'], 'Köln');
      assert.deepStrictEqual(read300.diagnostics.map((d) => d.code), ['duplicate-key']);
    });

    it('reads entries that inherit through crossref with their parents, wherever these are', () => {
      const proceedings = '@proceedings{conf,\n  title = {Proceedings of the Congress},\n  editor = {Doe, Jane},\n  year = {1921},\n  publisher = {Freedom Press},\n  journal = jot,\n}';
      const volume = '@book{vol2,\n  crossref = "conf",\n  title = {Second Volume},\n  volume = {2},\n}';
      const child = (n: number, parent: string): string => `@incollection{child${n},\n  crossref = {${parent}},\n  title = {Paper ${n}},\n  pages = {${n}--${n + 9}},\n}`;
      const base = generated(200);
      const children = (parent: string): string => [10, 90, 170].map((n) => child(n, parent)).join('\n');
      const texts: Record<string, string> = {
        'children before their parent': `${base}\n${children('conf')}\n${proceedings}`,
        'the parent first': base.replace('@article{key0,', `${proceedings}\n${children('conf')}\n@article{key0,`),
        'through a parent that inherits in turn': `${base}\n${children('vol2')}\n${volume}\n${proceedings}`,
        'a parent whose case differs': `${base}\n${children('CONF')}\n${proceedings}`,
      };
      for (const [name, text] of Object.entries(texts)) {
        const whole = parseBibtexWhole(uri, text);
        assert.deepStrictEqual(runNow(bibtexSteps(uri, text)).bibliography, whole, name);
        const paper = whole.references.find((r) => r.id === 'child90')?.item;
        assert.strictEqual(paper?.publisher, 'Freedom Press', name);
        // Read piece by piece: a step for each piece of eight entries.
        let steps = 0;
        for (const generator = bibtexSteps(uri, text); !generator.next().done; ) steps++;
        assert.ok(steps > 20, `${name}: ${steps} steps`);
      }
      const readWhole: Record<string, string> = {
        'a crossref given by a macro': `${base}\n@string{ parent = {conf} }\n${child(5, 'x').replace('{x}', 'parent')}\n${proceedings}`,
        'a parent defined twice': `${base}\n${children('conf')}\n${proceedings}\n${proceedings.replace('Congress', 'Second Congress')}`,
        'a parent that is not there': `${base}\n${children('nowhere')}`,
        'a parent using a macro defined after the child': `${base}\n${children('conf')}\n@string{ late = {Late} }\n${proceedings.replace('jot', 'late')}`,
        'xdata': `${base}\n@xdata{shared, publisher = {Shared Press}}\n@book{withdata, xdata = {shared}, title = {Data}}`,
        'a child whose key is given twice, of which the parser lets the last inherit': `${child(10, 'conf')}\n${base}\n${child(10, 'conf')}\n${proceedings}`,
      };
      for (const [name, text] of Object.entries(readWhole)) assert.deepStrictEqual(runNow(bibtexSteps(uri, text)).bibliography, parseBibtexWhole(uri, text), name);
    });

    it('compiles no pattern per entry, BibTeX or CSL-YAML', () => {
      // Thousands of patterns compiled and run over a long text leave V8 running every later pattern, in the whole
      // extension host, many times slower: the keys' places must be found without one pattern each.
      const bibtex = generated(300);
      const yaml = Array.from({ length: 300 }, (_, n) => `- id: item${n}\n  title: Item ${n}\n`).join('');
      // The parsers compile their own patterns on first use: those are not counted.
      parseBibliography(uri, generated(1));
      parseBibliography('file:///work/library.yaml', '- id: warm\n');
      const native = RegExp;
      let compiled = 0;
      globalThis.RegExp = new Proxy(native, {
        construct(target, args: [string | RegExp, string?]) {
          compiled++;
          return new target(...args);
        },
      });
      try {
        assert.strictEqual(parseBibliography(uri, bibtex).references.length, 301);
        assert.strictEqual(parseBibliography('file:///work/library.yaml', yaml).references.length, 300);
      } finally {
        globalThis.RegExp = native;
      }
      assert.ok(compiled < 20, `${compiled} patterns compiled`);
    });

    it('gives the event loop turns, and serves a large library through the cache', async () => {
      const text = generated(800);
      assert.ok(text.length >= steppedLoadChars / 2);
      let turns = 0;
      const scheduler = (): Promise<void> => {
        turns++;
        return new Promise((resolve) => setImmediate(resolve));
      };
      const whole = parseBibtexWhole(uri, text);
      assert.deepStrictEqual((await runInSlices(bibtexSteps(uri, text), scheduler, { sliceMs: 1 })).bibliography, whole);
      assert.ok(turns > 10, `${turns} turns`);
      const large = `${text}\n${generated(800).replace(/key(\d+)/g, 'more$1').replace(/inline0/, 'inline1')}`;
      assert.ok(large.length >= steppedLoadChars);
      assert.deepStrictEqual(await new ParseCache().bibliographyInSteps(uri, large, scheduler), parseBibtexWhole(uri, large));
    });

    it('serves a large library in the next session from its record, without parsing it, diagnostics included', async () => {
      const text = `${generated(800)}\n${generated(800).replace(/key(\d+)/g, 'more$1').replace(/inline0/, 'inline1')}`;
      assert.ok(parseBibliography(uri, text).diagnostics.length > 0, 'the duplicate key is reported');
      await servedFromItsRecord(uri, text, text.replace('part 7}', 'part seven}'));
    });

    it('loads the parser in steps of their own, its LaTeX tables first, when a session first reads an entry that needs it', () => {
      // Modules stay loaded for the life of a process, and this one has loaded the parser: a new one reads each file.
      const firstRead = (text: string): { asked: [string, number][]; references: number } => {
        const script = `
        const Module = require('module');
        require(${JSON.stringify(path.join(__dirname, 'bibtexParserEsm.js'))}).useBibtexParserEsmBuild();
        const resolve = Module._resolveFilename;
        let step = 0;
        const asked = [];
        Module._resolveFilename = function (request, ...rest) {
          if (request === 'unicode2latex' || request === '@retorquere/bibtex-parser') asked.push([request, step]);
          return resolve.call(this, request, ...rest);
        };
        const core = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'src', 'core'))});
        const steps = core.bibtexSteps('file:///work/library.bib', ${JSON.stringify(text)});
        let done;
        while (!(done = steps.next()).done) step++;
        console.log(JSON.stringify({ asked, references: done.value.bibliography.references.length }));`;
        const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
        assert.strictEqual(child.status, 0, child.stderr);
        return JSON.parse(child.stdout) as { asked: [string, number][]; references: number };
      };
      const plain = '@book{a, title = {The {Conquest} of Bread}, author = {Kropotkin, Peter}}\n';
      assert.deepStrictEqual(firstRead(plain), { asked: [], references: 1 }, 'plain entries are read without the parser');
      const { asked, references } = firstRead(`${plain}@book{b, title = {E = mc\\mbox{2}}}\n`);
      // Each module is asked for in a step of its own, the tables first; the parser's own imports do not come through here.
      assert.deepStrictEqual(
        asked.slice(0, 2).map(([request]) => request),
        ['unicode2latex', '@retorquere/bibtex-parser'],
      );
      assert.strictEqual(asked[1][1], asked[0][1] + 1);
      assert.strictEqual(references, 2);
    });

    it('reads a library of a few dozen entries in steps through the cache, and one of a few entries at once', async () => {
      // The parser takes 2 ms or more an entry in a small file when its code is cold: 30 entries read whole hold the event
      // loop for 50 ms and more. Once warm it may read them within one slice, so the clock is made to run: whether a turn
      // is given then says whether the read was cut into steps, not how fast this machine is.
      let turns = 0;
      const scheduler = (): Promise<void> => {
        turns++;
        return new Promise((resolve) => setImmediate(resolve));
      };
      const dozens = generated(30);
      assert.ok(dozens.length > 2 * 1024 && dozens.length < steppedLoadChars);
      assert.deepStrictEqual(await withRunningClock(() => new ParseCache().bibliographyInSteps(uri, dozens, scheduler)), parseBibliography(uri, dozens));
      assert.ok(turns > 0, 'no turn given');
      const few = generated(3);
      assert.ok(few.length < 2 * 1024);
      turns = 0;
      assert.deepStrictEqual(await withRunningClock(() => new ParseCache().bibliographyInSteps(uri, few, scheduler)), parseBibliography(uri, few));
      assert.strictEqual(turns, 0);
    });
  });

  describe('CSL-YAML read in steps', () => {
    const uri = 'file:///work/library.yaml';
    /** `count` items as Pandoc writes them under `references:`, items at `indent`, with accents, comments and a block scalar. */
    const generated = (count: number, indent = ''): string => {
      const lines = ['# A library written for the tests.', 'references:'];
      for (let n = 0; n < count; n++) {
        lines.push(
          `${indent}- id: key${n}`,
          `${indent}  type: ${n % 3 === 0 ? 'book' : 'article-journal'}`,
          `${indent}  author:`,
          `${indent}    - family: Müller`,
          `${indent}      given: Hans ${n}`,
          `${indent}  issued:`,
          `${indent}    date-parts: [[${1900 + (n % 120)}]]`,
          `${indent}  title: "On Mutual Aid: part ${n}"`,
        );
        if (n % 40 === 9) lines.push(`${indent}  abstract: |`, `${indent}    A note that runs`, '', `${indent}    over lines.`, '# a comment between items');
      }
      return `${lines.join('\n')}\n`;
    };
    /** How many steps a read takes: a library cut into pieces takes one or more for each piece. */
    const stepsOf = (text: string): number => {
      const steps = cslYamlSteps(uri, text);
      let count = 0;
      while (!steps.next().done) count++;
      return count;
    };
    const list = (count: number): string => generated(count).replace('references:\n', '');

    it('gives what the whole read gives, cut into pieces where the layout is clear', () => {
      const cut: Record<string, string> = {
        fixture: read('library.yaml'),
        'items under references:': generated(300),
        'indented items': generated(300, '  '),
        'a top-level list': list(300),
        'between --- and ...': `---\n${generated(300)}...\n`,
        'with a byte order mark and CRLF line ends': `\uFEFF${generated(300).replace(/\n/g, '\r\n')}`,
        'a duplicate id and an item without one': `${generated(300)}- id: key7\n  title: Again\n- title: No id\n`,
      };
      for (const [name, text] of Object.entries(cut)) {
        assert.deepStrictEqual(runNow(cslYamlSteps(uri, text)).bibliography, parseBibliography(uri, text), name);
        if (name !== 'fixture') assert.ok(stepsOf(text) > 10, `${name}: ${stepsOf(text)} steps`);
      }
      const read300 = runNow(cslYamlSteps(uri, cut['between --- and ...'])).bibliography;
      assert.strictEqual(read300.references.length, 300);
      assert.strictEqual(read300.references[299].source.line, text300Line(cut['between --- and ...'], 'key299'));
      assert.strictEqual(read300.references[9].item.abstract, 'A note that runs\n\nover lines.\n');
    });

    /** The line `- id: <key>` is written on. */
    const text300Line = (text: string, key: string): number => text.slice(0, text.indexOf(`- id: ${key}\n`)).split('\n').length - 1;

    it('reads whole, with the same result, whatever it cannot cut safely', () => {
      const items = generated(60);
      const whole: Record<string, string> = {
        'an alias to an item of another piece': items.replace('given: Hans 2\n', 'given: &hans Hans 2\n').replace('given: Hans 50\n', 'given: *hans\n'),
        'an anchor and alias in one item': items.replace('given: Hans 50\n', 'given: &h Hans 50\n      family: *h\n'),
        'a quoted title across an item start': items.replace('title: "On Mutual Aid: part 30"', 'title: "On Mutual Aid:\n- part 30"'),
        'an unclosed flow list': items.replace('date-parts: [[1930]]', 'date-parts: [[1930]'),
        'another top-level key after the list': `${items}nocite: ["@*"]\n`,
        'a directive': `%YAML 1.2\n---\n${items}`,
        'a second document': `${items}---\nreferences: []\n`,
        'a tab before an item': items.replace('- id: key40', '\t- id: key40'),
        'a lone carriage return': items.replace('title: "On Mutual Aid: part 12"', 'title: "On\rMutual Aid: part 12"'),
        'a mapping without references': 'title: Not a library\n',
        'broken YAML': `${items}- id: [unclosed\n`,
        empty: '',
      };
      for (const [name, text] of Object.entries(whole)) assert.deepStrictEqual(runNow(cslYamlSteps(uri, text)).bibliography, parseBibliography(uri, text), name);
      assert.strictEqual(parseBibliography(uri, whole['broken YAML']).diagnostics[0]?.code, 'yaml-syntax');
    });

    it('reads a large library with a syntax error whole in many short steps, never at once, as the read at once does', () => {
      const text = generated(1500);
      const at = text.indexOf('title: "On Mutual Aid: part 700"');
      const cases: Record<string, string> = {
        // The quote runs on into the next items: only the whole file says where it ends.
        'an unclosed quote': text.slice(0, at) + 'title: "On Mutual Aid: part 700' + text.slice(at + 'title: "On Mutual Aid: part 700"'.length),
        'an unclosed flow list': text.replace('date-parts: [[1900]]', 'date-parts: [[1900]'),
        'a key with nothing after it at the top': `${text}stray\n`,
        'between --- and ..., with a byte order mark': `\uFEFF---\n${text.slice(0, at)}title: "Unclosed${text.slice(at + 6)}...\n`,
        'nothing broken, another top-level key after the list': `${text}nocite: ["@*"]\n`,
      };
      const atOnce: (text: string) => unknown = Reflect.get(bibliographyModule, 'readCslYamlAtOnce');
      let readsAtOnce = 0;
      Reflect.set(bibliographyModule, 'readCslYamlAtOnce', (whole: string) => {
        readsAtOnce++;
        return atOnce(whole);
      });
      try {
        for (const [name, broken] of Object.entries(cases)) {
          const steps = cslYamlSteps(uri, broken);
          let count = 0;
          let next = steps.next();
          for (; !next.done; next = steps.next()) count++;
          assert.strictEqual(readsAtOnce, 0, name);
          assert.ok(count > broken.length / 2048, `${name}: ${count} steps`);
          const expected = parseBibliography(uri, broken);
          assert.deepStrictEqual(next.value.bibliography, expected, name);
          if (name.startsWith('nothing broken')) assert.strictEqual(expected.references.length, 1500, name);
          else assert.strictEqual(expected.diagnostics[0]?.code, 'yaml-syntax', name);
        }
        // The error is placed in the text, byte order mark and all.
        const marked = parseBibliography(uri, cases['between --- and ..., with a byte order mark']).diagnostics[0];
        assert.ok(marked.span.start > at && marked.span.start < at + 4000, `${marked.span.start}: ${marked.message}`);
        const unmarked = parseBibliography(uri, cases['between --- and ..., with a byte order mark'].slice(1)).diagnostics[0];
        assert.deepStrictEqual(marked.span, { start: unmarked.span.start + 1, end: unmarked.span.end + 1 });
        // What slices cannot give is still read, at once: here a key given twice, which only the whole mapping shows.
        const twice = `${text}references: []\n`;
        assert.deepStrictEqual(runNow(cslYamlSteps(uri, twice)).bibliography, parseBibliography(uri, twice));
        assert.strictEqual(parseBibliography(uri, twice).diagnostics[0]?.code, 'yaml-syntax');
        assert.strictEqual(readsAtOnce, 1);
      } finally {
        Reflect.set(bibliographyModule, 'readCslYamlAtOnce', atOnce);
      }
    });

    it('reads random edits of libraries whole in steps as the read at once does', () => {
      const bases = [generated(12), `---\n${generated(8, '  ')}...\n`, read('library.yaml')];
      const snippets = ['\n', ' ', '  ', ':', ': ', '- ', '#', '"', "'", '[', ']', '{', '}', ',', '&a ', '*a', '!!str ', '|', '>', '\t', '---\n', '...\n', 'x', '~', '\r\n', 'id: ', '\n- id: z\n', '\nreferences:\n', '\nnocite: x\n', '? ', '%'];
      const tiny = { wholeReadSteps: { lexemes: 1, entriesTaken: 1 } };
      const middling = { wholeReadSteps: { lexemes: 7, entriesTaken: 3 } };
      fc.assert(
        fc.property(editedTexts(bases, snippets), (text) => {
          const whole = parseBibliography(uri, text);
          assert.deepStrictEqual(runNow(cslYamlSteps(uri, text, tiny)).bibliography, whole);
          assert.deepStrictEqual(runNow(cslYamlSteps(uri, text, middling)).bibliography, whole);
        }),
        { numRuns: 300, seed: 20261206 },
      );
    });

    it('gives a quick read first, with the references the precise read gives', () => {
      const texts = [generated(300), list(300), `\uFEFF${generated(300, '  ').replace(/\n/g, '\r\n')}`];
      for (const text of texts) {
        const quick: Bibliography[] = [];
        const { bibliography } = runNow(cslYamlSteps(uri, text, { quick: (read) => quick.push(read) }));
        assert.strictEqual(quick.length, 1);
        assert.deepStrictEqual(quick[0].references, bibliography.references);
        assert.deepStrictEqual(bibliography, parseBibliography(uri, text));
      }
      // Read whole: no quick read.
      const anchored = generated(60).replace('given: Hans 50\n', 'given: &h Hans 50\n      family: *h\n');
      let called = false;
      runNow(cslYamlSteps(uri, anchored, { quick: () => (called = true) }));
      assert.strictEqual(called, false);
    });

    it('serves a large library in the next session from its record, without parsing it', async () => {
      const text = generated(2000);
      await servedFromItsRecord(uri, text, text.replace('part 7"', 'part seven"'));
    });

    it('serves a large library through the cache, the quick read first, then the precise read, and says so', async () => {
      const text = generated(2000);
      assert.ok(text.length >= steppedLoadChars);
      let turns = 0;
      const scheduler = (): Promise<void> => {
        turns++;
        return new Promise((resolve) => setImmediate(resolve));
      };
      const cache = new ParseCache();
      const announced: string[] = [];
      cache.onDidLoadPrecisely((loaded) => announced.push(loaded));
      const whole = parseBibliography(uri, text);
      const served = await cache.bibliographyInSteps(uri, text, scheduler);
      assert.deepStrictEqual(served.references, whole.references);
      assert.strictEqual(announced.length, 0);
      assert.strictEqual(await cache.bibliographyInSteps(uri, text, scheduler), served);
      while (announced.length === 0) await scheduler();
      assert.deepStrictEqual(announced, [uri]);
      assert.deepStrictEqual(await cache.bibliographyInSteps(uri, text, () => Promise.reject(new Error('no steps for a warm load'))), whole);
      assert.strictEqual(cache.bibliography(uri, text), await cache.bibliographyInSteps(uri, text, scheduler));
      assert.ok(turns > 10, `${turns} turns`);
      // Asked for at once while only the quick read is there: the precise read, at once, and said so.
      const other = new ParseCache();
      other.onDidLoadPrecisely((loaded) => announced.push(loaded));
      await other.bibliographyInSteps(uri, text, scheduler);
      assert.deepStrictEqual(other.bibliography(uri, text), whole);
      assert.deepStrictEqual(announced, [uri, uri]);
    });
  });

  it('still reads CSL-JSON by default', () => {
    const json = parseBibliography('file:///work/library.json', '[{"id": "x", "title": "X"}]');
    assert.deepStrictEqual(
      json.references.map((r) => r.id),
      ['x'],
    );
  });

  it('reads dates and date ranges', () => {
    assert.deepStrictEqual(cslDate('1917/1921'), { 'date-parts': [[1917], [1921]] });
    assert.deepStrictEqual(cslDate('1953-04-02'), { 'date-parts': [[1953, 4, 2]] });
    assert.deepStrictEqual(cslDate('Spring 1920'), { literal: 'Spring 1920' });
  });

  it('merges library keys with the sidecar, and a conflict is a duplicate-key diagnostic on the later file', async () => {
    const index = await indexText(read('library-essay.annot.md'), read('library-essay.yaml'), { 'library.bib': read('library.bib'), 'library.yaml': read('library.yaml') });
    for (const key of ['kropotkin1899bib', 'mueller1953', 'avrich1988', 'berkman1925yaml', 'goldman1923yaml', 'shub1953']) assert.ok(index.registry.references.has(key), key);
    assert.deepStrictEqual(
      index.diagnostics.filter((d) => d.code === 'unknown-citation'),
      [],
    );
    const conflict = index.diagnostics.filter((d) => d.code === 'duplicate-key');
    assert.strictEqual(conflict.length, 1);
    assert.ok(conflict[0].uri.endsWith('library.bib'));
    assert.strictEqual(conflict[0].range.start.line, 22);
    // The sidecar came first, so its definition is the one used.
    assert.strictEqual(index.registry.references.get('avrich1988')?.item.title, 'A conflicting definition of the same key');
  });
});

describe('hostile bibliography files', () => {
  before(() => useBibtexParserEsmBuild());

  const hostile: [string, string][] = [
    ['unbalanced braces', '@book{a, title = {Never closed, author = {X}\n@article{b, title = {Fine}}\n'],
    ['prototype keys', '@book{__proto__, title = {P}, constructor = {C}}\n@book{ok, __proto__ = {polluted}, title = {T}}\n'],
    ['deep braces', `@book{deep, title = {${'{'.repeat(5000)}x${'}'.repeat(5000)}}}\n`],
    ['binary noise', '@book{x,\u0000\u0001\u0002 title = {\uFFFD\uFFFD}}\n'],
    ['a macro loop', '@string{a = b # a}\n@string{b = a # b}\n@book{loop, title = a}\n'],
    ['CSL-YAML with a prototype key', '---\nreferences:\n  - id: y\n    __proto__: {polluted: true}\n    title: T\n...\n'],
  ];
  for (const [what, text] of hostile) {
    it(`reads ${what} without throwing or polluting`, () => {
      const uri = what.startsWith('CSL-YAML') ? 'file:///work/library.yaml' : 'file:///work/library.bib';
      const bibliography = parseBibliography(uri, text);
      assert.ok(Array.isArray(bibliography.references));
      for (const d of bibliography.diagnostics) assert.ok(d.range.start.line >= 0 && d.span.end <= text.length, JSON.stringify(d));
      assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
      const first = bibliography.references[0] as { item: object } | undefined;
      assert.strictEqual(Object.getPrototypeOf(first?.item ?? {}), Object.prototype);
      // Read piece by piece, plain entries without the parser, the same as the parser's whole read: a piece it throws on or finds wrong sends the file to that read.
      if (uri.endsWith('.bib')) assert.deepStrictEqual(bibliography, bibliographyModule.parseBibtexWhole(uri, text));
      else assert.deepStrictEqual(runNow(cslYamlSteps(uri, text)).bibliography, bibliography);
    });
  }
});

/** Runs `body` with `performance.now` moving on 20 ms at each reading, so that a load in slices ends a slice after every step. */
async function withRunningClock<T>(body: () => Promise<T>): Promise<T> {
  const now = performance.now.bind(performance);
  let ahead = 0;
  performance.now = () => now() + (ahead += 20);
  try {
    return await body();
  } finally {
    // The own property goes, and the prototype's clock shows through again.
    delete (performance as { now?: () => number }).now;
  }
}
