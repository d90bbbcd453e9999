import * as assert from 'assert';
import { createHash } from 'crypto';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { stringify } from 'yaml';
import {
  Foreground,
  loadTextContext,
  mergeRegistry,
  mergeRegistrySteps,
  parseBibliography,
  parseCslJson,
  parseCslJsonInPieces,
  parseSidecar,
  parseSidecarInPieces,
  ParseCache,
  PeopleSearch,
  peopleSearchFor,
  ReferenceSearch,
  referenceSearchFor,
  quickSidecar,
  runInSlices,
  runNow,
  sidecarSections,
  sidecarSteps,
  steppedLoadChars,
  LineMap,
  recordedSidecar,
  recordedLibrary,
  sidecarRecord,
  libraryRecord,
  digestSteps,
  decodeFile,
  type FileContent,
  type ParsedStore,
  type Scheduler,
  type Steps,
  type Sidecar,
  type Registry,
  type Bibliography,
  type Person,
  type Reference,
} from '../../src/core';
import { bytesOfRecord, recordOfBytes } from '../../src/extension/recordBytes';
import { UnsafeText } from '../../src/core/cslJsonSteps';
import { LayeredReferences } from '../../src/core/referenceLayers';
import { SidecarReader } from '../../src/core/sidecar';
import type { RegistrySource } from '../../src/core/registry';
import { blockValues, eventValues, NotQuick, type PieceValues } from '../../src/core/quickYaml';
import { decodeNumbers, encodeNumbers, zigzag } from '../../src/core/searchTables';
import { countingJsonParses, editedTexts, fileUri, MemoryReader, MemoryStore, plainBibliography } from './helpers';

const root = path.resolve(__dirname, '..', '..', '..');

/** Every YAML file under the fixtures, and the example sidecar. */
function sidecarFixtures(): { name: string; text: string }[] {
  const found: string[] = [path.join(root, 'examples', 'kropotkin-meets-lenin.yaml')];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) found.push(full);
    }
  };
  walk(path.join(root, 'test', 'fixtures'));
  return found.map((file) => ({ name: path.relative(root, file), text: fs.readFileSync(file, 'utf8') }));
}

const words = ['mutual', 'aid', 'bread', 'exile', 'commune', 'letters', 'field', 'factory', 'prison', 'memoirs'];

/**
 * A sidecar of `people` people and `references` references, written the ways
 * people write them: comments between entries, flow and block lists, block
 * scalars, quoted and plain values, a quoted key, numbers, an id that is not
 * the first field. `indent` is the indentation of the entries.
 */
function generatedSidecar(people: number, references: number, options: { indent?: number; referencesIndent?: number; crlf?: boolean; bibliographyFirst?: boolean } = {}): string {
  const { indent = 2, referencesIndent = indent, crlf = false, bibliographyFirst = false } = options;
  const pad = ' '.repeat(indent);
  const lines: string[] = ['# Generated for the tests.', ''];
  if (bibliographyFirst) lines.push('bibliography: [library.json]', '');
  lines.push('people:', `${pad}# the first comes after a comment`);
  for (let n = 0; n < people; n++) {
    const word = words[n % words.length];
    const key = n % 17 === 5 ? `"o'key${n}"` : n % 23 === 7 ? `${1000 + n}` : `person${n}`;
    lines.push(`${pad}${key}:`, `${pad}  name: ${word[0].toUpperCase()}${word.slice(1)} Person${n}`);
    if (n % 2 === 0) lines.push(`${pad}  aliases: [P${n}, "Person ${n}"]`);
    else lines.push(`${pad}  aliases:`, `${pad}    - P${n}`, `${pad}    - 'Person ''${n}'''`);
    lines.push(n % 3 === 0 ? `${pad}  born: ${1800 + n}` : `${pad}  born: "${1800 + n}-01-02"`);
    if (n % 4 === 0) lines.push(`${pad}  bio: |`, `${pad}    Wrote on *${word}*.`, '', `${pad}    # not a comment`);
    if (n % 5 === 0) lines.push(`${pad}  description: >-`, `${pad}    A ${word}`, `${pad}    writer.`);
    if (n % 6 === 0) lines.push(`${pad}  links:`, `${pad}    Wikipedia: https://example.org/wiki/P${n}  # a comment`);
    if (n % 7 === 0) lines.push(`${pad}  implicit: false`, `${pad}  image: img/p${n}.jpg`);
    if (n % 11 === 0) lines.push('', `# a comment at the margin`, '');
  }
  lines.push('references:');
  const referencesPad = ' '.repeat(referencesIndent);
  for (let n = 0; n < references; n++) {
    const pad = referencesPad;
    const word = words[(n * 3) % words.length];
    const item = n % 9 === 4 ? [`type: book`, `id: ${word}${1900 + n}`] : [n % 13 === 3 ? `id: ${2000 + n}` : `id: "${word}${1900 + n}"`, `type: article-journal`];
    lines.push(`${pad}- ${item[0]}`, `${pad}  ${item[1]}`);
    lines.push(`${pad}  author:`, `${pad}    - family: ${word}`, `${pad}      given: A.`);
    lines.push(`${pad}  issued: {date-parts: [[${1900 + n}, ${(n % 12) + 1}]]}`);
    if (n % 2 === 0) lines.push(`${pad}  title: "On ${word}: \\"essays\\",`, `${pad}    and other things"`);
    else lines.push(`${pad}  title: On ${word}`, `${pad}    and other things`);
    if (n % 5 === 0) lines.push(`${pad}  volume: ${n}`, `${pad}  note: ~`, `${pad}  page: 0x1F`);
    lines.push('');
  }
  if (!bibliographyFirst) lines.push('bibliography: library.json');
  const text = lines.join('\n') + '\n';
  return crlf ? text.replace(/\n/g, '\r\n') : text;
}

/** A generated sidecar whose aliases point into earlier entries, and one to an anchor after it. */
function sidecarWithAnchors(): string {
  return generatedSidecar(12, 12)
    .replace('name: Aid Person1', 'name: &n Aid Person1')
    .replace('name: Bread Person2', 'name: *n')
    // An anchored list with an alias that is not text: the diagnostic is made where the list is written, from each piece that uses it.
    .replace('aliases: [P4, "Person 4"]', 'aliases: &al [P4, {not: text}]')
    .replace('aliases: [P8, "Person 8"]', 'aliases: *al')
    // An alias before its anchor is unknown, in the whole file as in pieces.
    .replace('title: On exile\n      and other things\n', 'title: &t On exile\n    note: *later\n')
    .replace('title: On exile\n      and other things\n', 'title: *t\n')
    .replace('type: book', 'type: &later book');
}

const uri = fileUri('essay.yaml');
/**
 * Pieces of one entry each, so that every entry boundary is a piece boundary;
 * and a file read whole has its entries taken from the parser as soon as it is done with them.
 */
const tiny = { pieceChars: 1, quickPieces: 3, wholeReadSteps: { lexemes: 1, entriesTaken: 1 } };
/** Pieces and slices of a few entries, with entries taken from the parser a few at a time. */
const middling = { pieceChars: 200, quickPieces: 2, wholeReadSteps: { lexemes: 7, entriesTaken: 3 } };

function entriesOf(sidecar: Sidecar): unknown {
  return { people: sidecar.people, references: sidecar.references, bibliographies: sidecar.bibliographies };
}

function hasSyntaxError(sidecar: Sidecar): boolean {
  return sidecar.diagnostics.some((d) => d.code === 'yaml-syntax' && d.severity === 'error');
}

const generated = [
  { name: 'generated', text: generatedSidecar(60, 60) },
  { name: 'generated, indented 4, bibliography first', text: generatedSidecar(30, 30, { indent: 4, bibliographyFirst: true }) },
  { name: 'generated, references at the margin', text: generatedSidecar(30, 30, { referencesIndent: 0 }) },
  { name: 'generated, CRLF', text: generatedSidecar(30, 30, { crlf: true }) },
  { name: 'generated, between --- and ...', text: `# notes\n--- # start\n${generatedSidecar(30, 30)}...\n# after the end\n` },
];

describe('sidecars read in pieces', () => {
  it('splits the example and generated sidecars into pieces', () => {
    for (const { name, text } of [sidecarFixtures()[0], ...generated]) {
      const sections = runNow(sidecarSections(text));
      assert.ok(sections, `${name} is read whole`);
      assert.ok(sections.some((s) => s.kind === 'people' && s.entries.length > 1), name);
      assert.ok(sections.some((s) => s.kind === 'references' && s.entries.length > 1), name);
    }
  });

  it('reads every fixture, the example and generated sidecars exactly as parseSidecar does', () => {
    for (const { name, text } of [...sidecarFixtures(), ...generated]) {
      const whole = parseSidecar(uri, text);
      assert.deepStrictEqual(parseSidecarInPieces(uri, text), whole, name);
      assert.deepStrictEqual(parseSidecarInPieces(uri, text, tiny), whole, `${name}, one entry per piece`);
    }
  });

  it('gives the same people, references and bibliographies in the quick read as in the precise read', () => {
    let quickReads = 0;
    for (const { name, text } of [...sidecarFixtures(), ...generated, { name: 'generated, with anchors and aliases', text: sidecarWithAnchors() }]) {
      const whole = parseSidecar(uri, text);
      for (const options of [{}, tiny]) {
        const quick = quickSidecar(uri, text, options);
        // A broken file's quick read leaves out what does not parse alone; see below.
        if (!quick || hasSyntaxError(whole)) continue;
        quickReads++;
        assert.deepStrictEqual(entriesOf(quick), entriesOf(whole), name);
        assert.deepStrictEqual(quick.diagnostics, []);
      }
    }
    // The example, generated sidecars and most fixtures have one; only the hostile ones and the broken ones may not.
    assert.ok(quickReads >= 40, `only ${quickReads} quick reads`);
  });

  it('keeps a sidecar read quickly when its entries hold tags, reading those pieces with yaml', () => {
    const text = generatedSidecar(10, 10).replace('name: Mutual Person0', 'name: !!str Mutual Person0').replace('type: book', 'type: !custom book');
    const quick = quickSidecar(uri, text, tiny);
    assert.ok(quick);
    assert.deepStrictEqual(entriesOf(quick), entriesOf(parseSidecar(uri, text)));
  });

  it('reads a sidecar with anchors and aliases in pieces, following an alias into an earlier piece, with the spans of the whole file', () => {
    const text = sidecarWithAnchors();
    assert.ok(text.includes('*t') && text.includes('*al'), 'the aliases are in the file');
    const whole = parseSidecar(uri, text);
    const messages = whole.diagnostics.map((d) => `${d.range.start.line}: ${d.message}`);
    // Both uses of the anchored list report at its one place; the alias written before its anchor is unknown.
    const notText = messages.filter((m) => m.includes('must be text'));
    assert.strictEqual(notText.length, 2, messages.join('\n'));
    assert.strictEqual(new Set(notText.map((m) => m.replace(/person\d+/, ''))).size, 1, notText.join('\n'));
    assert.ok(messages.some((m) => m.includes('Unknown alias *later')), messages.join('\n'));
    assert.deepStrictEqual(whole.people.find((p) => p.key === 'person2')?.name, 'Aid Person1');
    for (const options of [{}, tiny, middling]) {
      assert.deepStrictEqual(parseSidecarInPieces(uri, text, options), whole);
      const quick = quickSidecar(uri, text, options);
      assert.ok(quick, 'a quick read');
      assert.deepStrictEqual(entriesOf(quick), entriesOf(whole));
    }
  });

  it('reads a file whole when pieces cannot stand alone: directives, repeated keys, tabs', () => {
    const base = generatedSidecar(8, 8);
    const cases = {
      directive: `%YAML 1.2\n---\n${base}`,
      'repeated key': `${base}people:\n  late:\n    name: Late\n`,
      'tab in indentation': base.replace('  person3:', '\tperson3:'),
      'a second document': `---\n${base}---\nextra: 1\n`,
      'a key after the end': `${base}...\nextra: 1\n`,
      'a second end': `${base}...\n...\n`,
      // `yaml` reads the indented text and the `people:` line after it as one key spanning lines: no people at all.
      'plain text under a key with nothing after it': base.replace('people:\n', 'note:\n\n# c\n Some text\n\npeople:\n'),
    };
    for (const [name, text] of Object.entries(cases)) {
      assert.strictEqual(quickSidecar(uri, text, tiny), undefined, name);
      assert.deepStrictEqual(parseSidecarInPieces(uri, text, tiny), parseSidecar(uri, text), name);
    }
  });

  it('serves a quick read without the entry that does not parse alone, marked not valid, as while it is being typed', () => {
    const base = generatedSidecar(8, 8);
    const clean = parseSidecar(uri, base);
    const cases = {
      'unclosed bracket': base.replace('aliases: [P2, "Person 2"]', 'aliases: [P2, "Person 2"'),
      'unclosed quote': base.replace('name: Bread Person2', 'name: "Bread Person2'),
      'mapping in a compact value': base.replace('name: Bread Person2', 'name: Bread: Person2'),
    };
    for (const [name, text] of Object.entries(cases)) {
      const quick = quickSidecar(uri, text, tiny);
      assert.ok(quick, name);
      assert.strictEqual(quick.valid, false, name);
      const keys = quick.people.map((p) => p.key);
      assert.ok(!keys.includes('person2'), `${name}: ${keys.join(' ')}`);
      // One entry per piece: only the broken one is left out, and its neighbours are read as in the clean file.
      assert.deepStrictEqual(keys, clean.people.map((p) => p.key).filter((key) => key !== 'person2'), name);
      const items = (sidecar: Sidecar): unknown => sidecar.references.map(({ id, item }) => ({ id, item }));
      assert.deepStrictEqual(items(quick), items(clean), name);
      assert.deepStrictEqual(parseSidecarInPieces(uri, text, tiny), parseSidecar(uri, text), name);
    }
  });

  it('reads a large sidecar with a syntax error whole in many short steps, never at once, as parseSidecar does', () => {
    const text = generatedSidecar(1500, 1500);
    const at = text.indexOf('name: ', text.length >> 2);
    const cases: Record<string, string> = {
      // The quote runs on to the next one, in a later line of the entry: only the whole file says where it ends.
      'unclosed quote': text.slice(0, at) + 'name: "Unclosed ' + text.slice(at + 6),
      'mapping in a compact value': text.slice(0, at) + 'name: Odd: value ' + text.slice(at + 6),
      'bad indentation': text.slice(0, at) + '  ' + text.slice(at),
      'a key with no value at the top': `${text}stray\n`,
      'unclosed quote, between --- and ...': `---\n${text.slice(0, at)}name: "Unclosed ${text.slice(at + 6)}...\n`,
    };
    // An alias may point into an earlier slice: the reader keeps every slice's anchors.
    cases['unclosed quote, with an alias'] = cases['unclosed quote'].replace('name: Aid Person1', 'name: &n Aid Person1').replace('name: Bread Person2', 'name: *n');
    const directive = `%YAML 1.2\n---\n${cases['unclosed quote']}`;
    const wholes = new Map([...Object.values(cases), directive].map((broken) => [broken, parseSidecar(uri, broken)]));
    const readWhole: (this: SidecarReader) => void = Reflect.get(SidecarReader.prototype, 'readWhole');
    let readsAtOnce = 0;
    SidecarReader.prototype.readWhole = function (this: SidecarReader) {
      readsAtOnce++;
      readWhole.call(this);
    };
    try {
      for (const [name, broken] of Object.entries(cases)) {
        const order: string[] = [];
        const steps = sidecarSteps(uri, broken, { quick: (quick) => order.push(quick.valid ? 'valid quick' : 'quick') });
        let count = 0;
        let next = steps.next();
        for (; !next.done; next = steps.next()) count++;
        assert.strictEqual(readsAtOnce, 0, name);
        assert.ok(count > broken.length / 2048, `${name}: ${count} steps`);
        const whole = wholes.get(broken);
        assert.ok(whole && hasSyntaxError(whole), name);
        assert.deepStrictEqual(next.value.sidecar, whole, name);
        if (name !== 'a key with no value at the top') assert.deepStrictEqual(order, ['quick'], name);
      }
      // What slices cannot give is still read, at once: here a directive.
      assert.deepStrictEqual(runNow(sidecarSteps(uri, directive)).sidecar, wholes.get(directive));
      assert.strictEqual(readsAtOnce, 1);
    } finally {
      SidecarReader.prototype.readWhole = readWhole;
    }
  });

  it('reads random edits of sidecars in pieces exactly as whole, and quickly with the same entries', () => {
    const bases = [generatedSidecar(12, 12), generatedSidecar(8, 8, { referencesIndent: 0 }), sidecarWithAnchors(), fs.readFileSync(path.join(root, 'examples', 'kropotkin-meets-lenin.yaml'), 'utf8'), `---\n${generatedSidecar(6, 6)}...\n`];
    // Found by longer runs: a tag on the root with an error after it (warnings after every slice's errors), and a key spanning lines.
    for (const text of ['!x \nreferences:\n' + bases[0].slice(2), 'name: \n\n# c\n ' + bases[0].slice(1)]) {
      assert.deepStrictEqual(parseSidecarInPieces(uri, text, tiny), parseSidecar(uri, text));
      assert.deepStrictEqual(parseSidecarInPieces(uri, text), parseSidecar(uri, text));
    }
    const snippets = ['\n', ' ', '  ', ':', ': ', '- ', '#', ' #', '"', "'", '[', ']', '{', '}', ',', '&a ', '*a', '!!str ', '!x ', '|', '>', '\t', '---\n', '...\n', 'x', '1', 'true', '~', '\r\n', '\r', 'id: ', 'name: ', '\n  k:\n    name: K\n', '\n- id: z\n', '\npeople:\n', '\nreferences:\n', '\n# c\n', '? ', '\\', '%'];
    fc.assert(
      fc.property(editedTexts(bases, snippets), (text) => {
        const whole = parseSidecar(uri, text);
        assert.deepStrictEqual(parseSidecarInPieces(uri, text, tiny), whole);
        assert.deepStrictEqual(parseSidecarInPieces(uri, text, middling), whole);
        const quick = quickSidecar(uri, text, tiny);
        // js-yaml and yaml may disagree on what is an error; on a file yaml reads cleanly, the quick read must agree.
        if (quick && !hasSyntaxError(whole)) assert.deepStrictEqual(entriesOf(quick), entriesOf(whole));
      }),
      { numRuns: 300, seed: 20240611 },
    );
  });

  it('reads random sidecars as yaml.stringify writes them: in pieces as whole, quickly with the same entries', () => {
    // Scalars that look like other types, or like YAML syntax, beside random text.
    const tricky = fc.constantFrom('1842', '1e3', '0x1F', '0o17', '.inf', '-.5', '+1', 'true', 'False', 'null', '~', '', ' ', '- x', 'a: b', 'a #b', '#c', "it's", '"q"', '[x]', '{y}', '*z', '&w', '!t', '|', '>', '%', '@', '`', '\\', 'x\ny', ' x ', 'é\u00a0è');
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), tricky);
    const scalar = fc.oneof(text, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const person = fc.record(
      {
        name: fc.oneof(text, scalar),
        aliases: fc.oneof(fc.array(scalar, { maxLength: 3 }), scalar),
        born: scalar,
        died: scalar,
        description: text,
        bio: fc.array(text, { maxLength: 3 }).map((lines) => lines.join('\n')),
        links: fc.oneof(fc.dictionary(text, scalar, { maxKeys: 2 }), scalar),
        image: text,
        implicit: scalar,
        extra: scalar,
      },
      { requiredKeys: [] },
    );
    const { value: cslValue } = fc.letrec<{ value: unknown }>((tie) => ({ value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 })) }));
    const reference = fc.record(
      { id: fc.oneof(text, text, scalar), type: text, title: text, author: fc.array(fc.record({ family: text, given: text }, { requiredKeys: [] }), { maxLength: 2 }), issued: fc.record({ 'date-parts': fc.array(fc.array(fc.integer(), { maxLength: 3 }), { maxLength: 2 }) }), note: cslValue },
      { requiredKeys: ['id'] },
    );
    // Mostly keys as people write them; now and then anything.
    const key = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.constantFrom('123', 'true', "o'brien", 'a b'), text);
    const sidecar = fc.record({ people: fc.dictionary(key, person, { minKeys: 1, maxKeys: 6 }), references: fc.array(reference, { minLength: 1, maxLength: 6 }), bibliography: fc.option(text) }, { requiredKeys: ['people', 'references'] });
    const options = fc.record({
      indent: fc.constantFrom(2, 4),
      indentSeq: fc.boolean(),
      lineWidth: fc.constantFrom(0, 24),
      defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
      doubleQuotedAsJSON: fc.boolean(),
      defaultKeyType: fc.constant('PLAIN'),
    } as const);
    let compared = 0;
    fc.assert(
      fc.property(sidecar, options, (value, format) => {
        const yaml = stringify(value, format);
        const whole = parseSidecar(uri, yaml);
        assert.deepStrictEqual(parseSidecarInPieces(uri, yaml, tiny), whole);
        const quick = quickSidecar(uri, yaml, tiny);
        if (!quick) return;
        compared++;
        assert.deepStrictEqual(entriesOf(quick), entriesOf(whole));
      }),
      { numRuns: 400, seed: 20240611 },
    );
    assert.ok(compared > 200, `only ${compared} quick reads compared`);
  });

  it('reads random values in place of a sidecar\'s values quickly with the entries yaml gives', () => {
    const base = generatedSidecar(12, 12);
    const lines = base.split('\n');
    const valueLines = lines.map((line, i) => [line, i] as const).filter(([line]) => /^ +[\w-]+: \S/.test(line) || /^ +- \S/.test(line)).map(([, i]) => i);
    const values = fc.oneof(
      fc.constantFrom('1842', '01842', '1_000', '1e3', '1.', '.5', '0x1F', '0X1F', '0o17', '0b1', '.inf', '-.Inf', '.NaN', '+1', '-0', 'true', 'True', 'TRUE', 'yes', 'on', 'null', 'Null', 'NULL', '~', '2001-12-14', '12:30', '"a\\tb"', '"\\u00e9"', '"\\x41"', '"\\N"', "'a''b'", 'a \\ b', 'x # c', 'x#c', '"q" ', "'q' "),
      fc.string({ unit: 'grapheme-ascii', maxLength: 6 }),
    );
    let compared = 0;
    fc.assert(
      fc.property(fc.array(fc.record({ line: fc.constantFrom(...valueLines), value: values }), { minLength: 1, maxLength: 4 }), (edits) => {
        const edited = [...lines];
        for (const { line, value } of edits) edited[line] = edited[line].replace(/^( +(?:- )?(?:[\w-]+: )?).*$/, `$1${value}`);
        const text = edited.join('\n');
        const whole = parseSidecar(uri, text);
        assert.deepStrictEqual(parseSidecarInPieces(uri, text, tiny), whole);
        const quick = quickSidecar(uri, text, tiny);
        if (!quick || hasSyntaxError(whole)) return;
        compared++;
        assert.deepStrictEqual(entriesOf(quick), entriesOf(whole));
      }),
      { numRuns: 400, seed: 20240611 },
    );
    assert.ok(compared > 200, `only ${compared} quick reads compared`);
  });

  it('reads a large sidecar in many short steps, the quick read first', () => {
    const text = generatedSidecar(1500, 1500);
    assert.ok(text.length > steppedLoadChars);
    const order: string[] = [];
    const steps = sidecarSteps(uri, text, { quick: () => order.push('quick') });
    let count = 0;
    let next = steps.next();
    for (; !next.done; next = steps.next()) count++;
    order.push('precise');
    assert.deepStrictEqual(order, ['quick', 'precise']);
    // At least one step per piece of each read.
    assert.ok(count > text.length / 4096, `${count} steps`);
    assert.deepStrictEqual(next.value.sidecar, parseSidecar(uri, text));
  });

  it('counts values copied through aliases against the budget, not values written out', () => {
    const text = 'references:\n' + Array.from({ length: 10_000 }, (_, i) => `  - {id: r${i}, author: [{family: F, given: G}], issued: {date-parts: [[1900]]}}\n`).join('');
    const sidecar = parseSidecar(uri, text);
    assert.strictEqual(sidecar.valid, true);
    assert.deepStrictEqual(sidecar.references[9999].item, { id: 'r9999', author: [{ family: 'F', given: 'G' }], issued: { 'date-parts': [[1900]] } });
  });
});

/** The pieces of a sidecar's people and references sections, as the quick read cuts them: a section's entries, a few at a time. */
function piecesOf(text: string, entriesPerPiece: number): { source: string; base: number }[] {
  const pieces: { source: string; base: number }[] = [];
  for (const section of runNow(sidecarSections(text)) ?? []) {
    if (section.kind === 'top') continue;
    for (let i = 0; i < section.entries.length; i += entriesPerPiece) {
      const base = section.entries[i];
      pieces.push({ source: text.slice(base, section.entries[i + entriesPerPiece] ?? section.end), base });
    }
  }
  return pieces;
}

/** What js-yaml's events give for a piece, or the reason they give nothing. */
function fromEvents(source: string, base: number): PieceValues | string {
  try {
    return eventValues(source, base);
  } catch (error) {
    return error instanceof NotQuick ? 'not quick' : 'syntax error';
  }
}

/** The events' values; fails when they give none. */
function valuesOf(events: PieceValues | string, message: string): PieceValues {
  if (typeof events === 'string') assert.fail(`${message}: the events give ${events}`);
  return events;
}

function sameValues(actual: PieceValues, expected: PieceValues, message: string): void {
  assert.deepStrictEqual({ entries: actual.entries, items: actual.items, idSpans: actual.idSpans }, { entries: expected.entries, items: expected.items, idSpans: expected.idSpans }, message);
}

describe('pieces of YAML read from their characters', () => {
  it('takes every piece of the example sidecar, and most of the generated ones, with the values and spans the events give', () => {
    for (const { name, text } of [sidecarFixtures()[0], ...generated]) {
      const pieces = piecesOf(text, 1);
      let taken = 0;
      for (const { source, base } of pieces) {
        const block = blockValues(source, base);
        const events = valuesOf(fromEvents(source, base), name);
        if (!block) continue;
        taken++;
        sameValues(block, events, name);
      }
      // The generated sidecars also hold what is left to the events: quoted scalars over several lines, keys that are numbers.
      const least = name.startsWith('examples') ? pieces.length : pieces.length * 0.6;
      assert.ok(pieces.length > 10 && taken >= least, `${name}: ${taken} of ${pieces.length} pieces read from their characters`);
    }
  });

  it('gives what the events give, or leaves the piece to them, on random edits', () => {
    const bases = [generatedSidecar(12, 12), generatedSidecar(8, 8, { referencesIndent: 0, crlf: true }), fs.readFileSync(path.join(root, 'examples', 'kropotkin-meets-lenin.yaml'), 'utf8')];
    const snippets = ['\n', ' ', '  ', ':', ': ', '- ', '-', '#', ' #', '"', "'", "''", '[', ']', '[]', ',', ', ', '{', '}', '&a ', '*a', '!!str ', '|', '|-', '|+', '>', '\t', '---\n', '...\n', 'x', '1', '12', 'true', 'null', '~', '\r\n', '\\', '%', '?', '@', '\u00a0', '\u0085', '\u2028', '\ud83d', '\ud83d\ude00', 'id: ', 'id: |\n  x\n', 'name: ', '\n  k:\n    name: K\n', '\n- id: z\n', 'constructor: c\n', 'toString: t\n'];
    // Offsets spread over the whole file: an edit on a top-level line makes the file one that is not cut into pieces.
    const edit = fc.record({ at: fc.integer({ min: 0, max: 2 ** 30 }), remove: fc.integer({ min: 0, max: 4 }), insert: fc.constantFrom(...snippets) });
    let taken = 0;
    let left = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 4 }), (which, edits) => {
        let text = bases[which];
        for (const { at, remove, insert } of edits) {
          const offset = at % (text.length + 1);
          text = text.slice(0, offset) + insert + text.slice(offset + remove);
        }
        for (const { source, base } of piecesOf(text, 3)) {
          const block = blockValues(source, base);
          if (!block) {
            left++;
            continue;
          }
          taken++;
          sameValues(block, valuesOf(fromEvents(source, base), `read from its characters: ${JSON.stringify(source)}`), JSON.stringify(source));
        }
      }),
      { numRuns: 400, seed: 20251125 },
    );
    assert.ok(taken > 700 && left > 100, `${taken} pieces read from their characters, ${left} left to the events`);
  });

  it('gives what the events give, or leaves the piece to them, on random values as yaml.stringify writes them', () => {
    const tricky = fc.constantFrom('1842', '007', '1e3', '0x1F', '.inf', '-.5', '+1', 'true', 'False', 'null', '~', '', ' ', '- x', '-x', 'a: b', 'a:b', 'a #b', 'a#b', '#c', "it's", '"q"', '[x]', '{y}', '*z', '&w', '!t', '|', '>', '%', '@', '`', '\\', 'x\ny', 'x\n\ny\n', ' x ', 'é\u00a0è', '12', '__proto__', 'constructor', 'prototype', 'toString', 'id');
    // Mostly text as people write it, now and then anything.
    const words = fc.stringMatching(/^[A-Za-zÀ-ÿА-я][\w À-ÿА-я,.'()/-]{0,20}$/);
    const text = fc.oneof(words, words, fc.string({ unit: 'grapheme', maxLength: 12 }), tricky);
    const scalar = fc.oneof(text, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const key = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,6}(?: [a-z0-9-]{1,6})?$/), fc.stringMatching(/^[a-z][a-z0-9-]{0,6}(?: [a-z0-9-]{1,6})?$/), text);
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({ value: fc.oneof({ depthSize: 'small' }, scalar, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 3 })) }));
    const item = fc.dictionary(fc.oneof(fc.constantFrom('id', 'title', 'author', 'note'), key), value, { minKeys: 1, maxKeys: 4 });
    const piece = fc.oneof(fc.array(item, { minLength: 1, maxLength: 4 }), fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }));
    const options = fc.record({
      indent: fc.constantFrom(2, 4),
      indentSeq: fc.boolean(),
      lineWidth: fc.constantFrom(0, 24),
      defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
      flowCollectionPadding: fc.boolean(),
    } as const);
    let taken = 0;
    fc.assert(
      fc.property(piece, options, fc.boolean(), (data, format, flow) => {
        const source = stringify(data, { ...format, collectionStyle: flow ? 'any' : 'block' });
        const block = blockValues(source, 7);
        if (!block) return;
        taken++;
        sameValues(block, valuesOf(fromEvents(source, 7), `read from its characters: ${JSON.stringify(source)}`), JSON.stringify(source));
      }),
      { numRuns: 1000, seed: 20251125 },
    );
    assert.ok(taken > 450, `only ${taken} pieces read from their characters`);
  });
  it('leaves to the events a dash, question mark or colon alone in brackets, which YAML does not read as text', () => {
    for (const list of ['[-, b]', '[b, -]', '[?, b]', '[:, b]', '[[-], b]']) {
      const source = `- id: x\n  aliases: ${list}\n`;
      assert.strictEqual(blockValues(source, 0), undefined, list);
    }
    // Before a character that is not a space or a bracket, they start text, as the events say too.
    const text = '- id: x\n  aliases: [-b, ?c, :d]\n';
    assert.deepStrictEqual(blockValues(text, 0)?.items, [{ id: 'x', aliases: ['-b', '?c', ':d'] }]);
    assert.deepStrictEqual(eventValues(text, 0).items, [{ id: 'x', aliases: ['-b', '?c', ':d'] }]);
  });

  it('keeps no file alive through the keys it remembers', () => {
    // The collector, reached without starting Node with --expose-gc.
    v8.setFlagsFromString('--expose-gc');
    const collect = vm.runInNewContext('gc') as () => void;
    collect();
    const before = process.memoryUsage().heapUsed;
    const readPieceOfLargeFile = (n: number): number => {
      // Two bytes a character: 40 MB a file.
      const text = `${'#'.repeat(20_000_000)}ζ\n  a-person-key-long-enough-${n}:\n    name: Someone\n    container-title-of-some-length: x\n`;
      const start = text.indexOf('  a-person');
      return blockValues(text.slice(start), start)?.entries?.length ?? 0;
    };
    for (let n = 0; n < 3; n++) assert.strictEqual(readPieceOfLargeFile(n), 1);
    collect();
    const held = process.memoryUsage().heapUsed - before;
    assert.ok(held < 20_000_000, `${(held / 1e6).toFixed(0)} MB still held after reading three files of 40 MB`);
  });
});

describe('CSL-JSON read in steps', () => {
  const items = Array.from({ length: 40 }, (_, n) => ({ id: `item${n}`, type: 'book', title: `Title "${n}" [x] {y}`, author: [{ family: `F${n}`, given: 'G\\' }], issued: { 'date-parts': [[1900 + n]] } }));
  const texts: Record<string, string> = {
    'pretty array': JSON.stringify(items, null, 2),
    'compact array': JSON.stringify(items),
    // Laid out one block of lines per item, but in ways the layout's guess must notice and give up on.
    'tabs and CRLF': JSON.stringify(items, null, '\t').replace(/\n/g, '\r\n'),
    'nested objects at the margin with the items': '[\n{\n"id": "a",\n"issued": {\n"date-parts": [[1900]]\n},\n"title": "x"\n},\n{\n"id": "b"\n}\n]',
    'items one to a line': '[\n  {"id": "a"},\n  {"id": "b"}\n]',
    'a scalar after laid-out items': '[\n  {\n    "id": "a"\n  },\n  3\n]',
    'laid-out items, then garbage': '[\n  {\n    "id": "a"\n  }\n] x',
    // A guessed item that holds two, which parse as more items than were guessed when a step's items are parsed as one array.
    'two items where the layout guesses one': '[\n  {"id": "a"\n  }, {"id": "b"},\n  {"id": "c"\n  }\n]',
    'a deep item among laid-out ones': `[\n  {\n    "id": "deep",\n    "note": ${'['.repeat(70)}${']'.repeat(70)}\n  },\n  {\n    "id": "b"\n  }\n]`,
    'items object': JSON.stringify({ comment: ['a', { b: 1 }], items }),
    'items object, items twice': `{"items": [{"id": "first"}], "x": 1, "items": ${JSON.stringify(items)}}`,
    'items not a list': '{"items": {"id": "a"}}',
    BOM: `\uFEFF${JSON.stringify(items)}`,
    empty: '[]',
    'empty with spaces': ' [ \n ] \n',
    'no id, a number id, duplicates, scalars': '[{"title": "x"}, {"id": 7}, {"id": "7"}, 3, null, "s", [1]]',
    'prototype keys and escapes': '[{"id": "a", "__proto__": {"polluted": 1}}, {"id": "b", "t\\u0069tle": "x", "constructor": 1}]',
    'trailing comma': '[{"id": "a"},]',
    'empty element': '[{"id": "a"},,{"id": "b"}]',
    truncated: JSON.stringify(items).slice(0, 500),
    'garbage after': `${JSON.stringify(items)} x`,
    'two values': '[{"id": "a"}] [{"id": "b"}]',
    'mismatched brackets': '[{"id": "a"]}',
    // Found by random edits: the outer pair closed by the other kind of bracket.
    'an array closed by a brace': `${JSON.stringify(items, null, 1).slice(0, -1)}}`,
    'an items object closed by a bracket': `${JSON.stringify({ items }).slice(0, -1)}]`,
    'not JSON': 'id: a',
  };
  const hostile = fs.readFileSync(path.join(root, 'test', 'fixtures', 'hostile', 'hostile-bibliography.json'), 'utf8');
  const library = fs.readFileSync(path.join(root, 'test', 'fixtures', 'navigation', 'shared-sidecar', 'library.json'), 'utf8');

  it('gives what parseCslJson gives, diagnostics and id spans included', () => {
    const jsonUri = fileUri('library.json');
    for (const [name, text] of Object.entries({ ...texts, hostile, library })) {
      assert.deepStrictEqual(plainBibliography(parseCslJsonInPieces(jsonUri, text)), parseCslJson(jsonUri, text), name);
    }
    assert.strictEqual(parseCslJsonInPieces(jsonUri, texts['pretty array']).references.length, 40);
  });

  it('gives what parseCslJson gives on random edits', () => {
    const jsonUri = fileUri('library.json');
    const base = JSON.stringify(items.slice(0, 8), null, 1);
    const snippets = ['"', '\\', '\\"', '[', ']', '{', '}', ',', ':', ' ', '\n', '1', 'null', '"id": "x", ', '\\u0041', 'x'];
    fc.assert(
      fc.property(editedTexts([base], snippets, { maxRemoved: 3 }), (text) => {
        assert.deepStrictEqual(plainBibliography(parseCslJsonInPieces(jsonUri, text)), parseCslJson(jsonUri, text));
      }),
      { numRuns: 400, seed: 20240611 },
    );
  });

  it('keeps the items as text: the citation search parses none, and each is parsed once, when first read', async () => {
    const jsonUri = fileUri('library.json');
    // Enough references for the search's prefilter, with what its words are made of: several authors, one-letter
    // names, literal names, editors instead of authors, dates as text, Greek with a final sigma, a number for an id,
    // an item without author or date, a title that is not text, and an unsafe item kept as a copy.
    const many = Array.from({ length: 2400 }, (_, n) => {
      const kind = n % 8;
      const names = [{ family: `Ὀδυσσεύς${n % 37}`, given: 'Σ' }, { family: `Mc${n % 53}`, given: 'A. B.' }];
      return {
        id: kind === 7 ? n : `ref-${n}`,
        ...(kind === 1 ? { editor: names } : kind === 2 ? {} : { author: kind === 3 ? [{ literal: `Society ${n % 11}` }, null, 'x'] : names }),
        ...(kind === 4 ? { issued: { literal: `about ${1800 + (n % 200)}` } } : kind === 2 ? {} : { issued: { 'date-parts': [[1800 + (n % 200)]] } }),
        title: kind === 5 ? { text: 'not text' } : `On ${words[n % words.length]} and ΣΟΦΙΑΣ ${n}`,
      };
    });
    const text = JSON.stringify([...many, { id: 'unsafe', title: 'Kept as a copy' }], null, 2).replace('"id": "unsafe",', '"id": "unsafe",\n    "__proto__": {"polluted": 1},');
    assert.ok(text.includes('"__proto__": {"polluted": 1}'));
    const whole = parseCslJson(jsonUri, text);
    const inSteps = parseCslJsonInPieces(jsonUri, text);
    const { searchTables, parsesOfTheSearch, parsesOfTheReads, parsesOfTheSecondReads } = await countingJsonParses((parses) => {
      const searchTables = runNow(new ReferenceSearch(inSteps.references).tablesSteps());
      const parsesOfTheSearch = parses();
      for (const reference of inSteps.references) void reference.item;
      const parsesOfTheReads = parses() - parsesOfTheSearch;
      for (const reference of inSteps.references) void reference.item;
      return { searchTables, parsesOfTheSearch, parsesOfTheReads, parsesOfTheSecondReads: parses() - parsesOfTheSearch - parsesOfTheReads };
    });
    assert.strictEqual(parsesOfTheSearch, 0, 'the search parsed items');
    // The unsafe item was copied when the library was read, and is not parsed again.
    assert.strictEqual(parsesOfTheReads, inSteps.references.length - 1);
    assert.strictEqual(parsesOfTheSecondReads, 0);
    assert.deepStrictEqual(plainBibliography(inSteps), whole);
    // The texts kept for the search make the very tables the items make.
    assert.ok(searchTables !== undefined);
    assert.strictEqual(searchTables, runNow(new ReferenceSearch(whole.references).tablesSteps()));
    assert.deepStrictEqual(
      new ReferenceSearch(inSteps.references).search('odysseus 1850', 5).map((r) => r.id),
      new ReferenceSearch(whole.references).search('odysseus 1850', 5).map((r) => r.id),
    );
  });

  it('finds a prototype key or escape in an item whatever window the search is in', () => {
    const needles = ['__proto__', 'constructor', 'prototype', '\\u'];
    // Pieces of the needles too, so that one may start in one window and end in the next.
    const piece = fc.constantFrom('x', ' ', '"', '\\', 'u', '__pro', 'to__', '__proto__', 'constr', 'uctor', 'constructor', 'proto', 'type', 'prototype');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.array(fc.nat(40), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 24 }), (pieces, lengths, window) => {
        const text = pieces.join('');
        const unsafe = new UnsafeText(text, window);
        // Items in file order, with gaps between them, as the commas and spaces of an array leave.
        let start = 0;
        for (const [k, length] of lengths.entries()) {
          const end = Math.min(text.length, start + length);
          const expected = needles.some((needle) => {
            const at = text.indexOf(needle, start);
            return at >= 0 && at < end;
          });
          assert.strictEqual(unsafe.within(start, end), expected, `item ${k} at [${start}, ${end}) of ${JSON.stringify(text)}, window ${window}`);
          start = Math.min(text.length, end + (length % 3));
        }
      }),
      { numRuns: 3000, seed: 20261206 },
    );
  });
});

/** A scheduler that counts its turns and runs them on the macrotask queue, as setImmediate does. */
function countingScheduler(): { scheduler: Scheduler; turns: () => number } {
  let turns = 0;
  return {
    scheduler: () => {
      turns++;
      return new Promise((resolve) => setImmediate(resolve));
    },
    turns: () => turns,
  };
}

/** Gives turns until `done`, and fails after many: a load that never finishes fails its test at once. */
async function turnsUntil(done: () => boolean, scheduler: Scheduler, what: string): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    assert.ok(turn < 10_000, `${what} never came`);
    await scheduler();
  }
}

describe('sidecar records kept from one session to the next', () => {
  const sidecarUri = fileUri('essay.yaml');
  const digests = new MemoryStore();
  const record = (text: string, digest = 'd'): string | undefined => runNow(sidecarRecord(parseSidecar(sidecarUri, text), digest, text.length, digests));
  /** A sidecar as plain objects: one read back from a record parses each entry's details when first read. */
  const plain = (sidecar: Sidecar | undefined): unknown =>
    sidecar && {
      ...sidecar,
      people: sidecar.people.map(({ key, name, aliases, born, died, description, bio, links, image, implicit, source }) => ({ key, name, aliases, born, died, description, bio, links, image, implicit, source })),
      references: sidecar.references.map(({ id, item, source }) => ({ id, item, source })),
    };

  it('give back exactly the precise read, for every fixture', () => {
    for (const { name, text } of [...sidecarFixtures(), { name: 'generated', text: generatedSidecar(200, 200) }]) {
      const parsed = parseSidecar(sidecarUri, text);
      const kept = record(text);
      if (parsed.diagnostics.some((d) => d.code === 'limit-reached')) {
        // Values cut for nesting too deep are not what JSON gives back: such a sidecar is read again each session.
        assert.strictEqual(kept, undefined, name);
        continue;
      }
      assert.ok(kept !== undefined, name);
      assert.ok(!/[\u0080-\uffff]/.test(kept), `${name}: the record holds a character past ASCII`);
      const back = runNow(recordedSidecar(kept, sidecarUri, 'd', text, digests));
      assert.ok(back, name);
      assert.deepStrictEqual(plain(back.sidecar), plain(parsed), name);
      assert.strictEqual(JSON.stringify(back.sidecar), JSON.stringify(parsed), name);
      assert.strictEqual(back.lines.lineCount, new LineMap(text).lineCount, name);
    }
  });

  it('are misses for another text, another file, another layout, or a record cut short or garbled', () => {
    const text = generatedSidecar(20, 20);
    const kept = record(text) as string;
    const lines = kept.split('\n');
    // A garbled record is sealed with its body's digest, as if written so, unless the garble is the digest's to find.
    const sealed = (garbled: string): string => {
      const end = garbled.indexOf('\n');
      if (end < 0) return garbled;
      const body = garbled.slice(end + 1);
      return `${garbled.slice(0, end).replace(/"body":"[^"]*"/, `"body":${JSON.stringify(runNow(digestSteps(digests, body)))}`)}\n${body}`;
    };
    const firstPeople = JSON.parse(lines[1]) as unknown[][];
    const namedByNumber = JSON.stringify([[firstPeople[0][0], 7, ...firstPeople[0].slice(2)], ...firstPeople.slice(1)]);
    const misses: Record<string, [string, string, string, string]> = {
      'another digest': [kept, sidecarUri, 'e', text],
      'another length': [kept, sidecarUri, 'd', `${text} `],
      'another file': [kept, fileUri('other.yaml'), 'd', text],
      'another layout': [kept.replace(/"format":\d+/, '"format":0'), sidecarUri, 'd', text],
      'tables that are not text': [[...lines.slice(0, -1), '{"people":1}'].join('\n'), sidecarUri, 'd', text],
      'cut short': [lines.slice(0, -1).join('\n'), sidecarUri, 'd', text],
      'a line too many': [`${kept}\n{}`, sidecarUri, 'd', text],
      'a garbled line': [[lines[0], lines[1].slice(1), ...lines.slice(2)].join('\n'), sidecarUri, 'd', text],
      'a garbled last line': [[...lines.slice(0, -1), lines[lines.length - 1].slice(1)].join('\n'), sidecarUri, 'd', text],
      'a person too few': [[lines[0], JSON.stringify(firstPeople.slice(1)), ...lines.slice(2)].join('\n'), sidecarUri, 'd', text],
      'a person whose name is not text': [[lines[0], namedByNumber, ...lines.slice(2)].join('\n'), sidecarUri, 'd', text],
      'a place that is not a number': [[lines[0], lines[1].replace(/,(\d+)\]\]$/, ',"$1"]]'), ...lines.slice(2)].join('\n'), sidecarUri, 'd', text],
      'a body that is not what was written': [[lines[0], lines[1], lines[2].replace('"links":[]', '"links":[ ]'), ...lines.slice(3)].join('\n'), sidecarUri, 'd', text],
      'a detail line missing': [[lines[0], lines[1], ...lines.slice(3)].join('\n'), sidecarUri, 'd', text],
      'a prototype key': [kept.replace('"links":', '"__proto__":{"polluted":1},"links":'), sidecarUri, 'd', text],
      'not a record': ['{}', sidecarUri, 'd', text],
      empty: ['', sidecarUri, 'd', text],
    };
    assert.ok(lines[2].includes('"links":[]'), 'the first detail line is of people');
    assert.ok(runNow(recordedSidecar(kept, sidecarUri, 'd', text, digests)));
    for (const [name, [garbled, ...rest]] of Object.entries(misses)) {
      const record = name === 'a body that is not what was written' ? garbled : sealed(garbled);
      assert.strictEqual(runNow(recordedSidecar(record, ...rest, digests)), undefined, name);
    }
  });

  it('are neither read nor written for an editor\'s unsaved text, which no later session reads', async () => {
    const bigSidecar = generatedSidecar(1500, 1500);
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    const cache = new ParseCache(true, store);
    const precise = new Promise<void>((resolve) => cache.onDidLoadPrecisely(() => resolve()));
    await cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler, { unsaved: true });
    await precise;
    for (let i = 0; i < 20; i++) await scheduler();
    assert.deepStrictEqual([store.reads, store.writes], [0, 0]);

    // Through a text's context: a reader that says the sidecar's text is an editor's, unsaved.
    class EditorReader extends MemoryReader {
      override async read(uri: string, maxBytes: number): Promise<FileContent | undefined> {
        const content = await super.read(uri, maxBytes);
        return content?.kind === 'text' ? { ...content, unsaved: true } : content;
      }
    }
    const textUri = fileUri('essay.annot.md');
    const other = new ParseCache(true, store);
    const otherPrecise = new Promise<void>((resolve) => other.onDidLoadPrecisely(() => resolve()));
    const context = await loadTextContext(textUri, 'Text.', new EditorReader({ 'essay.yaml': bigSidecar }), other, undefined, { scheduler });
    assert.ok(context.registry.people.size > 1000);
    await otherPrecise;
    for (let i = 0; i < 20; i++) await scheduler();
    assert.deepStrictEqual([store.reads, store.writes], [0, 0]);
    // Saved, the same text has its record read, then written.
    await new ParseCache(true, store).sidecarInSteps(fileUri('essay.yaml'), bigSidecar, scheduler);
    while (store.writes === 0) await scheduler();
    assert.strictEqual(store.reads, 1);
  });

  it('are written after a precise read, and serve the next session at once, without a quick read', async () => {
    const bigSidecar = generatedSidecar(1500, 1500);
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    const first = new ParseCache(true, store);
    const announced: string[] = [];
    first.onDidLoadPrecisely((loaded) => announced.push(loaded));
    await first.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    while (store.writes === 0) await scheduler();
    assert.deepStrictEqual(announced, [sidecarUri]);

    const next = new ParseCache(true, store);
    const nextAnnounced: string[] = [];
    next.onDidLoadPrecisely((loaded) => nextAnnounced.push(loaded));
    const served = await next.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    // The precise read itself, diagnostics and all, with nothing to swap in later.
    assert.deepStrictEqual(plain(served), plain(parseSidecar(sidecarUri, bigSidecar)));
    assert.notStrictEqual(Object.getPrototypeOf(served.people[0]), Object.prototype, 'a person read back from the record');
    for (let i = 0; i < 20; i++) await scheduler();
    assert.deepStrictEqual(nextAnnounced, []);
    assert.strictEqual(store.writes, 1);
    assert.ok(next.lineMaps.has(sidecarUri));

    // Another text of the same file is read again, and its record replaces the old one.
    const changed = bigSidecar.replace('name: Mutual Person0', 'name: Mutual Person Zero');
    const third = new ParseCache(true, store);
    assert.strictEqual((await third.sidecarInSteps(sidecarUri, changed, scheduler)).people[0].name, 'Mutual Person Zero');
    while (store.writes === 1) await scheduler();
    const fourth = new ParseCache(true, store);
    assert.deepStrictEqual(plain(await fourth.sidecarInSteps(sidecarUri, changed, scheduler)), plain(parseSidecar(sidecarUri, changed)));
  });

  it('keep the tables of its people and citation searches, for the registries the sidecar alone gives entries to', async () => {
    // Enough of both for the searches' prefilter, whose tables are the ones worth keeping.
    const bigSidecar = generatedSidecar(2500, 2500);
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    await new ParseCache(true, store).sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    while (store.writes === 0) await scheduler();

    const next = new ParseCache(true, store);
    const served = await next.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    const registry = await next.registryInSteps([served], scheduler);
    const references = await referenceSearchFor(registry).prepareInSlices(scheduler);
    const people = await peopleSearchFor(registry).prepareInSlices(scheduler);
    assert.ok(references.fromRecordedTables && people.fromRecordedTables);
    const fresh = mergeRegistry([parseSidecar(sidecarUri, bigSidecar)], new Map());
    assert.ok(references.search('exile').length > 0 && people.search('exile person').length > 0);
    for (const query of ['mutual aid', 'bread 1906', 'exile', 'exile person', 'person12', 'p240', 'm']) {
      assert.deepStrictEqual(references.search(query).map((r) => r.id), new ReferenceSearch(fresh.references.values()).search(query).map((r) => r.id), query);
      assert.deepStrictEqual(people.search(query).map((p) => p.key), new PeopleSearch(fresh.people.values()).search(query).map((p) => p.key), query);
    }

    // A library beside it adds references: the registry's search joins the library's to the sidecar's, read back from the record.
    const library = parseCslJson(fileUri('library.json'), JSON.stringify([{ id: 'extra1901', title: 'Extra' }]));
    const mixed = next.registryOf([served, library]);
    assert.ok(referenceSearchFor(mixed).prepare().fromRecordedTables);
    assert.strictEqual(referenceSearchFor(mixed).search('extra1901')[0]?.id, 'extra1901');
    assert.ok(peopleSearchFor(mixed).prepare().fromRecordedTables);
    // The same sidecar read again, not from a record, has no tables.
    assert.strictEqual(referenceSearchFor(mergeRegistry([parseSidecar(sidecarUri, bigSidecar)], new Map())).prepare().fromRecordedTables, false);
  });

  it('are written in ASCII alone, their files read back in one copy, and give back every character as it was', async () => {
    // Names, bios, titles and ids past ASCII: Cyrillic, Latin letters with marks, a character outside the BMP, a lone surrogate.
    const foreign = ['Кропоткин', 'Avakumović', 'émigré', 'Łódź', '𝔄narchy'];
    const bigSidecar = generatedSidecar(2500, 2500)
      .replace(/name: (\w+) Person(\d+)/g, (_, word: string, n: string) => `name: ${word} ${foreign[Number(n) % foreign.length]}${n}`)
      .replace(/family: (\w+)/g, (_, word: string) => `family: ${word}-${foreign[word.length % foreign.length]}`)
      .replace('Wrote on *mutual*.', 'Wrote on *mutual* “aid”.')
      .replace('title: "On ', 'title: "\\ud800 On ');
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    await new ParseCache(true, store).sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    while (store.writes === 0) await scheduler();
    const written = store.records.get(sidecarUri) ?? '';
    assert.ok(!/[\u0080-\uffff]/.test(written), 'the record holds a character past ASCII');
    // The file the extension keeps reads back as the same text; bytes past ASCII are a record of no version's.
    const bytes = bytesOfRecord(written);
    assert.strictEqual(bytes.length, written.length);
    assert.strictEqual(recordOfBytes(bytes), written);
    const framed = new Uint8Array(bytes.length + 4);
    framed.set(bytes, 2);
    assert.strictEqual(recordOfBytes(framed.subarray(2, 2 + bytes.length)), written);
    assert.strictEqual(recordOfBytes(new TextEncoder().encode('{"format":6,"uri":"é"}')), undefined);

    const parsed = parseSidecar(sidecarUri, bigSidecar);
    assert.ok(parsed.people.some((p) => p.name.includes('Кропоткин')) && parsed.people.some((p) => p.bio?.includes('“aid”')) && parsed.references.some((r) => r.item.title?.startsWith('\ud800 On')));
    const next = new ParseCache(true, store);
    const served = await next.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    assert.notStrictEqual(Object.getPrototypeOf(served.people[0]), Object.prototype, 'a person read back from the record');
    assert.strictEqual(JSON.stringify(served), JSON.stringify(parsed));
    const registry = await next.registryInSteps([served], scheduler);
    const references = await referenceSearchFor(registry).prepareInSlices(scheduler);
    const people = await peopleSearchFor(registry).prepareInSlices(scheduler);
    assert.ok(references.fromRecordedTables && people.fromRecordedTables);
    const fresh = mergeRegistry([parsed], new Map());
    for (const query of ['кропоткин', 'Avakumovic', 'émigr', 'łódź 12', '𝔄narchy', 'aid кро']) {
      const expected = new PeopleSearch(fresh.people.values()).search(query).map((p) => p.key);
      assert.ok(expected.length > 0, query);
      assert.deepStrictEqual(people.search(query).map((p) => p.key), expected, query);
      assert.deepStrictEqual(references.search(query).map((r) => r.id), new ReferenceSearch(fresh.references.values()).search(query).map((r) => r.id), query);
    }
    assert.ok(references.search('avakumović').length > 0);

    // A library's record, whose ids and search words are written outside JSON strings too.
    const libraryUri = fileUri('library.json');
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `${foreign[n % 5]}${1850 + (n % 90)}-${n}`, type: 'book', title: `On ${words[(n * 7) % 10]} in ${foreign[(n * 3) % 5]}`, author: [{ family: `Author${n % 400}`, given: 'Ё.' }] }));
    const libraryText = JSON.stringify(items, null, 2);
    await new ParseCache(true, store).bibliographyInSteps(libraryUri, libraryText, scheduler);
    while (store.writes === 1) await scheduler();
    assert.ok(!/[\u0080-\uffff]/.test(store.records.get(libraryUri) ?? ''), 'the library\'s record holds a character past ASCII');
    const nextLibrary = new ParseCache(true, store);
    const library = await nextLibrary.bibliographyInSteps(libraryUri, libraryText, scheduler);
    assert.deepStrictEqual(library.references.map((r) => r.id), items.map((item) => item.id));
    assert.strictEqual(library.references[7].item.title, items[7].title);
    const search = await referenceSearchFor(nextLibrary.registryOf([library])).prepareInSlices(scheduler);
    assert.ok(search.fromRecordedTables);
    const freshLibrary = new ReferenceSearch(parseCslJson(libraryUri, libraryText).references);
    for (const query of ['кропоткин1851', 'łódź', 'ё author7', '𝔄narchy 18']) {
      const expected = freshLibrary.search(query).map((r) => r.id);
      assert.ok(expected.length > 0, query);
      assert.deepStrictEqual(search.search(query).map((r) => r.id), expected, query);
    }
  });

  it('are made with a digest fed a piece at a time, never between the halves of a surrogate pair', () => {
    const store = new MemoryStore();
    const text = `${'a'.repeat((1 << 20) - 1)}😀${'b'.repeat(1 << 20)}`;
    const digest = runNow(digestSteps(store, text));
    const [pieces] = store.pieces;
    assert.deepStrictEqual(pieces.map((piece) => piece.length), [(1 << 20) + 1, 1 << 20]);
    assert.strictEqual(pieces.join(''), text);
    for (const piece of pieces) assert.ok(!/[\uD800-\uDBFF]$/.test(piece), 'a piece ends inside a pair');
    const whole = store.digester();
    whole.update(text);
    assert.strictEqual(digest, whole.digest());
  });

  it('are found by a load that takes its digest from the file’s bytes, as from its text', async () => {
    /** The extension's digest: its text hashed as UTF-8, or its bytes, counting the chunks of bytes it is fed. */
    class Sha256Store extends MemoryStore {
      byteChunks: number[] = [];
      override digester(): ReturnType<MemoryStore['digester']> {
        const hash = createHash('sha256');
        return {
          update: (piece) => void hash.update(piece),
          updateBytes: (chunk) => {
            this.byteChunks.push(chunk.byteLength);
            hash.update(chunk);
          },
          digest: () => hash.digest('base64url'),
        };
      }
    }
    // Past ASCII, and beyond the Basic Multilingual Plane, with bytes of four characters across the chunks' ends.
    const text = `${'Пётр 𝔓 “mutual aid” '.repeat(150_000)}end`;
    const bytes = new TextEncoder().encode(text);
    assert.ok(bytes.byteLength > 2 * (1 << 21));
    const decoded = decodeFile({ kind: 'bytes', bytes }, { maxFileBytes: 1 << 30 });
    assert.ok('text' in decoded && decoded.text === text && decoded.utf8 === bytes);
    // With a byte order mark, or a byte that is not UTF-8, the text is not the bytes' UTF-8: no bytes to digest.
    const marked = decodeFile({ kind: 'bytes', bytes: new Uint8Array([0xef, 0xbb, 0xbf, ...bytes.subarray(0, 30)]) }, { maxFileBytes: 1 << 30 });
    assert.ok('text' in marked && !marked.text.startsWith('\uFEFF') && marked.utf8 === undefined);
    const invalid = decodeFile({ kind: 'bytes', bytes: new Uint8Array([...bytes.subarray(0, 30), 0xff, 0x41]) }, { maxFileBytes: 1 << 30 });
    assert.ok('text' in invalid && invalid.text.endsWith('\uFFFDA') && invalid.utf8 === undefined);

    const store = new Sha256Store();
    const fromText = runNow(digestSteps(store, text));
    assert.deepStrictEqual(store.byteChunks, []);
    let steps = 0;
    const fromBytes = digestSteps(store, text, bytes);
    let next = fromBytes.next();
    for (; !next.done; next = fromBytes.next()) steps++;
    assert.strictEqual(next.value, fromText);
    // A chunk a step, each of 2 MB but the last.
    assert.deepStrictEqual(store.byteChunks, [1 << 21, 1 << 21, bytes.byteLength - 2 * (1 << 21)]);
    assert.strictEqual(steps, 3);
    // A digester that takes no bytes is fed the text.
    const plain = new MemoryStore();
    assert.strictEqual(runNow(digestSteps(plain, text, bytes)), runNow(digestSteps(new MemoryStore(), text)));

    // A library's record written from an editor's text serves the next session, which reads the file's bytes from disk.
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `${words[n % 10]}${1850 + (n % 90)}-${n}`, type: 'book', title: `Über ${words[(n * 7) % 10]} — ${words[(n * 3) % 10]}`, author: [{ family: `Автор${n % 400}`, given: 'A.' }] }));
    const libraryText = JSON.stringify(items, null, 2);
    assert.ok(libraryText.length >= steppedLoadChars);
    const textUri = fileUri('book.annot.md');
    const book = '---\nbibliography: library.json\n---\nText.\n';
    const { scheduler } = countingScheduler();
    const records = new Sha256Store();
    const firstContext = await loadTextContext(textUri, book, new MemoryReader({ 'library.json': libraryText }), new ParseCache(true, records), undefined, { scheduler });
    assert.strictEqual(referenceSearchFor(firstContext.registry).prepare().fromRecordedTables, false);
    await turnsUntil(() => records.writes === 1, scheduler, 'the library’s record');
    assert.deepStrictEqual(records.byteChunks, []);
    const nextContext = await loadTextContext(textUri, book, new MemoryReader({ 'library.json': new TextEncoder().encode(libraryText) }), new ParseCache(true, records), undefined, { scheduler });
    assert.ok(records.byteChunks.length > 0, 'the next session digested the text, not the bytes');
    assert.ok((await referenceSearchFor(nextContext.registry).prepareInSlices(scheduler)).fromRecordedTables);
    assert.strictEqual(records.writes, 1, 'a record read back is not written again');
  });

  it('keep a large library’s citation search tables, which the next session reads back instead of building them', async () => {
    const libraryUri = fileUri('library.json');
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `${words[n % 10]}${1850 + (n % 90)}-${n}`, type: 'book', title: `On ${words[(n * 7) % 10]} and ${words[(n * 3) % 10]}`, author: [{ family: `Author${n % 400}`, given: 'A.' }], issued: { 'date-parts': [[1850 + (n % 90)]] } }));
    const libraryText = JSON.stringify(items, null, 2);
    assert.ok(libraryText.length >= steppedLoadChars);
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    const first = new ParseCache(true, store);
    const firstRead = await first.bibliographyInSteps(libraryUri, libraryText, scheduler);
    assert.strictEqual(referenceSearchFor(first.registryOf([firstRead])).prepare().fromRecordedTables, false);
    while (store.writes === 0) await scheduler();
    assert.match(store.records.get(libraryUri) ?? '', /^\{"format":\d+,"kind":"library"/);

    // A sidecar of people only beside it leaves the library the registry's only source of references.
    const people = new ParseCache(true).sidecar(sidecarUri, 'people:\n  kropotkin:\n    name: Peter Kropotkin\n');
    const next = new ParseCache(true, store);
    const library = await next.bibliographyInSteps(libraryUri, libraryText, scheduler);
    const registry = await next.registryInSteps([people, library], scheduler);
    const search = await referenceSearchFor(registry).prepareInSlices(scheduler);
    assert.ok(search.fromRecordedTables);
    const fresh = new ReferenceSearch(mergeRegistry([parseCslJson(libraryUri, libraryText)], new Map()).references.values());
    for (const query of ['bread 1851', 'exil', 'author12', 'commune', 'prison-7']) assert.deepStrictEqual(search.search(query).map((r) => r.id), fresh.search(query).map((r) => r.id), query);
    assert.strictEqual(store.writes, 1, 'a record read back is not written again');

    // Another library beside it: the references are no longer one file's, and the registry's search joins the library's, read back, to the other's.
    const other = parseCslJson(fileUri('other.json'), JSON.stringify([{ id: 'other1900', title: 'Other' }]));
    const joined = referenceSearchFor(next.registryOf([library, other])).prepare();
    assert.ok(joined.fromRecordedTables);
    assert.strictEqual(joined.search('other1900')[0]?.id, 'other1900');
    // Another text of the library: the record is a miss, and is written again.
    const changed = libraryText.replace('"On ', '"Upon ');
    const third = new ParseCache(true, store);
    const changedRead = await third.bibliographyInSteps(libraryUri, changed, scheduler);
    assert.strictEqual(referenceSearchFor(third.registryOf([changedRead])).prepare().fromRecordedTables, false);
    while (store.writes === 1) await scheduler();
  });

  it('build a library’s citation search once, for every registry it alone gives references to and for its record', async () => {
    const libraryUri = fileUri('library.json');
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `${words[n % 10]}${1850 + (n % 90)}-${n}`, type: 'book', title: `On ${words[(n * 7) % 10]} and ${words[(n * 3) % 10]}`, author: [{ family: `Author${n % 400}`, given: 'A.' }] }));
    const libraryText = JSON.stringify(items, null, 2);
    const { scheduler } = countingScheduler();
    const cache = new ParseCache(true);
    const library = await cache.bibliographyInSteps(libraryUri, libraryText, scheduler);
    const people = cache.sidecar(sidecarUri, 'people:\n  kropotkin:\n    name: Peter Kropotkin\n');
    const first = await cache.registryInSteps([people, library], scheduler);
    const search = await referenceSearchFor(first).prepareInSlices(scheduler);

    // The sidecar edited: a new registry, with the same references merged already, and the same search over them, built already.
    const edited = cache.sidecar(sidecarUri, 'people:\n  kropotkin:\n    name: Pyotr Kropotkin\n');
    const registry = await cache.registryInSteps([edited, library], scheduler);
    assert.notStrictEqual(registry, first);
    assert.strictEqual(registry.references, first.references);
    assert.strictEqual(registry.people.get('kropotkin')?.name, 'Pyotr Kropotkin');
    assert.strictEqual(referenceSearchFor(registry), search);
    assert.ok(search.isPrepared);
    // A list that holds an id twice is merged afresh each time, with its diagnostic.
    const twice = { uri: fileUri('twice.json'), references: [library.references[0], library.references[0]], diagnostics: [] };
    for (let merge = 0; merge < 2; merge++) assert.strictEqual(mergeRegistry([twice], new Map()).diagnostics.length, 1);
    const fresh = new ReferenceSearch(mergeRegistry([parseCslJson(libraryUri, libraryText)], new Map()).references.values());
    for (const query of ['bread 1851', 'exil', 'author12', 'commune', 'prison-7']) assert.deepStrictEqual(search.search(query).map((r) => r.id), fresh.search(query).map((r) => r.id), query);

    // Its record holds the same tables as one built afresh, in a few steps: building them takes one step for every 64 items.
    const stepsOf = (steps: Steps<string | undefined>): { steps: number; record: string | undefined } => {
      let count = 0;
      for (let next = steps.next(); ; next = steps.next(), count++) if (next.done) return { steps: count, record: next.value };
    };
    const store = new MemoryStore();
    const shared = stepsOf(libraryRecord(library, 'digest', libraryText.length, store));
    const alone = stepsOf(libraryRecord(parseCslJsonInPieces(libraryUri, libraryText), 'digest', libraryText.length, store));
    assert.ok(shared.record !== undefined && shared.record === alone.record);
    assert.ok(alone.steps > items.length / 64, `a record built alone took ${alone.steps} steps`);
    assert.ok(shared.steps < 20, `a record of the search built already took ${shared.steps} steps`);

    // Another library beside it: the references are no longer one file's, and their search is another.
    const other = parseCslJson(fileUri('other.json'), JSON.stringify([{ id: 'other1900', title: 'Other' }]));
    const both = referenceSearchFor(cache.registryOf([edited, library, other]));
    assert.notStrictEqual(both, search);
    assert.strictEqual(both.search('other1900')[0]?.id, 'other1900');
    assert.ok(!search.search('other1900').some((r) => r.id === 'other1900'));
  });

  it('join the searches of the files that give a registry its references or people, ranking as one search over them all, each file searched once', async () => {
    const libraryUri = fileUri('library.json');
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `${words[n % 10]}${1850 + (n % 90)}-${n}`, type: 'book', title: `On ${words[(n * 7) % 10]} and ${words[(n * 3) % 10]}`, author: [{ family: `Author${n % 400}`, given: 'A.' }] }));
    const libraryText = JSON.stringify(items, null, 2);
    const { scheduler, turns } = countingScheduler();
    // A turn between every two steps, so that the turns count the steps.
    const stepByStep = { sliceMs: -1 };
    const cache = new ParseCache(true);
    const library = await cache.bibliographyInSteps(libraryUri, libraryText, scheduler);
    // The sidecar gives one of the library's ids first; the other library holds one of its own twice.
    const sidecarText = (name: string): string =>
      `people:\n  kropotkin:\n    name: ${name}\nreferences:\n  - id: ${items[7].id}\n    title: Mutual Aid, as the sidecar has it\n  - id: shub1953\n    title: Kropotkin and Lenin\n    author:\n      - family: Shub\n        given: David\n`;
    const otherItems = Array.from({ length: 50 }, (_, n) => ({ id: `other${n}`, title: `On ${words[n % 10]} elsewhere` }));
    const other = parseCslJson(fileUri('other.json'), JSON.stringify([...otherItems, { id: 'other3', title: 'Again' }]));
    const registryOf = (sidecar: Sidecar): Promise<Registry> => cache.registryInSteps([sidecar, library, other], scheduler);
    const queries = ['bread 1851', 'exil', 'author12', 'commune', 'prison-7', 'mutual aid', 'on', 'on and', 'shub', 'elsewhere', 'kropotkin lenin', 'a', 'zzz', ''];
    const rankedAsOne = (registry: Registry): void => {
      const one = new ReferenceSearch(registry.references.values());
      const joined = referenceSearchFor(registry);
      // Beyond the prefilter's 300 candidates too, where the files' best are cut to the registry's.
      for (const limit of [3, 50, 400]) {
        for (const query of queries) assert.deepStrictEqual(joined.search(query, limit).map((r) => r.id), one.search(query, limit).map((r) => r.id), `${query} (${limit})`);
      }
    };

    const first = await registryOf(cache.sidecar(sidecarUri, sidecarText('Peter Kropotkin')));
    let from = turns();
    const search = await referenceSearchFor(first).prepareInSlices(scheduler, stepByStep);
    const firstBuild = turns() - from;
    assert.ok(firstBuild > items.length / 64, `the first build took ${firstBuild} turns`);
    rankedAsOne(first);
    assert.strictEqual(search.search('mutual aid sidecar')[0]?.item.title, 'Mutual Aid, as the sidecar has it');
    assert.strictEqual(search.search('other3 again').length, 0);

    // The sidecar edited: the library's search and the other's are not built again, nor the library's record's tables.
    const edited = await registryOf(cache.sidecar(sidecarUri, sidecarText('Pyotr Kropotkin')));
    from = turns();
    const again = await referenceSearchFor(edited).prepareInSlices(scheduler, stepByStep);
    assert.notStrictEqual(again, search);
    assert.ok(turns() - from < 10, `the search after an edit took ${turns() - from} turns`);
    rankedAsOne(edited);
    const record = libraryRecord(library, 'digest', libraryText.length, new MemoryStore());
    let recordSteps = 0;
    for (let next = record.next(); !next.done; next = record.next()) recordSteps++;
    assert.ok(recordSteps < 20, `the library's record took ${recordSteps} steps`);
    // The library alone: its search is the one the joined searches read.
    const alone = referenceSearchFor(await cache.registryInSteps([library], scheduler));
    assert.ok(alone.isPrepared);

    // People from two sidecars, the second giving a key of the first's again.
    const many = cache.sidecar(fileUri('many.yaml'), generatedSidecar(2500, 0));
    const guestsText = (name: string): string => `people:\n  person3:\n    name: Someone Else\n  guest:\n    name: ${name}\n`;
    const people = cache.registryOf([many, cache.sidecar(fileUri('guests.yaml'), guestsText('Mutual Guest'))]);
    await peopleSearchFor(people).prepareInSlices(scheduler, stepByStep);
    const otherGuests = cache.registryOf([many, cache.sidecar(fileUri('guests.yaml'), guestsText('Exile Guest'))]);
    from = turns();
    await peopleSearchFor(otherGuests).prepareInSlices(scheduler, stepByStep);
    assert.ok(turns() - from < 10, `the people search after an edit took ${turns() - from} turns`);
    for (const registry of [people, otherGuests]) {
      const one = new PeopleSearch(registry.people.values());
      for (const query of ['exile person', 'person12', 'p240', 'm', 'mutual', 'guest', 'someone', 'zz']) {
        for (const limit of [3, 400]) assert.deepStrictEqual(peopleSearchFor(registry).search(query, limit).map((p) => p.key), one.search(query, limit).map((p) => p.key), `${query} (${limit})`);
      }
    }
    assert.strictEqual(peopleSearchFor(otherGuests).search('exile guest')[0]?.key, 'guest');

    // A record made before the joined search is built builds the library's search, which the joined search then reads.
    const later = new ParseCache(true);
    const reread = await later.bibliographyInSteps(libraryUri, libraryText, scheduler);
    const joined = referenceSearchFor(await later.registryInSteps([later.sidecar(sidecarUri, sidecarText('Peter Kropotkin')), reread, other], scheduler));
    const early = libraryRecord(reread, 'digest', libraryText.length, new MemoryStore());
    let earlySteps = 0;
    for (let next = early.next(); !next.done; next = early.next()) earlySteps++;
    assert.ok(earlySteps > items.length / 64, `the record took ${earlySteps} steps`);
    from = turns();
    await joined.prepareInSlices(scheduler, stepByStep);
    assert.ok(turns() - from < 10, `the joined search after the record took ${turns() - from} turns`);
  });

  it("read a registry's references through each file's own map, a library's made as it is read and merged again for no registry", async () => {
    const libraryUri = fileUri('library.json');
    const items = Array.from({ length: 5000 }, (_, n) => ({ id: `${words[n % 10]}${1850 + (n % 90)}-${n}`, type: 'book', title: `On ${words[(n * 7) % 10]} and ${words[(n * 3) % 10]}`, author: [{ family: `Author${n % 400}`, given: 'A.' }] }));
    const libraryText = JSON.stringify(items, null, 2);
    const { scheduler, turns } = countingScheduler();
    const cache = new ParseCache(true);
    const library = await cache.bibliographyInSteps(libraryUri, libraryText, scheduler);
    // The sidecar gives one of the library's ids first, and one of its own.
    const sidecarText = (name: string): string =>
      `people:\n  kropotkin:\n    name: ${name}\nreferences:\n  - id: ${items[4321].id}\n    title: Mutual Aid, as the sidecar has it\n  - id: shub1953\n    title: Kropotkin and Lenin\n`;
    const sidecar = cache.sidecar(sidecarUri, sidecarText('Peter Kropotkin'));
    // Merged in steps, the library's 5,000 references would take a step every 1,024.
    let mergeSteps = 0;
    const merge = mergeRegistrySteps([sidecar, library], cache.lineMaps);
    let next = merge.next();
    for (; !next.done; next = merge.next()) mergeSteps++;
    assert.ok(mergeSteps <= 1, `the merge took ${mergeSteps} steps`);
    // As the extension merges it, telling the searches which files give the references.
    const registry = await cache.registryInSteps([sidecar, library], scheduler);
    assert.ok(registry.references instanceof LayeredReferences);
    assert.deepStrictEqual({ ...next.value, references: [...next.value.references] }, { ...registry, references: [...registry.references] });

    // The same as one map merged from the files.
    const expected = [...sidecar.references, ...library.references.filter((r) => r.id !== items[4321].id)];
    assert.deepStrictEqual([...registry.references.values()], expected);
    assert.deepStrictEqual([...registry.references.keys()], expected.map((r) => r.id));
    assert.strictEqual(registry.references.size, 5001);
    assert.strictEqual(registry.references.get(items[4321].id)?.item.title, 'Mutual Aid, as the sidecar has it');
    assert.strictEqual(registry.references.get(items[4322].id), library.references[4322]);
    assert.strictEqual(registry.references.has('absent'), false);
    const repeated = registry.diagnostics.filter((d) => d.code === 'duplicate-key');
    assert.deepStrictEqual(
      repeated.map((d) => [d.uri, d.range.start.line, d.message]),
      [[libraryUri, library.references[4321].source.line, `Reference "${items[4321].id}" is already defined in ${sidecarUri}:${sidecar.references[0].source.line + 1}; that definition is used.`]],
    );
    const atOnce = mergeRegistry([sidecar, library], cache.lineMaps);
    assert.deepStrictEqual({ ...registry, references: [...registry.references] }, { ...atOnce, references: [...atOnce.references] });

    // Its search places each file's items from what the registry leaves out, and ranks as one search over them all.
    const one = new ReferenceSearch(registry.references.values());
    for (const limit of [3, 50, 400]) {
      for (const query of ['bread 1851', 'exil', 'author12', 'mutual aid', 'mutual aid sidecar', 'shub', 'on and', 'a', '']) {
        assert.deepStrictEqual(referenceSearchFor(registry).search(query, limit).map((r) => r.id), one.search(query, limit).map((r) => r.id), `${query} (${limit})`);
      }
    }
    // An edit of the sidecar merges nothing of the library's, nor builds its search again.
    const edited = cache.registryOf([cache.sidecar(sidecarUri, sidecarText('Pyotr Kropotkin')), library]);
    const from = turns();
    await referenceSearchFor(edited).prepareInSlices(scheduler, { sliceMs: -1 });
    assert.ok(turns() - from < 10, `the search after an edit took ${turns() - from} turns`);
    assert.strictEqual(referenceSearchFor(edited).search('mutual aid sidecar')[0]?.id, items[4321].id);
  });

  it('serve a CSL-JSON library in the next session without parsing it, each item parsed when first read', async () => {
    const libraryUri = fileUri('library.json');
    const deep: unknown = Array.from({ length: 70 }).reduce<unknown>((inner) => ({ inner }), 'bottom');
    const items: unknown[] = Array.from({ length: 2500 }, (_, n) => ({ id: `${words[n % 10]}${1850 + (n % 90)}-${n}`, type: 'book', title: `On ${words[(n * 7) % 10]}`, author: [{ family: `Author${n % 400}`, given: 'A.' }] }));
    // What the parse does to odd items must come back the same: a number for an id, an escaped id, a prototype key, deep nesting, a repeated id, no id.
    items.splice(10, 0, { id: 1917, title: 'A number for an id' }, { id: 'caf\u00e9', title: 'Escaped' }, { id: 'proto', ['__proto__']: { polluted: true }, title: 'Prototype key' }, { id: 'deep', note: deep }, { id: 'mutual1850-0', title: 'Again' }, { title: 'No id' });
    const libraryText = JSON.stringify(items, null, 2).replace('"caf\u00e9"', '"caf\\u00e9"');
    assert.ok(libraryText.includes('"caf\\u00e9"'), 'the escaped id is written with its escape');
    const parsed = parseCslJson(libraryUri, libraryText);
    assert.strictEqual(parsed.diagnostics.length, 3);
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    const first = await new ParseCache(true, store).bibliographyInSteps(libraryUri, libraryText, scheduler);
    while (store.writes === 0) await scheduler();
    // Read in steps, its items are parsed in the background too: read now, they leave that nothing to parse below.
    for (const reference of first.references) void reference.item;

    const { served, atServe, afterwards } = await countingJsonParses(async (parses) => {
      const served = await new ParseCache(true, store).bibliographyInSteps(libraryUri, (' ' + libraryText).slice(1), scheduler);
      const atServe = parses();
      // What is left is parsed in the background, an item at a time.
      for (let turn = 0; turn < 200 && parses() < atServe + served.references.length; turn++) await scheduler();
      return { served, atServe, afterwards: parses() };
    });
    assert.ok(atServe < 10, `${atServe} parses before the library was served`);
    assert.strictEqual(afterwards - atServe, served.references.length, 'each item parsed once, in the background');
    // A source read in steps counts its line when asked: compared by what it holds.
    const plain = (bibliography: Bibliography): unknown => bibliography.references.map(({ id, item, source: { uri, span, line } }) => ({ id, item, source: { uri, span, line } }));
    assert.deepStrictEqual(plain(served), plain(parsed));
    assert.deepStrictEqual(served.diagnostics, parsed.diagnostics);
    assert.strictEqual(served.valid, true);
    assert.strictEqual(JSON.stringify(served.references), JSON.stringify(parsed.references));
    const proto = served.references.find((r) => r.id === 'proto');
    assert.ok(proto && !Object.prototype.hasOwnProperty.call(proto.item, '__proto__') && Object.getPrototypeOf(proto.item) === Object.prototype);
  });

  it('hand a record read from the store on after a turn of the event loop, not in the turn its read ended in', async () => {
    const libraryUri = fileUri('library.json');
    const items = Array.from({ length: 2500 }, (_, n) => ({ id: `${words[n % 10]}${1850 + (n % 90)}-${n}`, type: 'book', title: `On ${words[(n * 7) % 10]}`, author: [{ family: `Author${n % 400}`, given: 'A.' }] }));
    const libraryText = JSON.stringify(items, null, 2);
    assert.ok(libraryText.length >= steppedLoadChars, 'a library large enough to keep a record of');
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    await new ParseCache(true, store).bibliographyInSteps(libraryUri, libraryText, scheduler);
    await turnsUntil(() => store.writes > 0, scheduler, 'the record written');
    const events: string[] = [];
    // A record that arrives once the text's digest is taken, as a large one read from disk can; each digest begun is noted.
    class LateStore extends MemoryStore {
      override read(uri: string): Promise<string | undefined> {
        return new Promise((resolve) => setTimeout(resolve, 20)).then(() => {
          events.push('read');
          return super.read(uri);
        });
      }
      override digester(): ReturnType<MemoryStore['digester']> {
        events.push('digest');
        return super.digester();
      }
    }
    const late = new LateStore();
    late.records.set(libraryUri, store.records.get(libraryUri) as string);
    const served = await new ParseCache(true, late).bibliographyInSteps(libraryUri, libraryText, () => {
      events.push('turn');
      return scheduler();
    });
    assert.strictEqual(served.references.length, items.length);
    const read = events.indexOf('read');
    const bodyDigest = events.indexOf('digest', read);
    // The text's digest, then the record's, which its check begins with: served from the record.
    assert.ok(read > events.indexOf('digest') && bodyDigest > read, events.join(' '));
    assert.ok(events.slice(read + 1, bodyDigest).includes('turn'), `the record's check began in the turn its read ended in: ${events.slice(read).join(' ')}`);
  });

  it('read a library’s places back as 32-bit integers, and refuse a number past them', () => {
    const numbers = [0, 1, 31, 32, 1023, 1024, 2 ** 26, 2 ** 31 - 1];
    assert.deepStrictEqual(Array.from(decodeNumbers(encodeNumbers(numbers), numbers.length) ?? []), numbers);
    assert.strictEqual(decodeNumbers(encodeNumbers([5, 2 ** 31]), 2), undefined, 'a number that a 32-bit integer would wrap');
    assert.strictEqual(decodeNumbers(encodeNumbers(numbers), numbers.length - 1), undefined, 'digits left over');
  });

  it('are misses for a library whose places do not fit its text', async () => {
    const libraryUri = fileUri('library.json');
    const items = Array.from({ length: 2500 }, (_, n) => ({ id: `${words[n % 10]}-${n}`, title: `On ${words[(n * 7) % 10]}`, author: [{ family: `Author${n % 400}` }] }));
    // An id that JSON writes with escapes.
    items[5].id = 'say "hi"';
    const libraryText = JSON.stringify(items, null, 2);
    const store = new MemoryStore();
    const { scheduler } = countingScheduler();
    await new ParseCache(true, store).bibliographyInSteps(libraryUri, libraryText, scheduler);
    while (store.writes === 0) await scheduler();
    const record = store.records.get(libraryUri) ?? '';
    const digest = runNow(digestSteps(store, libraryText));
    const [header, places, tables] = record.split('\n');
    // Each garbled record is sealed with its body's digest, as if written so: its places must be refused on their own.
    const read = (header: string, places: string, text = libraryText): Bibliography | undefined => {
      const body = [places, tables].join('\n');
      const sealed = header.replace(/"body":"[^"]*"/, `"body":${JSON.stringify(runNow(digestSteps(store, body)))}`);
      return runNow(recordedLibrary(`${sealed}\n${body}`, libraryUri, digest, text, store))?.bibliography;
    };
    assert.strictEqual(runNow(recordedLibrary(record.replace('"mutual-0"', '"mutual-1"'), libraryUri, digest, libraryText, store)), undefined, 'a body that is not what was written');
    assert.strictEqual(read(header, places)?.references.length, items.length);
    const [ids, digits] = places.split('\t');
    assert.ok(digits.startsWith('E'), 'the first item starts at 4');
    const garbled = [
      ids.replace('"mutual-0"', '"mutual-00"'),
      ids.replace('"mutual-0",', ''),
      `${ids}\t${digits.slice(0, -1)}`,
      `${ids}\t${digits}A`,
      // The first item's start, one character on.
      `${ids}\t${digits.replace(/^E/, 'F')}`,
      ids,
      '',
    ].map((garble) => (garble.includes('\t') || garble === ids || garble === '' ? garble : `${garble}\t${digits}`));
    for (const [n, garble] of garbled.entries()) assert.strictEqual(read(header, garble), undefined, `garble ${n}`);
    assert.strictEqual(read(header.replace(/"references":\d+/, '"references":2499'), places), undefined);
    assert.strictEqual(read(header.replace(/"references":\d+/, '"references":-1'), places), undefined);
    // The escaped id's raw characters claimed as an id: they are written there, quoted, but read as another id.
    const numbers = decodeNumbers(digits, 5 * items.length);
    assert.ok(numbers);
    const rawId = 'say \\"hi\\"';
    const itemStart = libraryText.indexOf(`"id": "${rawId}"`) - '{\n    '.length;
    assert.strictEqual(libraryText[itemStart], '{');
    numbers[5 * 5 + 2] = zigzag(libraryText.indexOf(rawId) - itemStart);
    numbers[5 * 5 + 3] = rawId.length;
    assert.strictEqual(read(header, `${ids}\t${encodeNumbers(numbers)}`)?.references.length, items.length, 'the escaped id placed where it is written, escapes and all');
    assert.strictEqual(read(header, `${ids.replace(JSON.stringify(items[5].id), JSON.stringify(rawId))}\t${encodeNumbers(numbers)}`), undefined, 'raw escapes taken for an id');
    // The same length and digest, other characters where an item was: a text the digest could not tell apart.
    assert.strictEqual(read(header, places, libraryText.replace('{', '[')), undefined);
  });

  it('are let go when the store fails, and the file is read as if there were none', async () => {
    const bigSidecar = generatedSidecar(300, 1500);
    const { scheduler } = countingScheduler();
    const failing: ParsedStore = {
      digester: () => ({ update: () => undefined, digest: () => 'd' }),
      read: () => Promise.reject(new Error('disk gone')),
      write: () => Promise.reject(new Error('disk full')),
    };
    const cache = new ParseCache(true, failing);
    const announced: string[] = [];
    cache.onDidLoadPrecisely((loaded) => announced.push(loaded));
    assert.ok((await cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler)).people.length > 0);
    while (announced.length === 0) await scheduler();
    assert.deepStrictEqual(cache.sidecar(sidecarUri, bigSidecar), parseSidecar(sidecarUri, bigSidecar));
    const throwing = new ParseCache(true, { ...failing, digester: () => { throw new Error('no digest'); } });
    assert.deepStrictEqual(entriesOf(await throwing.sidecarInSteps(sidecarUri, bigSidecar, scheduler)), entriesOf(parseSidecar(sidecarUri, bigSidecar)));
  });
});

describe('large files loaded in steps', () => {
  const bigSidecar = generatedSidecar(1500, 1500);
  const otherSidecar = bigSidecar.replace('name: Mutual Person0', 'name: Mutual Person Zero');
  const sidecarUri = fileUri('essay.yaml');

  it('runs steps in slices between turns of the event loop', async () => {
    const { scheduler, turns } = countingScheduler();
    const result = await runInSlices(sidecarSteps(sidecarUri, bigSidecar), scheduler, { sliceMs: 1 });
    assert.ok(turns() > 10, `${turns()} turns`);
    assert.deepStrictEqual(result.sidecar, parseSidecar(sidecarUri, bigSidecar));
  });

  it('serves the quick read first, then swaps in the precise read and says so', async () => {
    const cache = new ParseCache(true);
    const announced: string[] = [];
    cache.onDidLoadPrecisely((loaded) => announced.push(loaded));
    const { scheduler } = countingScheduler();
    const first = await cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    assert.deepStrictEqual(announced, []);
    assert.deepStrictEqual(first.diagnostics, []);
    const whole = parseSidecar(sidecarUri, bigSidecar);
    assert.deepStrictEqual(entriesOf(first), entriesOf(whole));
    while (announced.length === 0) await scheduler();
    assert.deepStrictEqual(announced, [sidecarUri]);
    // Unchanged text: the precise read, at once, without another load.
    const warm = cache.sidecarInSteps(sidecarUri, bigSidecar, () => Promise.reject(new Error('no steps for a warm load')));
    assert.deepStrictEqual(await warm, whole);
    assert.strictEqual(cache.sidecar(sidecarUri, (' ' + bigSidecar).slice(1)), await warm);
  });

  it('shares one load between callers asking for the same text', async () => {
    const cache = new ParseCache();
    const { scheduler } = countingScheduler();
    const a = cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    const b = cache.sidecarInSteps(sidecarUri, (' ' + bigSidecar).slice(1), scheduler);
    assert.strictEqual(a, b);
    assert.strictEqual(await a, await b);
  });

  it('never lets a superseded load overwrite a newer text, and gives its callers the newer sidecar', async () => {
    const cache = new ParseCache();
    const announced: string[] = [];
    cache.onDidLoadPrecisely((loaded) => announced.push(loaded));
    const { scheduler } = countingScheduler();
    const old = cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    const newer = cache.sidecarInSteps(sidecarUri, otherSidecar, scheduler);
    assert.strictEqual((await old).people[0].name, 'Mutual Person Zero');
    assert.strictEqual((await newer).people[0].name, 'Mutual Person Zero');
    while (announced.length === 0) await scheduler();
    for (let i = 0; i < 50; i++) await scheduler();
    assert.deepStrictEqual(announced, [sidecarUri]);
    assert.deepStrictEqual(cache.sidecar(sidecarUri, otherSidecar), parseSidecar(sidecarUri, otherSidecar));
    // A small text read at once also supersedes a load under way.
    const big = cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    const small = cache.sidecar(sidecarUri, 'people:\n  a:\n    name: A\n');
    assert.strictEqual(await big, small);
    for (let i = 0; i < 200; i++) await scheduler();
    assert.strictEqual(cache.sidecar(sidecarUri, 'people:\n  a:\n    name: A\n'), small);
  });

  it('finishes a load for its callers after forget, without keeping it', async () => {
    const cache = new ParseCache();
    const { scheduler } = countingScheduler();
    const load = cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    cache.forget(sidecarUri);
    assert.deepStrictEqual(entriesOf(await load), entriesOf(parseSidecar(sidecarUri, bigSidecar)));
    for (let i = 0; i < 50; i++) await scheduler();
    assert.strictEqual(cache.lineMaps.has(sidecarUri), false);
  });

  it('keeps serving the last good sidecar when a large one breaks', async () => {
    const cache = new ParseCache(true);
    const { scheduler } = countingScheduler();
    await cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
    const broken = bigSidecar.replace('aliases: [P2, "Person 2"]', 'aliases: [P2, "Person 2"');
    const served = await cache.sidecarInSteps(sidecarUri, broken, scheduler);
    assert.strictEqual(served.stale, true);
    assert.strictEqual(served.people.length, parseSidecar(sidecarUri, bigSidecar).people.length);
    assert.deepStrictEqual(served.diagnostics.map((d) => d.code).slice(-1), ['stale-sidecar']);
  });

  it('loads a text context with a scheduler: quick people at once, precise diagnostics after', async () => {
    const withProblem = bigSidecar.replace('  person1:\n', '  person1:\n    colour: red\n');
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `lib${n}`, type: 'book', title: `Library item ${n} on ${words[n % words.length]}`, author: [{ family: `Family${n}` }] }));
    const libraryText = JSON.stringify(items, null, 2);
    assert.ok(libraryText.length > steppedLoadChars);
    const reader = new MemoryReader({ 'essay.yaml': withProblem, 'library.json': libraryText });
    const cache = new ParseCache(true);
    const announced: string[] = [];
    cache.onDidLoadPrecisely((loaded) => announced.push(loaded));
    const { scheduler, turns } = countingScheduler();
    const textUri = fileUri('essay.annot.md');
    const quick = await loadTextContext(textUri, 'Mutual Person0 met Aid Person1.', reader, cache, undefined, { scheduler });
    assert.ok(turns() > 0);
    assert.strictEqual(quick.registry.people.size, 1500);
    assert.strictEqual(quick.registry.references.size, 1500 + 3000);
    assert.deepStrictEqual(quick.registry.diagnostics, []);
    while (announced.length === 0) await scheduler();
    const precise = await loadTextContext(textUri, 'Mutual Person0 met Aid Person1.', reader, cache, undefined, { scheduler });
    assert.deepStrictEqual(
      precise.registry.diagnostics.map((d) => [d.code, d.range.start.line]),
      parseSidecar(sidecarUri, withProblem).diagnostics.map((d) => [d.code, d.range.start.line]),
    );
    assert.ok(precise.registry.diagnostics.some((d) => d.code === 'unknown-field'));
    assert.deepStrictEqual([...precise.registry.references.values()].slice(1500).map((r) => r.source), parseCslJson(fileUri('library.json'), libraryText).references.map((r) => r.source));
  });

  it('loads a large CSL-JSON bibliography in steps, shared between callers', async () => {
    const cache = new ParseCache();
    const { scheduler, turns } = countingScheduler();
    const items = Array.from({ length: 20000 }, (_, n) => ({ id: `lib${n}`, title: `Item ${n}`, author: [{ family: `Family${n}`, given: 'Given' }] }));
    const text = JSON.stringify(items, null, 2);
    assert.ok(text.length > steppedLoadChars);
    const jsonUri = fileUri('library.json');
    const a = cache.bibliographyInSteps(jsonUri, text, scheduler);
    assert.strictEqual(cache.bibliographyInSteps(jsonUri, text, scheduler), a);
    const library = await a;
    // Its items are kept as text and parsed in the background, each once, so that reading them all later parses none.
    const { inBackground, inAll } = await countingJsonParses(async (parses) => {
      for (let turn = 0; turn < 5000 && parses() < library.references.length; turn++) await scheduler();
      for (let turn = 0; turn < 20; turn++) await scheduler();
      const inBackground = parses();
      for (const reference of library.references) void reference.item;
      return { inBackground, inAll: parses() };
    });
    assert.strictEqual(inBackground, library.references.length);
    assert.strictEqual(inAll, inBackground, 'items parsed again when read');
    assert.deepStrictEqual(plainBibliography(library), parseCslJson(jsonUri, text));
    assert.ok(turns() > 0);
    assert.strictEqual(cache.bibliography(jsonUri, text), library);
  });

  it('reads a sidecar or a library in steps once it is too long to read at once in about 50 ms, keeping records only of large files', async () => {
    // Such files take 100 ms and more to read whole in a new process: a 24 K sidecar, a 20 K CSL-YAML library.
    const store = new MemoryStore();
    const cache = new ParseCache(true, store);
    const counter = countingScheduler();
    const sidecar = generatedSidecar(60, 60);
    assert.ok(sidecar.length > 12 * 1024 && sidecar.length < steppedLoadChars, `${sidecar.length} characters`);
    const announced: string[] = [];
    cache.onDidLoadPrecisely((loaded) => announced.push(loaded));
    const quick = await cache.sidecarInSteps(sidecarUri, sidecar, counter.scheduler);
    // Served from the quick read: the precise read, in steps, is announced later.
    assert.strictEqual(announced.length, 0);
    assert.deepStrictEqual(entriesOf(quick), entriesOf(parseSidecar(sidecarUri, sidecar)));
    await turnsUntil(() => announced.length > 0, counter.scheduler, 'the precise read of the sidecar');
    assert.deepStrictEqual(cache.sidecar(sidecarUri, sidecar), parseSidecar(sidecarUri, sidecar));
    const items = Array.from({ length: 90 }, (_, n) => `  - id: item${n}\n    type: book\n    title: The ${n}th book of a long series of books\n    author:\n      - family: Family${n}\n        given: Given\n    issued:\n      date-parts: [[${1800 + n}]]\n`);
    const yamlText = `references:\n${items.join('')}`;
    assert.ok(yamlText.length > 12 * 1024 && yamlText.length < steppedLoadChars, `${yamlText.length} characters`);
    const yamlUri = fileUri('library.yaml');
    const library = await cache.bibliographyInSteps(yamlUri, yamlText, counter.scheduler);
    assert.ok(!announced.includes(yamlUri), 'a CSL-YAML library read at once');
    assert.strictEqual(library.references.length, 90);
    assert.deepStrictEqual(library.references.map((r) => r.id), parseBibliography(yamlUri, yamlText).references.map((r) => r.id));
    await turnsUntil(() => announced.includes(yamlUri), counter.scheduler, 'the precise read of the library');
    assert.deepStrictEqual(cache.bibliography(yamlUri, yamlText), parseBibliography(yamlUri, yamlText));
    // Nothing is kept for the next session of files this short: they read in well under a second.
    assert.strictEqual(store.reads + store.writes, 0);
    // One short enough is read at once, with no turn.
    const short = generatedSidecar(10, 10);
    assert.ok(short.length < 12 * 1024);
    const turns = counter.turns();
    assert.deepStrictEqual(await cache.sidecarInSteps(fileUri('short.yaml'), short, counter.scheduler), parseSidecar(fileUri('short.yaml'), short));
    assert.strictEqual(counter.turns(), turns);
  });

  it('ends a slice where a step asks, and goes on after the turn', async () => {
    function* steps(): Generator<void, number, void> {
      for (let n = 0; n < 10; n++) yield;
      return 10;
    }
    const { scheduler, turns } = countingScheduler();
    let asked = 0;
    // A slice long enough for every step: only the third step's request ends one.
    assert.strictEqual(await runInSlices(steps(), scheduler, { sliceMs: 60_000, endSlice: () => ++asked === 3 }), 10);
    assert.strictEqual(turns(), 1);
  });

  it('goes on in the slice under way when other work in slices ends in the same turn, and hands the event loop a turn once it is spent', async () => {
    const busy = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    // A step, then a last step of 12 ms: the slice of 10 ms it ends in is spent.
    function* spending(): Generator<void, void, void> {
      yield;
      busy(12);
    }
    function* quick(): Generator<void, number, void> {
      yield;
      return 1;
    }
    const { scheduler, turns } = countingScheduler();
    await runInSlices(spending(), scheduler, { sliceMs: 10 });
    // A later turn (a timer's) opens a slice of its own: the first step runs at once.
    await new Promise((resolve) => setTimeout(resolve, 5));
    let before = turns();
    const fresh = runInSlices(quick(), scheduler, { sliceMs: 10 });
    assert.strictEqual(turns(), before, 'a slice opened in a turn of its own');
    assert.strictEqual(await fresh, 1);
    // As a registry merged once its file is served: begun in the turn a spent slice ended in, it waits for a turn.
    await new Promise((resolve) => setTimeout(resolve, 5));
    let firstStepAfter = -1;
    const chained = (async () => {
      await runInSlices(spending(), scheduler, { sliceMs: 10 });
      before = turns();
      return runInSlices(
        (function* (): Generator<void, number, void> {
          firstStepAfter = turns() - before;
          yield;
          return 1;
        })(),
        scheduler,
        { sliceMs: 10 },
      );
    })();
    assert.strictEqual(await chained, 1);
    assert.strictEqual(firstStepAfter, 1, 'the second work ran its first step only after a turn');
  });

  it('holds the precise read back while foreground work runs, once the quick read is served', async () => {
    const foreground = new Foreground();
    const { scheduler } = countingScheduler();
    let backgroundTurns = 0;
    const cache = new ParseCache(true, undefined, async () => {
      backgroundTurns++;
      await foreground.idle(60_000);
      await scheduler();
    });
    let precise = false;
    cache.onDidLoadPrecisely(() => (precise = true));
    let release = (): void => {};
    const held = foreground.run(async () => {
      const quick = await cache.sidecarInSteps(sidecarUri, bigSidecar, scheduler);
      assert.deepStrictEqual(entriesOf(quick), entriesOf(parseSidecar(sidecarUri, bigSidecar)));
      // Whatever is built on the quick read: the precise read waits for it, however many turns it takes.
      await new Promise<void>((resolve) => (release = resolve));
    });
    for (let turn = 0; turn < 200 && backgroundTurns === 0; turn++) await scheduler();
    for (let turn = 0; turn < 200; turn++) await scheduler();
    assert.strictEqual(backgroundTurns, 1);
    assert.strictEqual(precise, false);
    release();
    await held;
    while (!precise) await scheduler();
    assert.ok(backgroundTurns > 1, `${backgroundTurns} background turns`);
    assert.deepStrictEqual(cache.sidecar(sidecarUri, bigSidecar), parseSidecar(sidecarUri, bigSidecar));
  });

  it('lets background work go on after the longest wait, however busy the foreground', async () => {
    const foreground = new Foreground();
    // Idle: at once, not after the longest wait (which would time the test out).
    await foreground.idle(60_000);
    let release = (): void => {};
    const held = foreground.run(() => new Promise<void>((resolve) => (release = resolve)));
    const started = Date.now();
    await foreground.idle(30);
    assert.ok(Date.now() - started >= 25, `${Date.now() - started} ms`);
    const waiting = foreground.idle(60_000).then(() => 'idle');
    release();
    await held;
    assert.strictEqual(await waiting, 'idle');
  });

  it('keeps the first of each key in a merge, and says where each later one is, wherever the repeats fall', () => {
    const at = (uri: string, line: number): Person['source'] => ({ uri, span: { start: line * 10, end: line * 10 + 5 }, line });
    const person = (key: string, uri: string, line: number): Person => ({ key, name: `Name of ${key}`, aliases: [], links: [], implicit: true, source: at(uri, line) });
    const reference = (id: string, uri: string, line: number): Reference => ({ id, item: { id }, source: at(uri, line) });
    const source = (uri: string, people: string[], references: string[]): RegistrySource => ({
      uri,
      people: people.map((key, line) => person(key, uri, line)),
      references: references.map((id, line) => reference(id, uri, 100 + line)),
      diagnostics: [],
    });
    const naive = (sources: RegistrySource[]): { people: Person[]; references: Reference[]; later: string[] } => {
      const people = new Map<string, Person>();
      const references = new Map<string, Reference>();
      const later: string[] = [];
      for (const { people: somePeople = [], references: someReferences } of sources) {
        for (const p of somePeople) if (people.has(p.key)) later.push(`${p.source.uri}:${p.source.line}`); else people.set(p.key, p);
        for (const r of someReferences) if (references.has(r.id)) later.push(`${r.source.uri}:${r.source.line}`); else references.set(r.id, r);
      }
      return { people: [...people.values()], references: [...references.values()], later };
    };
    const cases: Record<string, RegistrySource[]> = {
      'no repeats': [source('a', ['p', 'q'], ['x', 'y']), source('b', ['r'], ['z'])],
      'repeats within the first source': [source('a', ['p', 'q', 'p'], ['x', 'y', 'x', 'y']), source('b', ['q', 'r'], ['y', 'z', 'z'])],
      'the first repeat in a later source': [source('a', ['p', 'q'], ['x', 'y']), source('b', ['r', 'q'], ['z', 'x']), source('c', ['p'], ['y', 'z'])],
      'one file twice': [source('a', ['p', 'q'], ['x', 'y']), source('a', ['p', 'q'], ['x', 'y'])],
    };
    for (const [name, sources] of Object.entries(cases)) {
      const merged = mergeRegistry(sources, new Map());
      const expected = naive(sources);
      assert.deepStrictEqual([...merged.people.values()], expected.people, name);
      assert.deepStrictEqual([...merged.references.values()], expected.references, name);
      for (const [key, value] of merged.people) assert.strictEqual(expected.people.find((p) => p.key === key), value, `${name}: ${key} is the first object`);
      for (const [id, value] of merged.references) assert.strictEqual(expected.references.find((r) => r.id === id), value, `${name}: ${id} is the first object`);
      const later = merged.diagnostics.filter((d) => d.code === 'duplicate-key').map((d) => `${d.uri}:${d.span.start / 10}`);
      assert.deepStrictEqual(later, expected.later, name);
    }

    // Random files, each list kept from one merge to the next as a file's is: the second merge takes each list's references as the first
    // merged them, where no id is there twice. Every way of reading the references agrees with the naive merge.
    const ids = fc.array(fc.constantFrom('x', 'y', 'z', 'w', 'v', 'u'), { maxLength: 6 });
    const files = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), ids), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(files, (given) => {
        const sources = given.map(([uri, someIds]) => source(uri, [], someIds));
        const expected = naive(sources);
        for (let merge = 0; merge < 2; merge++) {
          const { references, diagnostics } = mergeRegistry(sources, new Map());
          assert.deepStrictEqual([...references.values()], expected.references);
          assert.deepStrictEqual([...references.keys()], expected.references.map((r) => r.id));
          assert.deepStrictEqual([...references].map(([id, r]) => [id, r]), expected.references.map((r) => [r.id, r]));
          const each: Reference[] = [];
          references.forEach((r, id, map) => {
            assert.strictEqual(r.id, id);
            assert.strictEqual(map, references);
            each.push(r);
          });
          assert.deepStrictEqual(each, expected.references);
          assert.strictEqual(references.size, expected.references.length);
          for (const id of ['x', 'y', 'z', 'w', 'v', 'u', 'absent']) {
            assert.strictEqual(references.get(id), expected.references.find((r) => r.id === id));
            assert.strictEqual(references.has(id), expected.references.some((r) => r.id === id));
          }
          assert.deepStrictEqual(diagnostics.filter((d) => d.code === 'duplicate-key').map((d) => `${d.uri}:${d.span.start / 10}`), expected.later);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('merges a registry in steps to what the merge at once gives, once for the same files', async () => {
    const sidecar = parseSidecar(sidecarUri, bigSidecar);
    const cache = new ParseCache();
    cache.sidecar(sidecarUri, bigSidecar);
    const steps = mergeRegistrySteps([sidecar], cache.lineMaps);
    let count = 0;
    let next = steps.next();
    for (; !next.done; next = steps.next()) count++;
    // 1,500 people, a step for every 1,024; 1,500 references, mapped 8,192 to a step.
    assert.strictEqual(count, 1);
    assert.deepStrictEqual(next.value, mergeRegistry([sidecar], cache.lineMaps));
    const { scheduler } = countingScheduler();
    const merged = await cache.registryInSteps([sidecar], scheduler);
    assert.deepStrictEqual(merged, next.value);
    assert.strictEqual(await cache.registryInSteps([sidecar], scheduler), merged);
    assert.strictEqual(cache.registryOf([sidecar]), merged);
  });
});
