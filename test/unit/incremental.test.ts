import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { buildIndex, buildIndexInSteps, indexToJson, loadTextContext, updateIndex, type AnnotationIndex, type TextChange } from '../../src/core';
import { fileUri, MemoryReader, people } from './helpers';

/** Markdown-ish pieces, weighted towards what changes block structure: fences, quotes, notes, lists, front matter. */
const fragment = fc.oneof(
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '\n', '\n', '\n\n', '\r\n', '\r', '> ', '>', '    ', '\t', '# ', '## ', '---', '...', '```', '~~~', '`', '[', ']', '[[', ']]', '|', '(', ')', '{', '}',
      '@', '-@', '[^1]', '[^n]', '^[', ']:', '[^1]: ', '[^n]: ', '* ', '1. ', '<!--', '-->', '$', '\\', '"', '“', '”', '‘', '’', '«', '»', '„', ':::', '===',
      'Lenin', 'Peter Kropotkin', 'Ленин', 'Kropotkin’s', '@shub1953', '[@shub1953, p. 3]', '[[lenin]]', '[[nobody]]', 'the letter was sent', '👍', 'e\u0301',
    ),
  },
);
/** Texts of several lines, so that most edits fall between untouched blocks before and after them. */
const line = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(''));
const markdownish = fc.array(line, { minLength: 3, maxLength: 40 }).map((lines) => lines.join('\n'));
const insertion = fc.array(fragment, { maxLength: 4 }).map((parts) => parts.join(''));

/** Everything an index says, with exact offsets, beyond what indexToJson prints. */
function exact(index: AnnotationIndex): unknown {
  return {
    json: indexToJson(index),
    headings: index.headings,
    footnotes: index.footnotes,
    quotes: index.quotes,
    citations: index.citations,
    mentions: index.mentions,
    footnoteRefs: index.footnoteRefs,
    diagnostics: index.diagnostics,
    lines: Array.from({ length: index.lines.lineCount }, (_, k) => index.lines.lineStart(k)),
  };
}

function applyChange(text: string, change: TextChange): string {
  return text.slice(0, change.start) + change.text + text.slice(change.end);
}

/** A random edit of `text`: where, how much to delete, what to insert. */
function changeIn(text: string, at: number, length: number, inserted: string): TextChange {
  const start = Math.round(at * text.length);
  const end = Math.min(text.length, start + length);
  return { start, end, text: inserted };
}

describe('incremental re-indexing', () => {
  const reader = new MemoryReader({ 'essay.yaml': people });
  const uri = fileUri('essay.annot.md');
  let context: Awaited<ReturnType<typeof loadTextContext>>;
  before(async () => {
    context = await loadTextContext(uri, '', reader);
  });

  it('equals a full parse after one random edit', () => {
    fc.assert(
      fc.property(markdownish, fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(12), insertion, (text, at, length, inserted) => {
        const change = changeIn(text, at, length, inserted);
        const newText = applyChange(text, change);
        const incremental = updateIndex(buildIndex({ uri, text }, context), change, newText);
        assert.deepStrictEqual(exact(incremental), exact(buildIndex({ uri, version: 1, text: newText }, context)));
      }),
      { numRuns: 3000 },
    );
  });

  it('equals a full parse after a chain of edits, each applied to the last incremental result', () => {
    const edit = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(6), insertion);
    fc.assert(
      fc.property(markdownish, fc.array(edit, { minLength: 1, maxLength: 6 }), (text, edits) => {
        let index = buildIndex({ uri, text }, context);
        for (const [at, length, inserted] of edits) {
          const change = changeIn(index.text, at, length, inserted);
          index = updateIndex(index, change, applyChange(index.text, change));
        }
        assert.deepStrictEqual(exact(index), exact(buildIndex({ uri, version: index.version, text: index.text }, context)));
      }),
      { numRuns: 1000 },
    );
  });

  it('equals a full parse for single-character edits all over the example text', async () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const text = fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.annot.md'), 'utf8');
    const exampleUri = fileUri('examples/kropotkin-meets-lenin.annot.md');
    const exampleContext = await loadTextContext(exampleUri, text, new MemoryReader({ 'examples/kropotkin-meets-lenin.yaml': fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.yaml'), 'utf8') }));
    for (let start = 0; start < text.length; start += 37) {
      for (const change of [{ start, end: start, text: '`' }, { start, end: Math.min(text.length, start + 1), text: '' }, { start, end: start, text: '\n\n' }, { start, end: start, text: '```\n' }]) {
        const newText = applyChange(text, change);
        // An update consumes the index it starts from, so each edit starts from a fresh one.
        const base = buildIndex({ uri: exampleUri, text }, exampleContext);
        assert.deepStrictEqual(exact(updateIndex(base, change, newText)), exact(buildIndex({ uri: exampleUri, version: 1, text: newText }, exampleContext)), `edit ${JSON.stringify(change)}`);
      }
    }
  });

  it('builds the same index in steps, one clean line at a time, as at once', async () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const example = fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.annot.md'), 'utf8');
    let pauses = 0;
    const pause = (): Promise<void> => {
      pauses++;
      return Promise.resolve();
    };
    // A slice of no characters ends at every clean line: as many steps as there can be.
    const stepped = await buildIndexInSteps({ uri, text: example }, context, {}, pause, 0);
    assert.ok(pauses > 20, `the example was built in ${pauses + 1} steps`);
    assert.deepStrictEqual(exact(stepped), exact(buildIndex({ uri, text: example }, context)));
    await fc.assert(
      fc.asyncProperty(markdownish, async (text) => {
        assert.deepStrictEqual(exact(await buildIndexInSteps({ uri, text }, context, {}, pause, 0)), exact(buildIndex({ uri, text }, context)));
      }),
      { numRuns: 1000 },
    );
  });

  it('an index updated once is consumed: updating it again parses afresh, and is still right', () => {
    const text = 'Lenin wrote.\n\nKropotkin answered.\n\nLenin again.\n';
    const first = buildIndex({ uri, text }, context);
    const change = { start: 0, end: 0, text: 'Then ' };
    updateIndex(first, change, applyChange(text, change));
    const other = { start: text.length, end: text.length, text: 'Peter Kropotkin.\n' };
    const again = updateIndex(first, other, applyChange(text, other));
    assert.deepStrictEqual(exact(again), exact(buildIndex({ uri, version: 1, text: applyChange(text, other) }, context)));
  });

  it('falls back to a full parse when the change does not describe the new text', () => {
    const text = 'Lenin wrote.\n\nKropotkin answered.\n';
    const index = buildIndex({ uri, text }, context);
    const newText = 'Lenin wrote.\n\nPeter Kropotkin answered.\n';
    const wrong = updateIndex(index, { start: 0, end: 0, text: 'x' }, newText);
    assert.deepStrictEqual(exact(wrong), exact(buildIndex({ uri, version: 1, text: newText }, context)));
    assert.strictEqual(wrong.mentions[1].text, 'Peter Kropotkin');
  });
});
