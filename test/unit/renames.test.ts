import * as assert from 'assert';
import {
  citationKeyProblem,
  citationKeyReplacements,
  definitionKeyText,
  definitionSpells,
  entryDefinedAt,
  footnoteLabelProblem,
  footnoteLabelReplacements,
  isSimpleCitationKey,
  personKeyProblem,
  personKeyReplacements,
  renameTargetAt,
  type TextReplacement,
} from '../../src/core';
import { at, indexText, people } from './helpers';

/** Applies replacements from the end, so earlier spans stay valid. */
function apply(text: string, replacements: readonly TextReplacement[]): string {
  let out = text;
  for (const r of [...replacements].sort((a, b) => b.span.start - a.span.start)) out = out.slice(0, r.span.start) + r.newText + out.slice(r.span.end);
  return out;
}

describe('renames', () => {
  describe('renameTargetAt', () => {
    it('finds the key of an explicit mention and highlights the key only', async () => {
      const index = await indexText('Met [[lenin|the chairman]] today.\n', people);
      const target = renameTargetAt(index, index.text.indexOf('lenin') + 1);
      assert.ok('kind' in target && target.kind === 'person');
      assert.strictEqual(target.key, 'lenin');
      assert.strictEqual(at(index, target.span), 'lenin');
    });

    it('finds the person behind an implicit mention, highlighting the name', async () => {
      const index = await indexText('Kropotkin wrote.\n', people);
      const target = renameTargetAt(index, 2);
      assert.ok('kind' in target && target.kind === 'person');
      assert.strictEqual(target.key, 'kropotkin');
      assert.strictEqual(at(index, target.span), 'Kropotkin');
    });

    it('refuses unknown keys, inline notes and plain text', async () => {
      const index = await indexText('See [[nobody]] and @nowhere2000.^[Inline.] Plain.\n', people);
      assert.deepStrictEqual(renameTargetAt(index, index.text.indexOf('nobody')), { refused: 'unknown-person' });
      assert.deepStrictEqual(renameTargetAt(index, index.text.indexOf('nowhere') + 1), { refused: 'unknown-reference' });
      assert.deepStrictEqual(renameTargetAt(index, index.text.indexOf('Inline')), { refused: 'inline-footnote' });
      assert.deepStrictEqual(renameTargetAt(index, index.text.indexOf('Plain') + 1), { refused: 'nothing' });
    });

    it('finds a footnote label from a reference and from its definition', async () => {
      const index = await indexText('Text.[^note]\n\n[^note]: The note.\n', people);
      for (const offset of [index.text.indexOf('note') + 1, index.text.lastIndexOf('[^note]') + 3]) {
        const target = renameTargetAt(index, offset);
        assert.ok('kind' in target && target.kind === 'footnote');
        assert.strictEqual(at(index, target.span), 'note');
      }
    });
  });

  describe('validation', () => {
    it('rejects person keys that [[…]] cannot hold', () => {
      assert.strictEqual(personKeyProblem('peter'), undefined);
      assert.strictEqual(personKeyProblem(''), 'empty');
      assert.strictEqual(personKeyProblem('peter k'), 'whitespace');
      assert.strictEqual(personKeyProblem('a|b'), 'forbidden-character');
      assert.strictEqual(personKeyProblem('a]'), 'forbidden-character');
    });

    it('rejects citation keys that even braces cannot hold', () => {
      assert.strictEqual(citationKeyProblem('doe:2000/a'), undefined);
      assert.strictEqual(citationKeyProblem('a b'), 'whitespace');
      assert.strictEqual(citationKeyProblem('a}b'), 'forbidden-character');
    });

    it('rejects footnote labels with whitespace or brackets', () => {
      assert.strictEqual(footnoteLabelProblem('note-2'), undefined);
      assert.strictEqual(footnoteLabelProblem('a b'), 'whitespace');
      assert.strictEqual(footnoteLabelProblem('a]'), 'forbidden-character');
    });

    it('knows which citation keys Pandoc reads without braces', () => {
      assert.ok(isSimpleCitationKey('shub1953'));
      assert.ok(isSimpleCitationKey('doe:2000.a'));
      assert.ok(isSimpleCitationKey('Кропоткин1899'));
      assert.ok(!isSimpleCitationKey('shub1953.'));
      assert.ok(!isSimpleCitationKey('-shub'));
      assert.ok(!isSimpleCitationKey('a,b'));
    });
  });

  describe('replacements', () => {
    it('renames explicit mentions only, keeping shown text', async () => {
      const index = await indexText('Kropotkin met [[kropotkin]] and [[ kropotkin |Peter]].\n', people);
      assert.strictEqual(apply(index.text, personKeyReplacements(index, 'kropotkin', 'peter')), 'Kropotkin met [[peter]] and [[ peter |Peter]].\n');
    });

    it('renames explicit mentions of an unknown key too', async () => {
      const index = await indexText('[[ghost]] and [[ghost|G]].\n', people);
      assert.strictEqual(apply(index.text, personKeyReplacements(index, 'ghost', 'spirit')), '[[spirit]] and [[spirit|G]].\n');
    });

    it('renames every citation form and braces keys Pandoc would cut short', async () => {
      const text = '[@shub1953, p. 3] and @shub1953 [chap. 2], [-@shub1953; @woodcock1950] and @{shub1953}.\n';
      const index = await indexText(text, people);
      assert.strictEqual(
        apply(text, citationKeyReplacements(index, 'shub1953', 'shub53')),
        '[@shub53, p. 3] and @shub53 [chap. 2], [-@shub53; @woodcock1950] and @{shub53}.\n',
      );
      assert.strictEqual(
        apply(text, citationKeyReplacements(index, 'shub1953', 'shub,1953')),
        '[@{shub,1953}, p. 3] and @{shub,1953} [chap. 2], [-@{shub,1953}; @woodcock1950] and @{shub,1953}.\n',
      );
    });

    it('renames footnote references and every definition', async () => {
      const text = 'One.[^a] Two.[^a] Other.[^b]\n\n[^a]: First.\n\n[^a]: Second.\n\n[^b]: B.\n';
      const index = await indexText(text, people);
      const target = renameTargetAt(index, text.indexOf('[^a]') + 2);
      assert.ok('kind' in target && target.kind === 'footnote');
      assert.strictEqual(apply(text, footnoteLabelReplacements(index, target.footnote, 'first')), 'One.[^first] Two.[^first] Other.[^b]\n\n[^first]: First.\n\n[^first]: Second.\n\n[^b]: B.\n');
    });
  });

  describe('entryDefinedAt', () => {
    it('finds the person or reference whose key is written at an offset of the sidecar', async () => {
      const index = await indexText('Text.\n', people);
      const sidecar = index.sidecars[0];
      const person = entryDefinedAt(index.registry, sidecar, people.indexOf('lenin:') + 2);
      assert.ok(person?.kind === 'person');
      assert.strictEqual(person.person.key, 'lenin');
      const reference = entryDefinedAt(index.registry, sidecar, people.indexOf('woodcock1950'));
      assert.ok(reference?.kind === 'reference');
      assert.strictEqual(reference.reference.id, 'woodcock1950');
      assert.strictEqual(entryDefinedAt(index.registry, sidecar, people.indexOf('Vladimir Lenin')), undefined);
      assert.strictEqual(entryDefinedAt(index.registry, 'file:///elsewhere.yaml', people.indexOf('lenin:')), undefined);
    });
  });

  describe('definition keys', () => {
    it('keeps the quoting style and quotes keys YAML would misread', () => {
      assert.strictEqual(definitionKeyText('kropotkin', 'peter', false), 'peter');
      assert.strictEqual(definitionKeyText('kropotkin', 'yes', false), '"yes"');
      assert.strictEqual(definitionKeyText('kropotkin', 'a:b', false), '"a:b"');
      assert.strictEqual(definitionKeyText('kropotkin', '1953', false), '"1953"');
      assert.strictEqual(definitionKeyText("'kropotkin'", "o'neil", false), "'o''neil'");
      assert.strictEqual(definitionKeyText('"kropotkin"', 'peter', false), '"peter"');
      assert.strictEqual(definitionKeyText('shub1953', 'a"b', true), 'a\\"b');
    });

    it('checks that the written key is still the one expected', () => {
      assert.ok(definitionSpells('kropotkin', 'kropotkin', false));
      assert.ok(definitionSpells("'o''neil'", "o'neil", false));
      assert.ok(definitionSpells('"a:b"', 'a:b', false));
      assert.ok(definitionSpells('a\\"b', 'a"b', true));
      assert.ok(!definitionSpells('kropotkina', 'kropotkin', false));
    });
  });
});
