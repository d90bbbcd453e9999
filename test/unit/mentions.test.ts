import * as assert from 'assert';
import { at, indexText, people } from './helpers';

async function mentionTexts(text: string, sidecar = people): Promise<[string | null, string][]> {
  const index = await indexText(text, sidecar);
  return index.mentions.map((m) => [m.person, at(index, m.span)]);
}

describe('person mentions', () => {
  describe('explicit', () => {
    it('reads [[key]] and [[key|shown text]]', async () => {
      const index = await indexText('Met [[kropotkin]] and [[lenin|the chairman]].', people);
      assert.deepStrictEqual(
        index.mentions.map((m) => ({ person: m.person, text: m.text, explicit: m.explicit, key: m.keySpan && at(index, m.keySpan) })),
        [
          { person: 'kropotkin', text: 'Peter Kropotkin', explicit: true, key: 'kropotkin' },
          { person: 'lenin', text: 'the chairman', explicit: true, key: 'lenin' },
        ],
      );
    });

    it('reports an unknown key at the key', async () => {
      const index = await indexText('Met [[nobody|someone]].', people);
      const d = index.diagnostics.find((x) => x.code === 'unknown-person');
      assert.ok(d);
      assert.strictEqual(d.severity, 'error');
      assert.strictEqual(at(index, d.span), 'nobody');
      assert.strictEqual(index.mentions[0].person, null);
      assert.strictEqual(index.mentions[0].writtenKey, 'nobody');
    });

    it('does not read names inside an explicit mention again', async () => {
      assert.deepStrictEqual(await mentionTexts('[[lenin|Lenin]]'), [['lenin', '[[lenin|Lenin]]']]);
    });

    it('is not a mention inside code', async () => {
      assert.deepStrictEqual(await mentionTexts('`[[lenin]]` and\n\n```\n[[lenin]]\n```\n'), []);
    });
  });

  describe('implicit', () => {
    it('matches names and aliases, case-sensitively', async () => {
      assert.deepStrictEqual(await mentionTexts('Lenin met Kropotkin; lenin and KROPOTKIN did not.'), [
        ['lenin', 'Lenin'],
        ['kropotkin', 'Kropotkin'],
      ]);
    });

    it('needs whole words, with Unicode-aware boundaries', async () => {
      assert.deepStrictEqual(await mentionTexts('Ленин. Ленинград, Leninism, Kropotkins, xLenin, Lenin2.'), [['lenin', 'Ленин']]);
    });

    it('matches a possessive with either apostrophe', async () => {
      assert.deepStrictEqual(await mentionTexts("Kropotkin's book and Lenin’s reply."), [
        ['kropotkin', 'Kropotkin'],
        ['lenin', 'Lenin'],
      ]);
    });

    it('matches a multi-word name wrapped across a line break', async () => {
      const found = await mentionTexts('It was Peter\nKropotkin who wrote.');
      assert.deepStrictEqual(found, [['kropotkin', 'Peter\nKropotkin']]);
    });

    it('does not match across a paragraph break', async () => {
      assert.deepStrictEqual(await mentionTexts('Peter\n\nKropotkin'), [['kropotkin', 'Kropotkin']]);
    });

    it('prefers the longest match', async () => {
      assert.deepStrictEqual(await mentionTexts('Vladimir Lenin and Vladimir Bonch-Bruevich and V. I. Lenin.'), [
        ['lenin', 'Vladimir Lenin'],
        ['bonch', 'Vladimir Bonch-Bruevich'],
        ['lenin', 'V. I. Lenin'],
      ]);
    });

    it('counts in headings and quotes, not in code, URLs, link targets, citation keys or front matter', async () => {
      const text = [
        '---',
        'title: Lenin',
        '---',
        '# Lenin',
        '',
        '> Lenin spoke.',
        '',
        '`Lenin` and <https://example.org/Lenin> and [a link](https://example.org/Lenin) and https://x.org/Lenin',
        'and [@Lenin] and @Lenin.',
        '',
        '    Lenin in indented code',
      ].join('\n');
      const index = await indexText(text, people);
      assert.deepStrictEqual(
        index.mentions.map((m) => index.lines.positionAt(m.span.start).line),
        [3, 5],
      );
    });

    it('counts in link text and footnotes', async () => {
      const found = await mentionTexts('See [Lenin](https://x.org) and^[Kropotkin wrote.] a note[^1].\n\n[^1]: Lenin replied.\n');
      assert.deepStrictEqual(found.map(([p]) => p), ['lenin', 'kropotkin', 'lenin']);
    });

    it('finds every first letter of a name after long plain text, in a block and in link text', async () => {
      // Names whose first letters lie next to each other, alone, past Latin-1, in Cyrillic and beyond the BMP: the
      // reader looks for the next place to stop by a pattern made from those letters, and must miss none of them.
      const sidecar = ['people:', ...['Éluard', 'Жуков', 'Зорин', 'Цветаева', '𐌰𐌸𐌰𐌻𐍂𐌴𐌹𐌺𐍃', 'Mann', 'Nansen'].map((name, k) => `  p${k}:\n    name: ${name}`)].join('\n');
      const plain = 'and so on '.repeat(400);
      const names = 'Éluard, Жуков, Зорин, Цветаева, 𐌰𐌸𐌰𐌻𐍂𐌴𐌹𐌺𐍃, Mann, Nansen';
      const text = `${plain}${names} [@cited].\n\n[${plain}${names}](https://example.org) @cited\n`;
      const index = await indexText(text, sidecar);
      const expected = ['Éluard', 'Жуков', 'Зорин', 'Цветаева', '𐌰𐌸𐌰𐌻𐍂𐌴𐌹𐌺𐍃', 'Mann', 'Nansen'];
      assert.deepStrictEqual(index.mentions.map((m) => at(index, m.span)), [...expected, ...expected]);
      assert.deepStrictEqual(index.citations.map((c) => at(index, c.span)), ['[@cited]', '@cited']);
    });

    it('keeps positions right after emoji and combining marks', async () => {
      const text = '👍Kropotkin and e\u0301 Lenin and 𝔸 Lenin';
      const index = await indexText(text, people);
      assert.deepStrictEqual(index.mentions.map((m) => at(index, m.span)), ['Kropotkin', 'Lenin', 'Lenin']);
      assert.deepStrictEqual(index.lines.positionAt(index.mentions[0].span.start), { line: 0, character: 2 });
    });

    it('does not match a combining mark glued to the name', async () => {
      assert.deepStrictEqual(await mentionTexts('Lenin\u0301 and \u0301Lenin'), []);
    });

    it('ignores people with implicit: false', async () => {
      assert.deepStrictEqual(await mentionTexts('Will [[quiet]] come?'), [['quiet', '[[quiet]]']]);
    });

    it('resolves a shared alias to neither person, with a warning on the sidecar', async () => {
      const sidecar = 'people:\n  a:\n    name: Anna\n    aliases: [Sasha]\n  b:\n    name: Boris\n    aliases: [Sasha]\n';
      const index = await indexText('Sasha came.', sidecar);
      assert.deepStrictEqual(index.mentions.map((m) => m.person), [null]);
      const d = index.diagnostics.find((x) => x.code === 'shared-alias');
      assert.ok(d);
      assert.strictEqual(d.severity, 'warning');
      assert.ok(d.uri.endsWith('essay.yaml'));
      assert.strictEqual(d.range.start.line, 4);
    });

    it('can be switched off', async () => {
      const { buildIndex, loadTextContext } = await import('../../src/core');
      const { MemoryReader, fileUri } = await import('./helpers');
      const reader = new MemoryReader({ 'essay.yaml': people });
      const text = 'Lenin and [[lenin]]';
      const index = buildIndex({ uri: fileUri('essay.annot.md'), text }, await loadTextContext(fileUri('essay.annot.md'), text, reader), { implicitMentions: false });
      assert.deepStrictEqual(index.mentions.map((m) => m.explicit), [true]);
    });
  });
});
