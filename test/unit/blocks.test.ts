import * as assert from 'assert';
import { at, indexText, people } from './helpers';

describe('footnotes', () => {
  it('pairs references with definitions and reads continuation lines', async () => {
    const index = await indexText('A[^1] and B[^long-label].\n\n[^1]: First\n    continued.\n\n    Second paragraph.\n\n[^long-label]: Other.\n', people);
    assert.deepStrictEqual(
      index.footnotes.map((f) => [f.label, f.inline, f.refs.length, f.definition !== null, f.text]),
      [
        ['1', false, 1, true, 'First\ncontinued.\n\nSecond paragraph.'],
        ['long-label', false, 1, true, 'Other.'],
      ],
    );
    assert.strictEqual(index.diagnostics.filter((d) => d.uri.endsWith('.annot.md')).length, 0);
  });

  it('reads inline notes', async () => {
    const index = await indexText('Text^[An inline *note* with @shub1953.] here.', people);
    assert.deepStrictEqual(index.footnotes.map((f) => [f.label, f.inline, f.text]), [['^1', true, 'An inline *note* with @shub1953.']]);
    assert.deepStrictEqual(index.citations.map((c) => c.items[0].key), ['shub1953']);
  });

  it('reports a reference with no definition as an error', async () => {
    const index = await indexText('Text[^9].', people);
    const d = index.diagnostics.find((x) => x.code === 'undefined-footnote');
    assert.ok(d);
    assert.strictEqual(d.severity, 'error');
    assert.strictEqual(at(index, d.span), '[^9]');
  });

  it('warns of a definition never referenced', async () => {
    const index = await indexText('Text.\n\n[^x]: Unused.\n', people);
    const d = index.diagnostics.find((x) => x.code === 'unused-footnote');
    assert.ok(d);
    assert.strictEqual(d.severity, 'warning');
    assert.strictEqual(d.range.start.line, 2);
  });

  it('keeps the last of duplicate definitions, and warns at each extra one', async () => {
    const index = await indexText('A[^1].\n\n[^1]: One.\n\n[^1]: Two.\n\n[^1]: Three.\n', people);
    assert.strictEqual(index.footnotes[0].text, 'Three.');
    const dups = index.diagnostics.filter((d) => d.code === 'duplicate-footnote');
    assert.deepStrictEqual(dups.map((d) => [d.severity, d.range.start.line]), [
      ['warning', 4],
      ['warning', 6],
    ]);
  });

  it('is not a definition after a paragraph line, as in Pandoc', async () => {
    const index = await indexText('A[^1].\n[^1]: Not a definition.\n', people);
    assert.strictEqual(index.footnotes[0].definition, null);
  });
});

describe('block quotes', () => {
  it('follows Pandoc: blank line before, lazy continuation, a blank > line joins paragraphs', async () => {
    const index = await indexText('Para\n> not a quote\n\n> quoted\nlazy\n>\n> more\n\nafter\n', people);
    const quotes = index.quotes.filter((q) => q.kind === 'block');
    assert.strictEqual(quotes.length, 1);
    assert.strictEqual(quotes[0].text, 'quoted\nlazy\n\nmore');
    assert.deepStrictEqual([index.lines.positionAt(quotes[0].span.start).line, index.lines.positionAt(quotes[0].span.end).line], [3, 6]);
  });

  it('lists a quote directly after a heading, and nested quotes', async () => {
    const index = await indexText('# H\n> after heading\n\n> outer\n>\n> > inner\n', people);
    assert.deepStrictEqual(index.quotes.map((q) => q.text), ['after heading', 'outer\n\n> inner', 'inner']);
  });

  it('gives a quote the citations inside it', async () => {
    const index = await indexText('> Words [@shub1953].\n\nLater [@woodcock1950].\n', people);
    assert.deepStrictEqual(index.quotes[0].citations.map((c) => index.citations[c].items[0].key), ['shub1953']);
  });
});

describe('inline quotations', () => {
  it('reads each kind of quotation mark', async () => {
    const index = await indexText('“curly” ‘single’ «guillemets» „German“ and "straight" text.', people);
    assert.deepStrictEqual(index.quotes.map((q) => [q.kind, q.text]), [
      ['inline', 'curly'],
      ['inline', 'single'],
      ['inline', 'guillemets'],
      ['inline', 'German'],
      ['inline', 'straight'],
    ]);
  });

  it('does not take an apostrophe for a quotation', async () => {
    const index = await indexText('Lenin’s and Kropotkin’s views, the ’20s.', people);
    assert.deepStrictEqual(index.quotes, []);
  });

  it('nests single inside double quotes', async () => {
    const index = await indexText('“He said ‘no’ twice.”', people);
    assert.deepStrictEqual(index.quotes.map((q) => q.text), ['He said ‘no’ twice.', 'no']);
  });

  it('ignores quotation marks in code and link titles', async () => {
    const index = await indexText('`“code”` and [x](https://x.org "a “title”") and `"q"`', people);
    assert.deepStrictEqual(index.quotes, []);
  });

  it('takes the citations inside and directly after, in the same sentence', async () => {
    const index = await indexText('“One” [@shub1953]. “Two,” says @woodcock1950. “Three.” Then [@shub1953].', people);
    const keys = index.quotes.map((q) => q.citations.map((c) => index.citations[c].items[0].key));
    assert.deepStrictEqual(keys, [['shub1953'], ['woodcock1950'], []]);
  });

  it('does not give an inner quote the outer quote’s citation', async () => {
    const index = await indexText('“Outer ‘inner’ words” [@shub1953].', people);
    assert.deepStrictEqual(index.quotes.map((q) => [q.text, q.citations.length]), [
      ['Outer ‘inner’ words', 1],
      ['inner', 0],
    ]);
  });
});

describe('headings', () => {
  it('reads ATX and Setext headings as Pandoc does', async () => {
    const index = await indexText('# One {#id}\n\nTwo\n===\n\nThree\n---\n\n## Four ##\n\n#Five\n\nPara\n# Six\n\n   # Seven\n', people);
    assert.deepStrictEqual(index.headings.map((h) => [h.level, h.text]), [
      [1, 'One'],
      [1, 'Two'],
      [2, 'Three'],
      [2, 'Four'],
    ]);
  });
});

describe('front matter', () => {
  it('is read between --- and --- or ...', async () => {
    const index = await indexText('---\ntitle: T\n...\n\nLenin', people);
    assert.deepStrictEqual(index.frontMatter?.data, { title: 'T' });
    assert.deepStrictEqual(index.mentions.map((m) => m.person), ['lenin']);
  });

  it('warns when never closed, and reads the text as body', async () => {
    const index = await indexText('---\ntitle: Lenin\n\nLenin', people);
    assert.strictEqual(index.frontMatter, null);
    const d = index.diagnostics.find((x) => x.code === 'unclosed-front-matter');
    assert.ok(d);
    assert.strictEqual(d.severity, 'warning');
    assert.strictEqual(d.range.start.line, 0);
    assert.strictEqual(index.mentions.length, 2);
  });

  it('is not front matter when a blank line follows ---', async () => {
    const index = await indexText('---\n\nLenin\n', people);
    assert.strictEqual(index.frontMatter, null);
    assert.strictEqual(index.diagnostics.some((d) => d.code === 'unclosed-front-matter'), false);
  });
});

describe('positions', () => {
  it('are right with CRLF line ends', async () => {
    const index = await indexText('First line\r\n\r\nLenin [@shub1953]\r\n\r\nA[^1]\r\n\r\n[^1]: Note\r\n    more.\r\n', people);
    assert.deepStrictEqual(index.lines.positionAt(index.mentions[0].span.start), { line: 2, character: 0 });
    assert.deepStrictEqual(index.lines.rangeOf(index.citations[0].span), { start: { line: 2, character: 6 }, end: { line: 2, character: 17 } });
    assert.strictEqual(index.footnotes[0].text, 'Note\nmore.');
  });

  it('are right after characters outside the Basic Multilingual Plane', async () => {
    const index = await indexText('𝔘𝔫𝔦𝔠𝔬𝔡𝔢 [@shub1953]', people);
    assert.deepStrictEqual(index.lines.positionAt(index.citations[0].span.start), { line: 0, character: 15 });
  });

  it('map quote contents back through block quote markers', async () => {
    const index = await indexText('> Peter\n> Kropotkin [@shub1953]\n', people);
    assert.strictEqual(at(index, index.mentions[0].span), 'Peter\n> Kropotkin');
    assert.strictEqual(at(index, index.citations[0].span), '[@shub1953]');
  });
});
