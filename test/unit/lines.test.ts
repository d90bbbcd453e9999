import * as assert from 'assert';
import fc from 'fast-check';
import { mergeRegistrySteps, parseCslJson, ParseCache, parseSidecar, runNow, steppedLoadChars, type Reference, type Scheduler } from '../../src/core';
import { LineMap, LinesLater, lineMapSteps, lineStartsOf, SourceWithLineLater } from '../../src/core/lineMap';
import { fileUri, plainBibliography } from './helpers';

/** Pieces of text with every kind of line break, next to one another too. */
const piece = fc.oneof(fc.constantFrom('\n', '\r', '\r\n', '\n\r', '\r\r\n', 'x', 'ab', 'ć', '𝔄', ' '), fc.string({ maxLength: 5 }));
const text = fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join(''));

function startsOf(map: LineMap): number[] {
  return Array.from({ length: map.lineCount }, (_, line) => map.lineStart(line));
}

function stepsOf<T>(steps: Generator<void, T, void>): { value: T; steps: number } {
  let count = 0;
  for (let next = steps.next(); ; next = steps.next(), count++) if (next.done) return { value: next.value, steps: count };
}

const scheduler: Scheduler = () => new Promise((resolve) => setImmediate(resolve));

describe('lines of a file', () => {
  it('counts the lines of offsets asked for in order as the line map finds them, and asks the map for earlier ones', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), fc.nat(), (source, offsets, earlier) => {
        const map = new LineMap(source);
        const forward = new LineMap(source).forward();
        // Offsets in order, past the end too, then one before the last: it must come from the map.
        const inOrder = offsets.map((o) => o % (source.length + 3)).sort((a, b) => a - b);
        const last = Math.min(inOrder.at(-1) ?? 0, source.length);
        const asked = [...inOrder, earlier % Math.max(1, last)];
        for (const offset of asked) {
          assert.deepStrictEqual(forward.positionAt(offset), map.positionAt(offset), `offset ${offset} of ${JSON.stringify(source)}`);
          assert.strictEqual(forward.lineAt(offset), map.lineAt(offset));
        }
        const spans = asked.slice(0, -1).map((start, k) => ({ start, end: asked[k + 1] ?? start }));
        const ranges = new LineMap(source).forward();
        for (const span of spans.filter((s) => s.start <= s.end)) assert.deepStrictEqual(ranges.rangeOf(span), map.rangeOf(span));
      }),
      { numRuns: 500 },
    );
  });

  it('finds the lines in steps as the map finds them at once, and keeps them if asked for meanwhile', () => {
    fc.assert(
      fc.property(text, (source) => {
        assert.deepStrictEqual(startsOf(runNow(lineMapSteps(source))), [...lineStartsOf(source)]);
      }),
      { numRuns: 300 },
    );
    // Longer than a step, with breaks only near its start, then only near its end.
    for (const source of [`a\nb\r\nc\rd${'x'.repeat(700_000)}`, `${'x'.repeat(700_000)}\ny\r\nz\r`, `\n${'é'.repeat(600_000)}`]) {
      const { value, steps } = stepsOf(lineMapSteps(source));
      assert.ok(steps > 1, 'found in steps');
      assert.deepStrictEqual(startsOf(value), [...lineStartsOf(source)]);
    }
    const source = 'one\ntwo\n'.repeat(100_000);
    const map = new LineMap(source);
    const steps = map.builtSteps();
    steps.next();
    assert.strictEqual(map.isBuilt, false);
    // A position asked for between two steps finds every line at once; the steps then stop there.
    assert.strictEqual(map.lineAt(source.length - 1), 199_999);
    assert.ok(map.isBuilt);
    assert.ok(steps.next().done);
    assert.strictEqual(map.lineCount, 200_001);
  });

  it('gives a large CSL-JSON library read in steps its lines and ranges without finding all its lines', async () => {
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `lib${n}`, title: `Item ${n}`, author: [{ family: `Family${n}`, given: 'Given' }] }));
    // An item without an id, and one said twice, for diagnostics; line breaks of Windows, and a lone CR inside the file.
    const withProblems = [...items.slice(0, 1500), { title: 'No id' }, items[7], ...items.slice(1500)];
    const libraryText = JSON.stringify(withProblems, null, 2).replace(/\n/g, '\r\n').replace('"Item 2000"', '"Item\\r2000"').replace('},\r\n  {\r\n    "id": "lib2001"', '},\r  {\r\n    "id": "lib2001"');
    assert.ok(libraryText.length > steppedLoadChars && libraryText.includes('},\r  {'));
    const uri = fileUri('library.json');
    const cache = new ParseCache();
    const library = await cache.bibliographyInSteps(uri, libraryText, scheduler);
    assert.strictEqual(cache.lineMaps.get(uri)?.isBuilt, false, 'the library’s own line map is not made');
    const map = new LineMap(libraryText);
    assert.strictEqual(library.references.length, 3000);
    for (const reference of library.references) {
      assert.strictEqual(libraryText.slice(reference.source.span.start, reference.source.span.end), reference.id);
      assert.strictEqual(reference.source.line, map.lineAt(reference.source.span.start), reference.id);
    }
    assert.deepStrictEqual(
      library.diagnostics.map((d) => [d.code, d.range]),
      library.diagnostics.map((d) => [d.code, map.rangeOf(d.span)]),
    );
    assert.strictEqual(library.diagnostics.length, 2);
    assert.deepStrictEqual(plainBibliography(library), parseCslJson(uri, libraryText));

    // A reference the sidecar defines too is reported at the library's line, read from the line the reference was found on:
    // the library's lines are not found for it, unless its line is not one a range can be read from.
    const sidecarUri = fileUri('essay.yaml');
    const sidecar = parseSidecar(sidecarUri, 'references:\n  - id: lib2999\n    title: Defined here first\n  - id: lib2001\n    title: After a lone CR\n');
    const merged = stepsOf(mergeRegistrySteps([sidecar, library], cache.lineMaps));
    assert.strictEqual(cache.lineMaps.get(uri)?.isBuilt, false);
    for (const id of ['lib2999', 'lib2001']) {
      const later = merged.value.diagnostics.find((d) => d.message.startsWith(`Reference "${id}" is already defined`));
      assert.deepStrictEqual(later?.range, map.rangeOf((library.references.find((r) => r.id === id) as Reference).source.span), id);
    }
    // A long line: the lines are found, in steps.
    const long = `[${' '.repeat(5000)}{"id": "far", "title": "On a long line"}]`;
    const farUri = fileUri('far.json');
    const far = await cache.bibliographyInSteps(farUri, long, scheduler);
    const withFar = stepsOf(mergeRegistrySteps([parseSidecar(sidecarUri, 'references:\n  - id: far\n'), far], cache.lineMaps));
    assert.ok(cache.lineMaps.get(farUri)?.isBuilt);
    assert.deepStrictEqual(withFar.value.diagnostics.find((d) => d.code === 'duplicate-key')?.range, new LineMap(long).rangeOf(far.references[0].source.span));
  });

  it('counts the lines of spans when first asked for, in any order, as the line map finds them, without finding all the lines when the spans come in order', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), fc.nat(), fc.boolean(), (source, offsets, seed, oneEarlier) => {
        const map = new LineMap(source);
        const own = new LineMap(source);
        const lines = new LinesLater(own.forward());
        const starts = offsets.map((o) => o % (source.length + 1)).sort((a, b) => a - b);
        // A span out of order, as when a library's id is found before the one before it: the map answers for it.
        if (oneEarlier && starts.length > 1) starts.push(starts[0]);
        const sources = starts.map((start) => new SourceWithLineLater('file:///f.json', { start, end: start }, lines));
        // Asked for in an order of their own.
        const order = sources.map((_, k) => k).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101) || a - b);
        for (const k of order) {
          assert.strictEqual(sources[k].line, map.lineAt(starts[k]), `span ${k} at ${starts[k]} of ${JSON.stringify(source)}`);
          assert.deepStrictEqual(JSON.parse(JSON.stringify(sources[k])), { uri: 'file:///f.json', span: { start: starts[k], end: starts[k] }, line: map.lineAt(starts[k]) });
        }
        if (!oneEarlier) assert.strictEqual(own.isBuilt, false, 'the lines of the file are not all found');
      }),
      { numRuns: 500 },
    );
  });

  it('counts a large CSL-JSON library’s lines when a reference’s is first asked for, from the last to the first, without finding all its lines', async () => {
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `lib${n}`, title: `Item ${n}`, author: [{ family: `Family${n}`, given: 'Given' }] }));
    const libraryText = JSON.stringify(items, null, 2).replace(/\n/g, '\r\n');
    assert.ok(libraryText.length > steppedLoadChars);
    const uri = fileUri('library.json');
    const cache = new ParseCache();
    const library = await cache.bibliographyInSteps(uri, libraryText, scheduler);
    const map = new LineMap(libraryText);
    for (const reference of [...library.references].reverse()) assert.strictEqual(reference.source.line, map.lineAt(reference.source.span.start), reference.id);
    assert.strictEqual(cache.lineMaps.get(uri)?.isBuilt, false, 'the library’s own line map is not made');
    assert.strictEqual(JSON.stringify(library.references[1].source), JSON.stringify({ uri, span: library.references[1].source.span, line: 12 }));
  });

  it('reads the range of a short span on one line from the characters before it, as the line map gives it', () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.nat({ max: 6 }), (source, at, length) => {
        const start = at % (source.length + 1);
        const span = { start, end: Math.min(source.length, start + length) };
        const map = new LineMap(source);
        const range = new LineMap(source).rangeOnLine(span, map.lineAt(span.start));
        const breaks = /[\r\n]/.test(source.slice(span.start, span.end));
        assert.strictEqual(range === undefined, breaks, JSON.stringify({ source, span }));
        if (range) assert.deepStrictEqual(range, map.rangeOf(span), JSON.stringify({ source, span }));
        // Once the lines are found, they give the range.
        assert.strictEqual(map.rangeOnLine(span, 0), undefined);
      }),
      { numRuns: 1000 },
    );
  });
});
