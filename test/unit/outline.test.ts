import * as assert from 'assert';
import fc from 'fast-check';
import { footnoteOutline, lineSnippet, openingWords, peopleOutline, quoteOutline, untranslated, type AnnotationIndex, type Span, type Translate } from '../../src/core';
import { at, indexText, people } from './helpers';

/** The index with its line map counting the questions asked of it, to see what an outline computes up front. */
function countingLines(index: AnnotationIndex): { index: AnnotationIndex; calls: () => number } {
  let calls = 0;
  const lines = new Proxy(index.lines, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { index: { ...index, lines }, calls: () => calls };
}

describe('outline', () => {
  describe('openingWords', () => {
    it('keeps a short text whole, on one line', () => {
      assert.strictEqual(openingWords('Dates after\n    February 1918'), 'Dates after February 1918');
    });

    it('cuts after eight words with an ellipsis', () => {
      assert.strictEqual(openingWords('one two three four five six seven eight nine ten'), 'one two three four five six seven eight…');
    });

    it('cuts long words at the length limit', () => {
      const opening = openingWords('x'.repeat(200));
      assert.strictEqual(opening, `${'x'.repeat(60)}…`);
    });

    it('gives nothing for an empty text', () => {
      assert.strictEqual(openingWords('  \n '), '');
    });

    it('reads only the opening, and says what splitting the whole text would', () => {
      const wholeText = (text: string, words: number, maxLength: number): string => {
        const all = text.split(/\s+/).filter(Boolean);
        let opening = all.slice(0, words).join(' ');
        let cut = all.length > words;
        if (opening.length > maxLength) {
          opening = opening.slice(0, maxLength).trimEnd();
          cut = true;
        }
        return cut ? `${opening}…` : opening;
      };
      const piece = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(' ', '\n', '\t', '\u00a0', '\u2003', '\r\n', 'word', 'Ленин', '👍'));
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 40 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 80 }), (pieces, words, maxLength) => {
          const text = pieces.join('');
          assert.strictEqual(openingWords(text, words, maxLength), wholeText(text, words, maxLength));
        }),
      );
    });
  });

  describe('footnoteOutline', () => {
    const text = 'First.[^a] Second.^[An inline note with some words in it.] Third.[^missing] Again.[^a]\n\n[^a]: The note on\n    two lines.\n';

    it('lists every note with its label, opening words and full text', async () => {
      const index = await indexText(text);
      const rows = footnoteOutline(index);
      const byLabel = new Map(rows.map((r) => [r.label, r]));
      const a = byLabel.get('[^a]');
      assert.ok(a, `rows: ${rows.map((r) => r.label).join(', ')}`);
      assert.strictEqual(a.kind, 'footnote');
      assert.strictEqual(a.description, 'The note on two lines.');
      assert.match(a.tooltip, /^The note on\ntwo lines\.\n\n2 references$/);
      assert.strictEqual(at(index, a.span), '[^a]');
      assert.strictEqual(a.span.start, text.indexOf('[^a]'), 'leads to the first reference');
      assert.deepStrictEqual(a.range, { start: { line: 0, character: 6 }, end: { line: 0, character: 10 } });
    });

    it('labels inline notes ^[…] and shows their text', async () => {
      const rows = footnoteOutline(await indexText(text));
      const inline = rows.find((r) => r.label === '^[…]');
      assert.ok(inline);
      assert.strictEqual(inline.kind, 'footnote');
      assert.strictEqual(inline.description, 'An inline note with some words in it.');
      assert.strictEqual(inline.tooltip, 'An inline note with some words in it.');
    });

    it('marks a note that is referenced but never defined', async () => {
      const index = await indexText(text);
      const missing = footnoteOutline(index).find((r) => r.label === '[^missing]');
      assert.ok(missing);
      assert.strictEqual(missing.kind, 'footnote-undefined');
      assert.strictEqual(missing.description, 'no definition');
      assert.strictEqual(at(index, missing.span), '[^missing]');
    });

    it('gives unique ids', async () => {
      const rows = footnoteOutline(await indexText(text + 'More.^[Another.]\n'));
      assert.strictEqual(new Set(rows.map((r) => r.id)).size, rows.length);
    });

    it('passes its sentences through the translation function', async () => {
      const shout: Translate = (message, ...args) => untranslated(message, ...args).toUpperCase();
      const missing = footnoteOutline(await indexText(text), { t: shout }).find((r) => r.kind === 'footnote-undefined');
      assert.strictEqual(missing?.description, 'NO DEFINITION');
    });

    it('gives nothing for an empty text', async () => {
      assert.deepStrictEqual(footnoteOutline(await indexText('')), []);
    });
  });

  describe('quoteOutline', () => {
    const text = [
      'He called it “a miracle” and then wrote “the summer had wrought a miracle in him” [@shub1953].',
      '',
      '> A hostage is imprisoned not as punishment',
      '> for some crime. [@woodcock1950]',
      '',
    ].join('\n');

    it('lists block quotes always and inline quotes from the minimum length', async () => {
      const index = await indexText(text, people);
      const rows = quoteOutline(index, { minimumQuoteLength: 12 });
      assert.deepStrictEqual(
        rows.map((r) => r.label),
        ['the summer had wrought a miracle in him', 'A hostage is imprisoned not as punishment for…'],
      );
      assert.ok(rows.every((r) => r.kind === 'quote'));
    });

    it('keeps short inline quotes when the minimum allows them', async () => {
      const rows = quoteOutline(await indexText(text, people), { minimumQuoteLength: 0 });
      assert.ok(rows.some((r) => r.label === 'a miracle'));
    });

    it('keeps a block quote however short', async () => {
      const rows = quoteOutline(await indexText('> Yes.\n', people), { minimumQuoteLength: 100 });
      assert.deepStrictEqual(rows.map((r) => r.label), ['Yes.']);
    });

    it('describes a quote by its cited keys and shows the whole text as tooltip', async () => {
      const index = await indexText(text, people);
      const [inline, block] = quoteOutline(index, { minimumQuoteLength: 12 });
      assert.strictEqual(inline.description, '@shub1953');
      assert.strictEqual(block.description, '@woodcock1950');
      assert.match(block.tooltip, /^A hostage is imprisoned not as punishment\s+for some crime\./);
      assert.strictEqual(block.range.start.line, 2);
      assert.ok(at(index, inline.span).includes('the summer had wrought'));
    });
  });

  describe('peopleOutline', () => {
    const text = 'Kropotkin met Lenin. [[kropotkin]] spoke; Lenin listened, and Kropotkin left.\nThen [[nobody]] came.\n';

    it('lists each person mentioned with a count, most mentioned first', async () => {
      const rows = peopleOutline(await indexText(text, people));
      const persons = rows.filter((r) => r.kind === 'person');
      assert.deepStrictEqual(
        persons.map((r) => [r.label, r.description]),
        [
          ['Peter Kropotkin', '3 mentions'],
          ['Vladimir Lenin', '2 mentions'],
        ],
      );
      assert.strictEqual(persons[0].tooltip, 'Anarchist geographer (1842–1921)');
      assert.strictEqual(persons[1].tooltip, 'Vladimir Lenin', 'a person without a description is described by name');
    });

    it('gives each mention its line in context', async () => {
      const index = await indexText(text, people);
      const lenin = peopleOutline(index).find((r) => r.id === 'person:lenin');
      assert.ok(lenin);
      assert.strictEqual(lenin.children.length, 2);
      assert.ok(lenin.children.every((c) => c.kind === 'mention' && c.description === 'line 1'));
      assert.strictEqual(at(index, lenin.children[1].span), 'Lenin');
      assert.ok(lenin.children[0].label.includes('Kropotkin met Lenin.'));
    });

    it('says "1 mention" for one', async () => {
      const rows = peopleOutline(await indexText('Only Lenin.', people));
      assert.strictEqual(rows[0].description, '1 mention');
    });

    it('groups ambiguous names and unknown keys apart from people', async () => {
      const sidecar = 'people:\n  a:\n    name: Anna\n    aliases: [Sasha]\n  b:\n    name: Boris\n    aliases: [Sasha]\n';
      const rows = peopleOutline(await indexText('Sasha came, and Anna. [[zed]] too.', sidecar));
      assert.deepStrictEqual(
        rows.map((r) => [r.kind, r.label, r.description]),
        [
          ['person', 'Anna', '1 mention'],
          ['ambiguous-names', 'Ambiguous names', '1 mention'],
          ['unknown-people', 'Unknown keys', '1 mention'],
        ],
      );
      assert.strictEqual(rows[1].children[0].description, '“Sasha”, line 1');
      assert.strictEqual(rows[2].children[0].description, '“zed”, line 1');
    });

    it('gives unique ids across the tree', async () => {
      const rows = peopleOutline(await indexText(text, people));
      const ids = rows.flatMap((r) => [r.id, ...r.children.map((c) => c.id)]);
      assert.strictEqual(new Set(ids).size, ids.length);
    });

    it('makes a person’s mention rows, and any range, only when they are read', async () => {
      const { index, calls } = countingLines(await indexText(`${text}Lenin again.\n`, people));
      const rows = peopleOutline(index);
      assert.strictEqual(calls(), 0, 'no line was looked up for the top rows');
      const lenin = rows.find((r) => r.id === 'person:lenin');
      assert.ok(lenin);
      assert.strictEqual(lenin.childCount, 3);
      assert.strictEqual(calls(), 0);
      assert.strictEqual(lenin.children.length, 3);
      const forLenin = calls();
      assert.ok(forLenin > 0);
      assert.strictEqual(lenin.children, lenin.children, 'made once');
      assert.strictEqual(calls(), forLenin);
      assert.deepStrictEqual(lenin.range, index.lines.rangeOf(lenin.span));
      assert.ok(rows.every((r) => r.childCount === r.children.length));
    });

    it('gives nothing without mentions', async () => {
      assert.deepStrictEqual(peopleOutline(await indexText('No one here.', people)), []);
    });
  });

  it('computes no range for footnote and quote rows until one is read', async () => {
    const { index, calls } = countingLines(await indexText('A note.[^1] And “a quotation long enough” [@shub1953].\n\n[^1]: The note.\n', people));
    const rows = [...footnoteOutline(index), ...quoteOutline(index, { minimumQuoteLength: 0 })];
    assert.strictEqual(rows.length, 2);
    assert.strictEqual(calls(), 0);
    assert.ok(rows.every((r) => r.childCount === 0 && r.children.length === 0));
    const range = rows[1].range;
    assert.strictEqual(calls(), 1);
    assert.strictEqual(rows[1].range, range, 'computed once');
    assert.deepStrictEqual(range, index.lines.rangeOf(rows[1].span));
  });

  describe('lineSnippet', () => {
    it('says what cutting the whole line would, for any line ends and lengths', async () => {
      const wholeLine = (index: AnnotationIndex, span: Span): string => {
        const lines = index.lines;
        const lineStart = lines.lineStart(lines.lineAt(span.start));
        const lastLine = lines.lineAt(Math.max(span.start, span.end - 1));
        const lineEnd = lastLine + 1 < lines.lineCount ? lines.lineStart(lastLine + 1) : index.text.length;
        const lineText = index.text.slice(lineStart, lineEnd).replace(/[\r\n]+$/, '');
        const from = Math.max(0, span.start - lineStart - 30);
        const to = Math.min(lineText.length, span.end - lineStart + 50);
        const middle = lineText.slice(from, to).replace(/\s+/g, ' ').trim();
        return `${from > 0 ? '…' : ''}${middle}${to < lineText.length ? '…' : ''}`;
      };
      const piece = fc.oneof(fc.constantFrom('Lenin', 'Vladimir\nLenin', 'Kropotkin', ' ', '  ', '\n', '\r\n', '\r', '\t', 'x'.repeat(45)), fc.string({ maxLength: 8 }));
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (pieces) => {
          const index = await indexText(pieces.join(''), people);
          for (const mention of index.mentions) assert.strictEqual(lineSnippet(index, mention.span), wholeLine(index, mention.span));
        }),
        { numRuns: 60 },
      );
    });


    it('shows the line around a span, cut with ellipses on both sides', async () => {
      const line = `${'a '.repeat(40)}Lenin${' b'.repeat(40)}`;
      const index = await indexText(`first\n${line}\nlast`, people);
      const mention = index.mentions[0];
      const snippet = lineSnippet(index, mention.span);
      assert.ok(snippet.startsWith('…') && snippet.endsWith('…'), snippet);
      assert.ok(snippet.includes('Lenin'));
      assert.ok(!snippet.includes('first') && !snippet.includes('last'));
    });

    it('shows both lines of a name broken across them', async () => {
      const index = await indexText('It was Vladimir\nLenin who spoke.\nNext.', people);
      const mention = index.mentions.find((m) => m.person === 'lenin');
      assert.ok(mention);
      assert.strictEqual(lineSnippet(index, mention.span), 'It was Vladimir Lenin who spoke.');
    });

    it('handles CRLF line ends', async () => {
      const index = await indexText('Lenin spoke.\r\nNext line.', people);
      assert.strictEqual(lineSnippet(index, index.mentions[0].span), 'Lenin spoke.');
    });
  });
});
