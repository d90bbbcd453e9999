import { Anchor, anchorsBefore, type AnchoredSpan } from './anchors';
import { assembleIndex, buildIndex, lowerBound, releaseScan, scanOf, scanRegion, type AnnotationIndex, type NoteEntry, type NoteReference, type PairedFootnotes, type PositionedLists, type ScannedRegion, type TextScan } from './annotationIndex';
import { firstStartingFrom } from './bounds';
import { LineMap } from './lineMap';
import type { Citation, CitationItem, Footnote, Heading, Mention, Quote, Span } from './types';
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
 *
 * `previous` is consumed: to keep a keystroke in a whole book within a
 * millisecond, its lists and the spans in them are reused rather than copied,
 * and the spans after the edit move with their anchors (see `SpanMaker`), so
 * it must not be read afterwards. Updating it a second time falls back to a
 * full parse.
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
  const restartAt = upperBound(oldClean, change.start) - 1;
  if (restartAt < 0) return fullParse(previous, newText, version, scan);
  const restart = oldClean[restartAt];
  const editedEnd = change.start + change.text.length;
  const registry = previous.registry;
  const middleClean: number[] = [];
  const middle = scanRegion(newText, restart, registry, scan.implicitMentions, {
    cleanPoints: middleClean,
    stopAt: (lineStart) => lineStart >= editedEnd && lineStart - delta > change.end && isMember(oldClean, lineStart - delta),
  });
  // Old offsets from here on are the same text as new offsets `+ delta`.
  const resumeOld = middle.end === newText.length ? previous.text.length + 1 : middle.end - delta;
  releaseScan(previous);

  // Each list: the stretch the scan covered is replaced. What follows counts from the anchors after the stretch,
  // which move as wholes below, except for the spans of the one anchor the stretch ends inside: those move to an
  // anchor of their own one by one, a few hundred at most. The loops are written out rather than shared through
  // a callback, which would make each call megamorphic. Lists that share objects with others are cut before
  // anything moves, while all offsets are still old ones.
  const anchors = scan.anchors;
  const anchorsKept = anchorsBefore(anchors, restart);
  const anchorsMoved = anchorsBefore(anchors, resumeOld);
  const endsInside = anchorsMoved > 0 ? anchors[anchorsMoved - 1] : null;
  const tail = new Anchor(resumeOld + delta);
  let tailUsed = false;
  /** Moves a span of `endsInside` that starts after the stretch to `tail`; false for a span of a later anchor. */
  const carry = (span: Span): boolean => {
    const anchored = span as AnchoredSpan;
    if (anchored.anchor !== endsInside) return false;
    anchored.moveTo(tail, delta);
    tailUsed = true;
    return true;
  };

  const unknownCitations = scan.unknownCitations;
  splice(unknownCitations, keyBound(unknownCitations, restart), keyBound(unknownCitations, resumeOld), middle.unknownCitations);
  const unknownPeople = scan.unknownPeople;
  splice(unknownPeople, lowerBound(unknownPeople, restart), lowerBound(unknownPeople, resumeOld), middle.unknownPeople);
  const footnotesKept = carryNotesOver(scan, middle, restart, resumeOld);

  const citations = previous.citations as Citation[];
  const citationsFrom = lowerBound(citations, restart);
  const citationsTo = lowerBound(citations, resumeOld);
  // Quotes point at citations by place: those after the edit move by as many places as citations were added.
  const placeShift = middle.citations.length - (citationsTo - citationsFrom);
  splice(citations, citationsFrom, citationsTo, middle.citations);
  for (let k = citationsFrom + middle.citations.length; k < citations.length; k++) {
    const citation = citations[k];
    if (!carry(citation.span)) break;
    for (const item of citation.items) carry(item.keySpan);
  }

  const quotes = previous.quotes as Quote[];
  for (const quote of middle.quotes) shiftPlaces(quote.citations, citationsFrom);
  const quotesFrom = lowerBound(quotes, restart);
  splice(quotes, quotesFrom, lowerBound(quotes, resumeOld), middle.quotes);
  for (let k = quotesFrom + middle.quotes.length; k < quotes.length && carry(quotes[k].span); k++);
  if (placeShift !== 0) for (let k = quotesFrom + middle.quotes.length; k < quotes.length; k++) shiftPlaces(quotes[k].citations, placeShift);

  const mentions = previous.mentions as Mention[];
  const mentionsFrom = lowerBound(mentions, restart);
  splice(mentions, mentionsFrom, lowerBound(mentions, resumeOld), middle.mentions);
  for (let k = mentionsFrom + middle.mentions.length; k < mentions.length; k++) {
    const mention = mentions[k];
    if (!carry(mention.span)) break;
    if (mention.keySpan) carry(mention.keySpan);
  }

  const headings = previous.headings as Heading[];
  const headingsFrom = lowerBound(headings, restart);
  splice(headings, headingsFrom, lowerBound(headings, resumeOld), middle.headings);
  for (let k = headingsFrom + middle.headings.length; k < headings.length && carry(headings[k].span); k++);

  const noteRefs = scan.noteRefs;
  const noteRefsFrom = lowerBound(noteRefs, restart);
  if (!footnotesKept) splice(noteRefs, noteRefsFrom, lowerBound(noteRefs, resumeOld), middle.noteRefs);
  for (let k = noteRefsFrom + middle.noteRefs.length; k < noteRefs.length && carry(noteRefs[k].span); k++) carry(noteRefs[k].labelSpan);

  const notes = scan.notes;
  const notesFrom = lowerBound(notes, restart);
  if (!footnotesKept) splice(notes, notesFrom, lowerBound(notes, resumeOld), middle.notes);
  for (let k = notesFrom + middle.notes.length; k < notes.length && carry(notes[k].span); k++) carry(notes[k].labelSpan);

  // Anchors before the stretch stay, those inside it give way to the stretch's own, and those after it move.
  const anchorsIn = tailUsed ? [...middle.anchors, tail] : middle.anchors;
  splice(anchors, anchorsKept, anchorsMoved, anchorsIn);
  for (let k = anchorsKept + anchorsIn.length; k < anchors.length; k++) anchors[k].offset += delta;

  const cleanFrom = restartAt;
  const cleanTo = upperBound(oldClean, resumeOld - 1);
  splice(oldClean, cleanFrom, cleanTo, middleClean);
  for (let k = cleanFrom + middleClean.length; k < oldClean.length; k++) oldClean[k] += delta;

  const lists: PositionedLists = { headings, citations, mentions, quotes };
  const lines = LineMap.afterEdit(previous.lines, change.start, change.end, change.text.length, newText);
  const paired = footnotesKept ? { footnotes: previous.footnotes as Footnote[], footnoteRefs: previous.footnoteRefs as PairedFootnotes['footnoteRefs'] } : undefined;
  return assembleIndex({ uri: previous.uri, version, text: newText }, lines, previous.frontMatter, scan, lists, registry, previous.sidecars, paired);
}

/**
 * When the re-scanned stretch holds the same notes and references as before,
 * in the same order and with the same texts (as when typing in a paragraph),
 * the pairing of footnotes cannot change: the old entries are kept, so the
 * footnotes that point at them stay right, and they take the new positions.
 * Otherwise the footnotes are paired afresh. Called before anything is shifted.
 */
function carryNotesOver(scan: TextScan, middle: ScannedRegion, restart: number, resumeOld: number): boolean {
  const refsFrom = lowerBound(scan.noteRefs, restart);
  const refsTo = lowerBound(scan.noteRefs, resumeOld);
  const notesFrom = lowerBound(scan.notes, restart);
  const notesTo = lowerBound(scan.notes, resumeOld);
  if (refsTo - refsFrom !== middle.noteRefs.length || notesTo - notesFrom !== middle.notes.length) return false;
  // References and definitions must also interleave as before, since footnotes are numbered by first appearance.
  const order = (refs: readonly NoteReference[], notes: readonly NoteEntry[]): string => {
    const all = [...refs.map((r) => ({ at: r.span.start, key: `r${r.label ?? ''}\u0000${r.text}` })), ...notes.map((n) => ({ at: n.span.start, key: `d${n.label}\u0000${n.text}` }))];
    return all
      .sort((a, b) => a.at - b.at)
      .map((x) => x.key)
      .join('\u0001');
  };
  if (order(scan.noteRefs.slice(refsFrom, refsTo), scan.notes.slice(notesFrom, notesTo)) !== order(middle.noteRefs, middle.notes)) return false;
  for (let k = 0; k < middle.noteRefs.length; k++) {
    const kept = scan.noteRefs[refsFrom + k];
    copySpan(kept.span, middle.noteRefs[k].span);
    copySpan(kept.labelSpan, middle.noteRefs[k].labelSpan);
  }
  for (let k = 0; k < middle.notes.length; k++) {
    const kept = scan.notes[notesFrom + k];
    copySpan(kept.span, middle.notes[k].span);
    copySpan(kept.labelSpan, middle.notes[k].labelSpan);
  }
  return true;
}

function copySpan(target: Span, source: Span): void {
  (target as AnchoredSpan).copyFrom(source as AnchoredSpan);
}

/** The first citation item whose key starts at or after `offset`. */
function keyBound(list: readonly CitationItem[], offset: number): number {
  return firstStartingFrom(list, offset, (item) => item.keySpan.start);
}

/**
 * Whether `updateIndex` can take this edit without a full parse: the index
 * keeps what it needs, and the edit leaves the front matter alone, so the
 * sidecars and bibliographies it names stay the same.
 */
export function updatesInPlace(previous: AnnotationIndex, change: TextChange): boolean {
  const scan = scanOf(previous);
  return scan !== undefined && change.start >= scan.safeFrom;
}

function shiftPlaces(places: readonly number[], by: number): void {
  const mutable = places as number[];
  for (let k = 0; k < mutable.length; k++) mutable[k] += by;
}

/** `list.splice(from, to - from, ...replacement)`, without passing a long replacement as arguments, which overflows the stack. */
function splice<T>(list: T[], from: number, to: number, replacement: readonly T[]): void {
  if (replacement.length === to - from) {
    for (let k = 0; k < replacement.length; k++) list[from + k] = replacement[k];
  } else if (replacement.length < 1000) {
    list.splice(from, to - from, ...replacement);
  } else {
    const tail = list.slice(to);
    list.length = from;
    for (const item of replacement) list.push(item);
    for (const item of tail) list.push(item);
  }
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

function isMember(list: readonly number[], value: number): boolean {
  const at = upperBound(list, value - 1);
  return at < list.length && list[at] === value;
}


