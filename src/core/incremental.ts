import { assembleIndex, buildIndex, scanOf, scanRegion, type AnnotationIndex, type TextScan } from './annotationIndex';
import type { BlockQuoteBlock, NoteDefinitionBlock } from './blocks';
import type { FoundCitation, FoundMention, FoundQuote, InlineSink } from './inline';
import { LineMap } from './lineMap';
import type { Heading, Span } from './types';
import type { TextContext } from './workspace';

/** One edit, as VS Code reports it: `[start, end)` of the previous text replaced by `text`. */
export interface TextChange {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * The index of `newText`, which is `previous.text` with `change` applied. Only
 * the blocks the edit touches are scanned again: the scan restarts at the last
 * line before the edit where the block scanner held no state, and stops at the
 * first line after it where the scanner is again stateless and was so in the
 * previous scan, since from there on text and state agree. An edit that opens
 * a code fence re-scans to the end; one near the front matter parses afresh.
 * The result equals `buildIndex(newText)` with the same context.
 */
export function updateIndex(previous: AnnotationIndex, change: TextChange, newText: string, options: { version?: number } = {}): AnnotationIndex {
  const version = options.version ?? previous.version + 1;
  const scan = scanOf(previous);
  const delta = change.text.length - (change.end - change.start);
  const consistent =
    change.start >= 0 && change.start <= change.end && change.end <= previous.text.length && newText.length === previous.text.length + delta && newText.startsWith(change.text, change.start);
  if (!scan || !consistent || change.start < scan.safeFrom) return fullParse(previous, newText, version, scan);

  const oldClean = scan.cleanPoints;
  // The last clean line start at or before the edit: the text before it is unchanged, so the state there is too.
  const restart = oldClean[upperBound(oldClean, change.start) - 1];
  if (restart === undefined) return fullParse(previous, newText, version, scan);
  const editedEnd = change.start + change.text.length;
  const registry = previous.registry;
  const middleClean: number[] = [];
  const middle = scanRegion(newText, restart, registry, scan.implicitMentions, {
    cleanPoints: middleClean,
    stopAt: (lineStart) => lineStart >= editedEnd && lineStart - delta > change.end && isMember(oldClean, lineStart - delta),
  });
  const resumeOld = middle.end === newText.length ? previous.text.length + 1 : middle.end - delta;

  const before = <T extends { span: Span }>(list: readonly T[]): T[] => list.filter((x) => x.span.start < restart);
  const after = <T extends { span: Span }>(list: readonly T[]): T[] => list.filter((x) => x.span.start >= resumeOld);
  const shiftSpan = (span: Span): Span => ({ start: span.start + delta, end: span.end + delta });
  const shiftSpans = (spans: readonly Span[]): Span[] => spans.map(shiftSpan);

  const old = scan.sink;
  const citationsBefore = before(old.citations);
  const citationsAfter = after(old.citations);
  const oldAfterFrom = old.citations.length - citationsAfter.length;
  const newAfterFrom = citationsBefore.length + middle.sink.citations.length;
  const sink: InlineSink = {
    citations: [
      ...citationsBefore,
      ...middle.sink.citations,
      ...citationsAfter.map((c): FoundCitation => ({ span: shiftSpan(c.span), inText: c.inText, items: c.items.map((it) => ({ ...it, keySpan: shiftSpan(it.keySpan) })) })),
    ],
    mentions: [...before(old.mentions), ...middle.sink.mentions, ...after(old.mentions).map((m): FoundMention => ({ ...m, span: shiftSpan(m.span), keySpan: m.keySpan ? shiftSpan(m.keySpan) : null }))],
    // Quotes point at citations by their place in the list, which moves with the lists before them.
    quotes: [
      ...before(old.quotes),
      ...middle.sink.quotes.map((q): FoundQuote => ({ ...q, citations: q.citations.map((c) => c + citationsBefore.length) })),
      ...after(old.quotes).map((q): FoundQuote => ({ ...q, span: shiftSpan(q.span), citations: q.citations.map((c) => c - oldAfterFrom + newAfterFrom) })),
    ],
    noteRefs: [...before(old.noteRefs), ...middle.sink.noteRefs, ...after(old.noteRefs).map((r) => ({ label: r.label, span: shiftSpan(r.span), labelSpan: shiftSpan(r.labelSpan) }))],
    inlineNotes: [...before(old.inlineNotes), ...middle.sink.inlineNotes, ...after(old.inlineNotes).map((n) => ({ span: shiftSpan(n.span), text: n.text }))],
  };

  const quotesBefore = scan.blockQuotes.filter((q) => q.start < restart);
  const quotesAfter = scan.blockQuotes.filter((q) => q.start >= resumeOld);
  const quoteIndexShift = quotesBefore.length + middle.blockQuotes.length - (scan.blockQuotes.length - quotesAfter.length);
  const blockQuotes: BlockQuoteBlock[] = [
    ...quotesBefore,
    ...middle.blockQuotes.map((q) => ({ ...q, parent: q.parent >= 0 ? q.parent + quotesBefore.length : -1 })),
    ...quotesAfter.map((q) => ({ start: q.start + delta, end: q.end + delta, lines: shiftSpans(q.lines), parent: q.parent >= 0 ? q.parent + quoteIndexShift : -1 })),
  ];
  const notes: NoteDefinitionBlock[] = [
    ...scan.notes.filter((n) => n.start < restart),
    ...middle.notes,
    ...scan.notes.filter((n) => n.start >= resumeOld).map((n) => ({ label: n.label, labelSpan: shiftSpan(n.labelSpan), start: n.start + delta, end: n.end + delta, lines: shiftSpans(n.lines) })),
  ];
  const headings: Heading[] = [...before(scan.headings), ...middle.headings, ...after(scan.headings).map((h) => ({ level: h.level, text: h.text, span: shiftSpan(h.span) }))];
  const cleanPoints = [...oldClean.slice(0, upperBound(oldClean, restart - 1)), ...middleClean];
  for (let k = lowerBoundOf(oldClean, resumeOld); k < oldClean.length; k++) cleanPoints.push(oldClean[k] + delta);

  const updated: TextScan = { ...scan, cleanPoints, headings, blockQuotes, notes, sink };
  const lines = LineMap.afterEdit(previous.lines, change.start, change.end, change.text.length, newText);
  return assembleIndex({ uri: previous.uri, version, text: newText }, lines, previous.frontMatter, updated, registry, previous.sidecars);
}

function fullParse(previous: AnnotationIndex, text: string, version: number, scan: TextScan | undefined): AnnotationIndex {
  const context: TextContext = { registry: previous.registry, sidecars: previous.sidecars, bibliographies: [], diagnostics: scan?.contextDiagnostics ?? [] };
  return buildIndex({ uri: previous.uri, version, text }, context, { implicitMentions: scan?.implicitMentions ?? true });
}

/** The number of elements at or below `value` in a sorted list. */
function upperBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The number of elements below `value` in a sorted list. */
function lowerBoundOf(list: readonly number[], value: number): number {
  return upperBound(list, value - 1);
}

function isMember(list: readonly number[], value: number): boolean {
  const at = lowerBoundOf(list, value);
  return at < list.length && list[at] === value;
}
