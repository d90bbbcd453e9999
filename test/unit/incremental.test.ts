import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { buildIndex, buildIndexInSteps, indexToJson, loadTextContext, updateIndex, type AnnotationIndex, type Span, type TextChange } from '../../src/core';
import { AnchoredSpan, anchorSpacing } from '../../src/core/anchors';
import { scanOf } from '../../src/core/annotationIndex';
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
  assertAnchored(index);
  return positions({
    json: indexToJson(index),
    headings: index.headings,
    footnotes: index.footnotes,
    quotes: index.quotes,
    citations: index.citations,
    mentions: index.mentions,
    footnoteRefs: index.footnoteRefs,
    diagnostics: index.diagnostics,
    lines: Array.from({ length: index.lines.lineCount }, (_, k) => index.lines.lineStart(k)),
  });
}

/** A copy with each span as a plain `{ start, end }`: where it is, not which anchor it counts from. */
function positions(value: unknown): unknown {
  if (value instanceof AnchoredSpan) return { start: value.start, end: value.end };
  if (Array.isArray(value)) return value.map(positions);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, positions(inner)]));
  return value;
}

/** Every span of the index's lists. */
function spansOf(index: AnnotationIndex): Span[] {
  const scan = scanOf(index);
  return [
    ...index.headings.map((h) => h.span),
    ...index.quotes.map((q) => q.span),
    ...index.citations.flatMap((c) => [c.span, ...c.items.map((item) => item.keySpan)]),
    ...index.mentions.flatMap((m) => (m.keySpan ? [m.span, m.keySpan] : [m.span])),
    ...(scan ? [...scan.noteRefs, ...scan.notes].flatMap((n) => [n.span, n.labelSpan]) : []),
  ];
}

/** The invariant an update relies on: anchors in order, and each span counting from the last anchor at or before its start. */
function assertAnchored(index: AnnotationIndex): void {
  const anchors = scanOf(index)?.anchors ?? [];
  for (let k = 1; k < anchors.length; k++) assert.ok(anchors[k - 1].offset < anchors[k].offset, `anchor ${k} at ${anchors[k].offset} is not after ${anchors[k - 1].offset}`);
  for (const span of spansOf(index)) {
    assert.ok(span instanceof AnchoredSpan, 'a span of the index counts from an anchor');
    const last = anchors.filter((anchor) => anchor.offset <= span.start).pop();
    assert.ok(span.anchor === last, `the span at ${span.start} counts from the anchor at ${span.anchor.offset}, not ${last?.offset}`);
  }
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

  /** Runs `body` with an anchor every few characters, so that the short texts of the properties have many. */
  function withCloseAnchors(body: () => unknown): unknown {
    const spacing = anchorSpacing.chars;
    anchorSpacing.chars = 12;
    try {
      return body();
    } finally {
      anchorSpacing.chars = spacing;
    }
  }

  it('equals a full parse after one random edit', () => {
    withCloseAnchors(() =>
      fc.assert(
        fc.property(markdownish, fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(12), insertion, (text, at, length, inserted) => {
          const change = changeIn(text, at, length, inserted);
          const newText = applyChange(text, change);
          const incremental = updateIndex(buildIndex({ uri, text }, context), change, newText);
          assert.deepStrictEqual(exact(incremental), exact(buildIndex({ uri, version: 1, text: newText }, context)));
        }),
        { numRuns: 3000 },
      ),
    );
  });

  it('equals a full parse after a chain of edits, each applied to the last incremental result', () => {
    const edit = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(6), insertion);
    withCloseAnchors(() =>
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
      ),
    );
  });

  it('moves the spans after an edit with their anchors, and only those of the anchor it ends in one by one', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const example = fs.readFileSync(path.join(root, 'examples/kropotkin-meets-lenin.annot.md'), 'utf8');
    // Past the front matter, which an edit would make parse afresh; the copies have labels of their own, as footnotes must.
    const body = example.slice(example.indexOf('\n#') + 1);
    const text = Array.from({ length: 24 }, (_, copy) => body.replaceAll('[^', `[^c${copy}`)).join('\n');
    const index = buildIndex({ uri, text }, context);
    const at = text.indexOf('\n\n', 200) + 2;
    const before = new Map(spansOf(index).map((span) => [span, { relativeStart: (span as AnchoredSpan).relativeStart, start: span.start }]));
    const change = { start: at, end: at, text: 'Lenin. ' };
    const updated = updateIndex(index, change, applyChange(text, change));
    const kept = new Set(spansOf(updated));
    let after = 0;
    let oneByOne = 0;
    for (const [span, was] of before) {
      if (was.start < at + 200 || !kept.has(span)) continue;
      after++;
      assert.strictEqual(span.start, was.start + change.text.length);
      if ((span as AnchoredSpan).relativeStart !== was.relativeStart) oneByOne++;
    }
    assert.ok(after > 1500, `${after} spans after the edit`);
    assert.ok(oneByOne < 100, `${oneByOne} of the ${after} spans after the edit were moved one by one`);
    assert.deepStrictEqual(exact(updated), exact(buildIndex({ uri, version: 1, text: applyChange(text, change) }, context)));
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

  it('builds a large registry\'s name matcher in steps of its own, once, before the first slice', async () => {
    // Three thousand people with two aliases each: nine thousand names to add.
    const entries = Array.from({ length: 3000 }, (_, n) => `  p${n}:\n    name: Given${n} Family${n}\n    aliases: [Family${n}, G. Family${n}]\n`);
    const sidecar = `people:\n${entries.join('')}`;
    const text = 'Given17 Family17 wrote to Family2999, and G. Family5 replied.\n\nLater Family17 wrote again.\n';
    const contextOf = async (): Promise<Awaited<ReturnType<typeof loadTextContext>>> => loadTextContext(uri, '', new MemoryReader({ 'essay.yaml': sidecar }));
    const [stepped, atOnce] = [await contextOf(), await contextOf()];
    assert.notStrictEqual(stepped.registry, atOnce.registry);
    let pauses = 0;
    const pause = (): Promise<void> => {
      pauses++;
      return Promise.resolve();
    };
    // A slice as long as the text: every pause but the last slice's is the matcher's.
    const first = await buildIndexInSteps({ uri, text }, stepped, {}, pause, text.length);
    assert.ok(pauses >= 4, `the matcher took ${pauses} pauses`);
    assert.deepStrictEqual(exact(first), exact(buildIndex({ uri, text }, atOnce)));
    assert.deepStrictEqual(
      first.mentions.map((m) => m.person),
      ['p17', 'p2999', 'p5', 'p17'],
    );
    pauses = 0;
    await buildIndexInSteps({ uri, text }, stepped, {}, pause, text.length);
    assert.strictEqual(pauses, 0, 'the same registry\'s matcher is built once');
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
