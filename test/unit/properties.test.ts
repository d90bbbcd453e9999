import * as assert from 'assert';
import fc from 'fast-check';
import { buildIndex, loadTextContext, parseSidecar, type AnnotationIndex, type Span } from '../../src/core';
import { fileUri, MemoryReader, people } from './helpers';

/** Markdown-ish fragments, so random texts reach the interesting branches. */
const fragment = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom(
    '\n', '\r\n', '\r', '\n\n', '> ', '>', '    ', '\t', '# ', '---', '...', '```', '~~~', '`', '[', ']', '[[', ']]', '|', '(', ')', '{', '}',
    '@', '-@', '@{', '[^', '^[', ']:', '[^1]: ', '* ', '1. ', '<!--', '-->', '<', '>', '$', '\\', '"', '“', '”', '‘', '’', '«', '»', '„',
    'Lenin', 'Peter Kropotkin', 'Ленин', 'Kropotkin’s', '@shub1953', '[@shub1953, p. 3]', 'https://x.org/@a', '\uD800', '\uDC00', '👍', 'e\u0301',
  ),
);
const markdownish = fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(''));

function spansOf(index: AnnotationIndex): Span[] {
  return [
    ...index.headings.map((h) => h.span),
    ...index.quotes.map((q) => q.span),
    ...index.citations.flatMap((c) => [c.span, ...c.items.map((i) => i.keySpan)]),
    ...index.mentions.flatMap((m) => (m.keySpan ? [m.span, m.keySpan] : [m.span])),
    ...index.footnotes.flatMap((f) => [...f.refs, ...f.definitions, ...(f.definitionLabel ? [f.definitionLabel] : [])]),
    ...index.diagnostics.filter((d) => d.uri === index.uri).map((d) => d.span),
  ];
}

describe('properties', () => {
  const reader = new MemoryReader({ 'essay.yaml': people });
  const uri = fileUri('essay.annot.md');
  let context: Awaited<ReturnType<typeof loadTextContext>>;
  before(async () => {
    context = await loadTextContext(uri, '', reader);
  });

  it('never throws, and every range lies inside the text', () => {
    fc.assert(
      fc.property(markdownish, (text) => {
        const index = buildIndex({ uri, text }, context);
        for (const span of spansOf(index)) {
          assert.ok(span.start >= 0 && span.start <= span.end && span.end <= text.length, `span ${JSON.stringify(span)} outside a text of ${text.length}`);
        }
        for (const d of index.diagnostics.filter((x) => x.uri === uri)) {
          assert.ok(d.range.start.line < index.lines.lineCount && d.range.end.line < index.lines.lineCount);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws on arbitrary YAML-ish sidecars', () => {
    const yamlish = fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('people:', 'references:', '\n', '  ', '- ', ': ', 'name: ', 'id: ', '&a ', '*a', '[', '{', '"', '__proto__: ', '!!js ', '\t')), { maxLength: 40 });
    fc.assert(
      fc.property(yamlish, (parts) => {
        const sidecar = parseSidecar(fileUri('s.yaml'), parts.join(''));
        assert.ok(Array.isArray(sidecar.people));
        assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
      }),
      { numRuns: 500 },
    );
  });

  /** A generated annotated text and exactly what it contains. */
  interface Generated {
    text: string;
    citationKeys: string[];
    explicit: string[];
    implicit: string[];
    notes: number;
  }
  const filler = fc.constantFrom('the', 'letter', 'was', 'sent', 'from', 'Dmitrov', 'in', 'May', 'and', 'answered', 'slowly', 'co-operatives');
  const piece = fc.oneof(
    filler.map((w) => ({ text: w, citationKeys: [] as string[], explicit: [] as string[], implicit: [] as string[], notes: 0 })),
    fc.constantFrom('shub1953', 'woodcock1950').map((k) => ({ text: `[@${k}]`, citationKeys: [k], explicit: [], implicit: [], notes: 0 })),
    fc.constantFrom('shub1953', 'woodcock1950').map((k) => ({ text: `@${k}`, citationKeys: [k], explicit: [], implicit: [], notes: 0 })),
    fc.constantFrom('kropotkin', 'lenin').map((k) => ({ text: `[[${k}]]`, citationKeys: [], explicit: [k], implicit: [], notes: 0 })),
    fc.constantFrom(['Lenin', 'lenin'], ['Peter Kropotkin', 'kropotkin'], ['Kropotkin’s', 'kropotkin']).map(([t, k]) => ({ text: t, citationKeys: [], explicit: [], implicit: [k], notes: 0 })),
    fc.constant({ text: '^[a note]', citationKeys: [], explicit: [], implicit: [], notes: 1 }),
  );
  const generated: fc.Arbitrary<Generated> = fc.array(fc.array(piece, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }).map((paragraphs) => {
    const all = paragraphs.flat();
    return {
      text: paragraphs.map((p) => p.map((x) => x.text).join(' ')).join('\n\n') + '\n',
      citationKeys: all.flatMap((x) => x.citationKeys),
      explicit: all.flatMap((x) => x.explicit),
      implicit: all.flatMap((x) => x.implicit),
      notes: all.reduce((n, x) => n + x.notes, 0),
    };
  });

  it('finds exactly what a generated text contains', () => {
    fc.assert(
      fc.property(generated, (g) => {
        const index = buildIndex({ uri, text: g.text }, context);
        // Two in-text keys in a row would be read by Pandoc as one citation with a locator only when bracketed; count items.
        assert.deepStrictEqual(index.citations.flatMap((c) => c.items.map((i) => i.key)), g.citationKeys);
        assert.deepStrictEqual(index.mentions.filter((m) => m.explicit).map((m) => m.person), g.explicit);
        assert.deepStrictEqual(index.mentions.filter((m) => !m.explicit).map((m) => m.person), g.implicit);
        assert.strictEqual(index.footnotes.filter((f) => f.inline).length, g.notes);
        assert.deepStrictEqual(index.diagnostics.filter((d) => d.uri === uri && d.severity === 'error'), []);
      }),
      { numRuns: 400 },
    );
  });
});
