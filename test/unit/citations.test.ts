import * as assert from 'assert';
import { parseLocator } from '../../src/core';
import { at, indexText, people } from './helpers';

async function citations(text: string) {
  const index = await indexText(text, people);
  return index.citations.map((c) => ({
    text: at(index, c.span),
    inText: c.inText,
    items: c.items.map((i) => [i.key, i.prefix, i.locator, i.label, i.suffix, i.suppressAuthor]),
  }));
}

describe('citations', () => {
  it('reads every Pandoc form', async () => {
    const found = await citations(
      '[@shub1953] [@shub1953, p. 33] [see @shub1953, pp. 3-5; @woodcock1950, chap. 2] [-@shub1953] @shub1953 says, @woodcock1950 [p. 33] adds, @{shub1953}.',
    );
    assert.deepStrictEqual(found, [
      { text: '[@shub1953]', inText: false, items: [['shub1953', '', '', '', '', false]] },
      { text: '[@shub1953, p. 33]', inText: false, items: [['shub1953', '', '33', 'page', '', false]] },
      {
        text: '[see @shub1953, pp. 3-5; @woodcock1950, chap. 2]',
        inText: false,
        items: [
          ['shub1953', 'see', '3-5', 'page', '', false],
          ['woodcock1950', '', '2', 'chapter', '', false],
        ],
      },
      { text: '[-@shub1953]', inText: false, items: [['shub1953', '', '', '', '', true]] },
      { text: '@shub1953', inText: true, items: [['shub1953', '', '', '', '', false]] },
      { text: '@woodcock1950 [p. 33]', inText: true, items: [['woodcock1950', '', '33', 'page', '', false]] },
      { text: '@{shub1953}', inText: true, items: [['shub1953', '', '', '', '', false]] },
    ]);
  });

  it('leaves a trailing period out of the key', async () => {
    const index = await indexText('As argued by @shub1953.', people);
    assert.strictEqual(at(index, index.citations[0].items[0].keySpan), 'shub1953');
    assert.strictEqual(index.diagnostics.filter((d) => d.code === 'unknown-citation').length, 0);
  });

  it('does not read an email address, an escaped @ or code as a citation', async () => {
    assert.deepStrictEqual(await citations('mail me@shub1953.org, \\@shub1953, `@shub1953`, <!-- @shub1953 -->'), []);
  });

  it('reads [@x](url) as a link whose text holds an in-text citation, as Pandoc does', async () => {
    const found = await citations('[@shub1953](https://example.org)');
    assert.deepStrictEqual(found, [{ text: '@shub1953', inText: true, items: [['shub1953', '', '', '', '', false]] }]);
  });

  it('handles nested brackets', async () => {
    const found = await citations('[@shub1953, see [the appendix] there]');
    assert.deepStrictEqual(found[0].items[0].slice(0, 1), ['shub1953']);
    assert.strictEqual(found[0].text, '[@shub1953, see [the appendix] there]');
  });

  it('reads a citation at the very end of the file', async () => {
    const found = await citations('Last word @woodcock1950');
    assert.deepStrictEqual(found.map((c) => c.text), ['@woodcock1950']);
  });

  it('reads a bracketed citation spread over two lines', async () => {
    const found = await citations('Spread [see\n@shub1953, p. 4].');
    assert.deepStrictEqual(found[0].items, [['shub1953', 'see', '4', 'page', '', false]]);
  });

  it('reports unknown keys as errors at the key, and no error for known ones', async () => {
    const index = await indexText('[@shub1953; @nobody2000]', people);
    const unknown = index.diagnostics.filter((d) => d.code === 'unknown-citation');
    assert.deepStrictEqual(unknown.map((d) => [d.severity, at(index, d.span)]), [['error', 'nobody2000']]);
  });

  it('gives every item of a list in order, with suppress-author flags', async () => {
    const found = await citations('[@shub1953; -@woodcock1950]');
    assert.deepStrictEqual(found[0].items.map((i) => [i[0], i[5]]), [
      ['shub1953', false],
      ['woodcock1950', true],
    ]);
  });
});

describe('locators', () => {
  const cases: [string, string, string, string][] = [
    [', p. 33', '33', 'page', ''],
    [', pp. 33-35, 40', '33-35, 40', 'page', ''],
    [', chap. 2', '2', 'chapter', ''],
    [', sec. 2.3', '2.3', 'section', ''],
    [', 33', '33', 'page', ''],
    [', p. 33, emphasis added', '33', 'page', ', emphasis added'],
    [', {Book IV}', 'Book IV', 'page', ''],
    [', vol. ii', 'ii', 'volume', ''],
    [', ¶ 4', '4', 'paragraph', ''],
    [', emphasis added', '', '', ', emphasis added'],
    ['', '', '', ''],
  ];
  for (const [suffix, locator, label, rest] of cases) {
    it(`reads "${suffix}"`, () => {
      assert.deepStrictEqual(parseLocator(suffix), { locator, label, suffix: rest });
    });
  }
});
