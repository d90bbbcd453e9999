import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  appendPerson,
  applyEdits,
  citationInsertion,
  citationText,
  footnoteInsertion,
  isImplicitMentionOf,
  mentionSelectionProblem,
  mentionText,
  minimalEdit,
  newPersonKeyProblem,
  nextFootnoteNumber,
  parseSidecar,
  personKeyFromName,
  ReferenceSearch,
  referenceContainerText,
  sidecarUriFor,
  selectionOverlapsMarkup,
  sidecarTemplate,
  trimSpan,
} from '../../src/core';
import { indexText, people } from './helpers';

const root = path.resolve(__dirname, '..', '..', '..');
const exampleSidecar = fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.yaml'), 'utf8');

describe('edits', () => {
  describe('citations', () => {
    it('writes one key with a locator, several keys with the locator after the last', () => {
      assert.strictEqual(citationText(['shub1953'], 'p. 229'), '[@shub1953, p. 229]');
      assert.strictEqual(citationText(['shub1953', 'woodcock1950']), '[@shub1953; @woodcock1950]');
      assert.strictEqual(citationText(['shub1953', 'woodcock1950'], ' p. 3 '), '[@shub1953; @woodcock1950, p. 3]');
    });

    it('braces keys that Pandoc would not read bare', () => {
      assert.strictEqual(citationText(['doe:2001.a']), '[@doe:2001.a]');
      assert.strictEqual(citationText(['doe 2001']), '[@{doe 2001}]');
      assert.strictEqual(citationText(['doe.']), '[@{doe.}]');
    });

    it('replaces the selection outside citations', async () => {
      const text = 'As Shub says, here.';
      const index = await indexText(text, people);
      const edit = citationInsertion(index, { start: 14, end: 18 }, ['shub1953'], 'p. 229');
      assert.strictEqual(applyEdits(text, [edit]), 'As Shub says, [@shub1953, p. 229].');
    });

    it('adds to a bracketed citation the cursor is inside', async () => {
      const text = 'Known [@shub1953] and @shub1953 too.';
      const index = await indexText(text, people);
      const inside = citationInsertion(index, { start: 10, end: 10 }, ['woodcock1950']);
      assert.strictEqual(applyEdits(text, [inside]), 'Known [@shub1953; @woodcock1950] and @shub1953 too.');
      // Just after the closing bracket is outside it.
      const after = citationInsertion(index, { start: 17, end: 17 }, ['woodcock1950']);
      assert.strictEqual(applyEdits(text, [after]), 'Known [@shub1953][@woodcock1950] and @shub1953 too.');
      // `@key` in running text is not bracketed: a new citation goes there.
      const inText = citationInsertion(index, { start: 25, end: 25 }, ['woodcock1950']);
      assert.strictEqual(applyEdits(text, [inText]), 'Known [@shub1953] and @sh[@woodcock1950]ub1953 too.');
    });

    it('ranks a misspelled author first among the example references', () => {
      const references = new ReferenceSearch(parseSidecar('file:///x.yaml', exampleSidecar).references);
      assert.strictEqual(references.search('woodcok')[0]?.id, 'woodcock1950');
    });
  });

  describe('footnotes', () => {
    it('takes one more than the largest numeric label', () => {
      assert.strictEqual(nextFootnoteNumber([]), 1);
      assert.strictEqual(
        nextFootnoteNumber([
          { label: '1', inline: false },
          { label: '7', inline: false },
          { label: 'note', inline: false },
          { label: '^9', inline: true },
        ]),
        8,
      );
    });

    it('inserts the reference and the definition after a blank line, with one trailing newline', () => {
      const text = 'One.[^1]\n\n[^1]: First.\n\n\n';
      const { edits, cursor } = footnoteInsertion(text, 4, '2');
      const result = applyEdits(text, edits);
      assert.strictEqual(result, 'One.[^2][^1]\n\n[^1]: First.\n\n[^2]: \n');
      assert.strictEqual(cursor, result.length - 1);
    });

    it('handles a text without a final newline, an empty text and CRLF', () => {
      const plain = footnoteInsertion('Text', 4, '1');
      assert.strictEqual(applyEdits('Text', plain.edits), 'Text[^1]\n\n[^1]: \n');
      const empty = footnoteInsertion('', 0, '1');
      const emptyResult = applyEdits('', empty.edits);
      assert.strictEqual(emptyResult, '[^1]\n\n[^1]: \n');
      assert.strictEqual(emptyResult.slice(0, empty.cursor), '[^1]\n\n[^1]: ');
      const crlf = footnoteInsertion('A.\r\nB.\r\n', 2, '1');
      assert.strictEqual(applyEdits('A.\r\nB.\r\n', crlf.edits), 'A.[^1]\r\nB.\r\n\r\n[^1]: \r\n');
    });

    it('keeps a cursor in the trailing blank lines out of the replaced range', () => {
      const text = 'Text\n\n';
      const { edits, cursor } = footnoteInsertion(text, 6, '1');
      const result = applyEdits(text, edits);
      assert.strictEqual(result, 'Text\n\n[^1]\n\n[^1]: \n');
      assert.strictEqual(result.slice(0, cursor), 'Text\n\n[^1]\n\n[^1]: ');
    });
  });

  describe('people', () => {
    it('derives a key from the last name, folded to ASCII and unique', () => {
      assert.strictEqual(personKeyFromName('Vladimir Bonch-Bruevich', []), 'bonch-bruevich');
      assert.strictEqual(personKeyFromName('Ivan Avakumović', []), 'avakumovic');
      assert.strictEqual(personKeyFromName('Владимир Ленин', []), 'lenin');
      assert.strictEqual(personKeyFromName('Kropotkin, Peter', []), 'kropotkin');
      assert.strictEqual(personKeyFromName('Peter Kropotkin', ['kropotkin']), 'peter-kropotkin');
      assert.strictEqual(personKeyFromName('Peter Kropotkin', ['kropotkin', 'peter-kropotkin']), 'kropotkin-2');
      assert.strictEqual(personKeyFromName('李白', []), 'person');
    });

    it('validates keys for [[key]]', () => {
      assert.strictEqual(newPersonKeyProblem('lunacharsky', ['lenin']), undefined);
      assert.strictEqual(newPersonKeyProblem('', []), 'empty');
      assert.strictEqual(newPersonKeyProblem('a b', []), 'whitespace');
      assert.strictEqual(newPersonKeyProblem('a|b', []), 'forbidden-character');
      assert.strictEqual(newPersonKeyProblem('a]', []), 'forbidden-character');
      assert.strictEqual(newPersonKeyProblem('lenin', ['lenin']), 'exists');
    });

    it('refuses selections across paragraphs or with brackets, and trims them', () => {
      assert.strictEqual(mentionSelectionProblem('Vladimir\nBonch-Bruevich'), undefined);
      assert.strictEqual(mentionSelectionProblem('end.\n\nStart'), 'paragraph-break');
      assert.strictEqual(mentionSelectionProblem('end.\r\n  \r\nStart'), 'paragraph-break');
      assert.strictEqual(mentionSelectionProblem('[[lenin]] and'), 'bracket');
      assert.strictEqual(mentionSelectionProblem(' \n'), 'empty');
      assert.deepStrictEqual(trimSpan(' Lenin\n', { start: 0, end: 7 }), { start: 1, end: 6 });
    });

    it('finds selections that overlap markup', async () => {
      const text = 'Ask [[lenin|the chairman]] and @shub1953 and Lenin.[^1]\n\n[^1]: Note.\n';
      const index = await indexText(text, people);
      const spanOf = (needle: string): { start: number; end: number } => ({ start: text.indexOf(needle), end: text.indexOf(needle) + needle.length });
      assert.strictEqual(selectionOverlapsMarkup(index, spanOf('chairman')), true);
      assert.strictEqual(selectionOverlapsMarkup(index, spanOf('shub1953 and')), true);
      assert.strictEqual(selectionOverlapsMarkup(index, spanOf('Lenin.[^')), true);
      // An implicit mention is plain text: it can become explicit.
      assert.strictEqual(selectionOverlapsMarkup(index, spanOf('Lenin.')), false);
      assert.strictEqual(selectionOverlapsMarkup(index, spanOf('Ask')), false);
    });

    it('writes [[key]] for the key and [[key|text]] otherwise, on one line', () => {
      assert.strictEqual(mentionText('lenin', 'lenin'), '[[lenin]]');
      assert.strictEqual(mentionText('the chairman', 'lenin'), '[[lenin|the chairman]]');
      assert.strictEqual(mentionText('the\nchairman', 'lenin'), '[[lenin|the chairman]]');
    });

    it('knows when the text is already an implicit mention', async () => {
      const index = await indexText('x', people);
      const lenin = index.registry.people.get('lenin');
      const quiet = index.registry.people.get('quiet');
      assert.ok(lenin && quiet);
      assert.strictEqual(isImplicitMentionOf('Lenin', lenin, index.registry, true), true);
      assert.strictEqual(isImplicitMentionOf('Vladimir\nLenin', lenin, index.registry, true), true);
      assert.strictEqual(isImplicitMentionOf('Lenin', lenin, index.registry, false), false);
      assert.strictEqual(isImplicitMentionOf('Ilyich', lenin, index.registry, true), false);
      assert.strictEqual(isImplicitMentionOf('Will', quiet, index.registry, true), false);
      // A new person whose name another person already claims would share it, and match no one.
      assert.strictEqual(isImplicitMentionOf('Lenin', { key: 'new', name: 'Lenin', aliases: [], implicit: true }, index.registry, true), false);
    });
  });

  describe('sidecars', () => {
    it('appends a person with a pure insertion, keeping comments and layout', () => {
      const result = appendPerson(exampleSidecar, 'lunacharsky', { name: 'Anatoly Lunacharsky' });
      assert.ok(result.ok);
      assert.strictEqual(result.edit.span.start, result.edit.span.end, 'only an insertion');
      assert.strictEqual(result.edit.text, '  lunacharsky:\n    name: Anatoly Lunacharsky\n\n');
      assert.strictEqual(applyEdits(exampleSidecar, [result.edit]), result.text);
      assert.ok(result.text.includes('# "Sasha" was also what friends called Alexander Berkman'));
      const parsed = parseSidecar('file:///x.yaml', result.text);
      assert.strictEqual(parsed.diagnostics.length, 0);
      assert.strictEqual(parsed.people.find((p) => p.key === 'lunacharsky')?.name, 'Anatoly Lunacharsky');
    });

    it('creates people: when absent, in an empty file and in a comment-only file', () => {
      const withReferences = appendPerson('# my works\nreferences: []\n', 'a', { name: 'A B' });
      assert.ok(withReferences.ok);
      assert.ok(withReferences.text.startsWith('# my works\nreferences: []\n'));
      assert.deepStrictEqual(parseSidecar('file:///x.yaml', withReferences.text).people.map((p) => p.name), ['A B']);
      for (const text of ['', '# nothing yet\n']) {
        const result = appendPerson(text, 'a', { name: 'A B' });
        assert.ok(result.ok);
        assert.ok(result.text.startsWith(text));
        assert.deepStrictEqual(parseSidecar('file:///x.yaml', result.text).people.map((p) => p.key), ['a']);
      }
    });

    it('refuses a sidecar that does not parse, a taken key and a people list', () => {
      assert.deepStrictEqual(appendPerson('people:\n  a: [unclosed\n', 'b', { name: 'B' }), { ok: false, reason: 'invalid-yaml' });
      assert.deepStrictEqual(appendPerson('people:\n  a:\n    name: A\n', 'a', { name: 'B' }), { ok: false, reason: 'taken' });
      assert.deepStrictEqual(appendPerson('people: [a]\n', 'b', { name: 'B' }), { ok: false, reason: 'people-not-a-mapping' });
      assert.deepStrictEqual(appendPerson('- a\n', 'b', { name: 'B' }), { ok: false, reason: 'not-a-mapping' });
    });

    it('keeps CRLF line breaks', () => {
      const text = 'people:\r\n  a:\r\n    name: A\r\n';
      const result = appendPerson(text, 'b', { name: 'B' });
      assert.ok(result.ok);
      assert.strictEqual(result.text, 'people:\r\n  a:\r\n    name: A\r\n  b:\r\n    name: B\r\n');
    });

    it('writes a template that is valid, explains itself, and takes a first person', () => {
      const template = sidecarTemplate('essay');
      const parsed = parseSidecar('file:///essay.yaml', template);
      assert.deepStrictEqual(parsed.diagnostics, []);
      assert.strictEqual(parsed.people.length, 0);
      assert.strictEqual(parsed.references.length, 0);
      for (const word of ['people:', 'references:', 'bibliography:', 'essay.annot.md', '#   kropotkin:', '#   - id: shub1953']) assert.ok(template.includes(word), word);
      const added = appendPerson(template, 'a', { name: 'A B' });
      assert.ok(added.ok);
      assert.ok(added.text.includes('#   kropotkin:'), 'the example stays');
      assert.deepStrictEqual(parseSidecar('file:///essay.yaml', added.text).people.map((p) => p.key), ['a']);
      assert.deepStrictEqual(parseSidecar('file:///essay.yaml', added.text).diagnostics, []);
    });

    it('places a new sidecar where the text will read it', async () => {
      const own = await indexText('x', people);
      assert.strictEqual(sidecarUriFor(own), 'file:///work/essay.yaml');
      const none = await indexText('x');
      assert.strictEqual(sidecarUriFor(none), 'file:///work/essay.yaml');
      const named = await indexText('---\nsidecar: ../shared/people.yaml\n---\nx');
      assert.strictEqual(sidecarUriFor(named), 'file:///shared/people.yaml');
    });

    it('describes where a work appeared', () => {
      const example = parseSidecar('file:///x.yaml', exampleSidecar).references;
      const container = (id: string): string => referenceContainerText(example.find((r) => r.id === id)!.item);
      assert.strictEqual(container('shub1953'), 'The Russian Review 12, no. 4, pp. 227-234');
      assert.strictEqual(container('woodcock1950'), 'London: T. V. Boardman');
    });

    it('finds the smallest differing span', () => {
      assert.deepStrictEqual(minimalEdit('abc', 'abXc'), { span: { start: 2, end: 2 }, text: 'X' });
      assert.deepStrictEqual(minimalEdit('aaa', 'aaaa'), { span: { start: 3, end: 3 }, text: 'a' });
      assert.deepStrictEqual(minimalEdit('same', 'same'), { span: { start: 4, end: 4 }, text: '' });
    });
  });
});
