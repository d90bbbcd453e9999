import { SpanMaker, type Anchor } from './anchors';
import { scanBlocks, type ScanControl } from './blocks';
import { firstStartingFrom } from './bounds';
import { DiagnosticBuilder } from './diagnostics';
import { scanFrontMatter } from './frontMatter';
import { InlineScanner, joinedBlockSource, newSink, type NoteReference } from './inline';
import { IntList } from './intList';
import { LineMap, lineStartsOf } from './lineMap';
import type { Registry } from './model';
import { nameMatcherFor, nameMatcherSteps } from './names';
import { emptyRegistry } from './registry';
import type { Scheduler } from './steps';
import type { TextContext } from './workspace';
import { DiagnosticCode, type Citation, type CitationItem, type Diagnostic, type Footnote, type FrontMatter, type Heading, type Mention, type Quote, type Span } from './types';

export type { NoteReference } from './inline';

export interface IndexOptions {
  /** Match people's names and aliases in running text (default true). */
  readonly implicitMentions?: boolean;
}

/** Everything the features need about one version of one text, computed in one parse. */
export interface AnnotationIndex {
  readonly uri: string;
  readonly version: number;
  readonly text: string;
  readonly lines: LineMap;
  readonly frontMatter: FrontMatter | null;
  readonly headings: readonly Heading[];
  readonly footnotes: readonly Footnote[];
  readonly quotes: readonly Quote[];
  /** In order of position. */
  readonly citations: readonly Citation[];
  /** In order of position. */
  readonly mentions: readonly Mention[];
  /** Every footnote reference in order of position, with the index of its footnote. */
  readonly footnoteRefs: readonly { readonly span: Span; readonly labelSpan: Span; readonly footnote: number }[];
  /** The text's own diagnostics, then those of its sidecars and bibliographies. */
  readonly diagnostics: readonly Diagnostic[];
  readonly registry: Registry;
  readonly sidecars: readonly string[];
}

export interface TextSource {
  readonly uri: string;
  readonly version?: number;
  readonly text: string;
}

function byStart(a: { span: Span }, b: { span: Span }): number {
  return a.span.start - b.span.start || b.span.end - a.span.end;
}

/** The text of a container's lines (start and end offsets, pair after pair), without blank lines at either end or doubled inside. */
function noteText(text: string, lines: readonly number[]): string {
  const out: string[] = [];
  for (let k = 0; k < lines.length; k += 2) {
    // Trimmed at its end, a line is blank only if nothing is left: no second trim to tell.
    const content = text.slice(lines[k], lines[k + 1]).trimEnd();
    if (content === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(content);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

/** A note definition `[^label]: …`, with its text read once when it is scanned. */
export interface NoteEntry {
  readonly label: string;
  readonly labelSpan: Span;
  /** The whole definition block; footnotes share this object. */
  readonly span: Span;
  readonly text: string;
}

/**
 * What an index keeps beyond its public lists, so that an edit re-scans only
 * the blocks it touches (see `updateIndex`). Every list is in order of position.
 */
export interface TextScan {
  readonly bodyStart: number;
  /** Edits before this offset may change the front matter: they need a full parse. */
  readonly safeFrom: number;
  readonly unclosed: Span | null;
  /** Line starts where the block scanner holds no state, in order. */
  readonly cleanPoints: number[];
  /** What the spans of every list count from, in order (see `SpanMaker`). */
  readonly anchors: Anchor[];
  readonly notes: NoteEntry[];
  readonly noteRefs: NoteReference[];
  /** Citation items whose key the registry lacks, and explicit mentions of unknown people: found once, when scanned. */
  readonly unknownCitations: CitationItem[];
  readonly unknownPeople: Mention[];
  /** What pairing the footnotes found wrong, pointing at spans of `notes` and `noteRefs`. */
  readonly footnoteProblems: FootnoteProblem[];
  readonly implicitMentions: boolean;
  readonly contextDiagnostics: readonly Diagnostic[];
}

export interface FootnoteProblem {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly span: Span;
}

const scans = new WeakMap<AnnotationIndex, TextScan>();

/** The scan an index was assembled from, for incremental updates. */
export function scanOf(index: AnnotationIndex): TextScan | undefined {
  return scans.get(index);
}

/** Marks an index as consumed by an update: its storage now belongs to its successor. */
export function releaseScan(index: AnnotationIndex): void {
  scans.delete(index);
}

/** What one stretch of blocks holds, each list in order of position. */
export interface ScannedRegion {
  readonly headings: Heading[];
  readonly citations: Citation[];
  readonly mentions: Mention[];
  /** Their `citations` index this region's `citations`. */
  readonly quotes: Quote[];
  readonly notes: NoteEntry[];
  readonly noteRefs: NoteReference[];
  readonly unknownCitations: CitationItem[];
  readonly unknownPeople: Mention[];
  /** What the region's spans count from, the first at where it starts. */
  readonly anchors: Anchor[];
  /** Where the scan ended: the text's length, or the clean line where it was told to stop. */
  readonly end: number;
}

/** Scans the blocks of `text` from `from` (a clean point) and reads their inline content. */
export function scanRegion(text: string, from: number, registry: Registry, implicitMentions: boolean, control: ScanControl): ScannedRegion {
  const sink = newSink();
  const matcher = nameMatcherFor(registry, implicitMentions);
  const spans = new SpanMaker(from);
  const scanner = new InlineScanner(sink, matcher, registry.people, registry.references, spans);
  const headings: Heading[] = [];
  const scan = scanBlocks(
    text,
    from,
    (block) => {
      if (block.lineCount === 0) return;
      const segments = block.segments;
      // Most blocks are one stretch of the text: no object to describe them.
      const joined = segments === null ? null : joinedBlockSource(text, segments);
      const src = joined === null ? text.slice(block.start, block.end) : joined.src;
      if (block.kind === 'heading') headings.push({ level: block.level, text: src.trim(), span: spans.of(block.span) });
      if (joined === null) scanner.scanBlock(src, block.start, null);
      else scanner.scanBlock(src, joined.base, joined.map);
    },
    control,
  );

  // Citations in order of position; quotes refer to them by that order. Each list's order was
  // watched as it was found (see `SpanOrder`): they are in order but for rare nestings, and a
  // pass to check would read every item again.
  const found = sink.citations;
  let citations: Citation[] = found;
  let placeOf: Int32Array | null = null;
  if (!sink.citationOrder.inOrder) {
    const order = found.map((_, i) => i).sort((a, b) => byStart(found[a], found[b]));
    placeOf = new Int32Array(order.length);
    order.forEach((old, place) => ((placeOf as Int32Array)[old] = place));
    citations = order.map((i) => found[i]);
  }

  const blockQuotes: Quote[] = [];
  const blockBounds: number[] = [];
  for (const block of scan.quotes) {
    const span = spans.span(block.start, block.end);
    const inside: number[] = [];
    for (let c = lowerBound(citations, span.start); c < citations.length && citations[c].span.start < span.end; c++) inside.push(c);
    blockQuotes.push({ kind: 'block', text: noteText(text, block.lines), span, citations: inside });
    blockBounds.push(block.start, block.end);
  }
  const inlineQuotes = sink.quotes;
  if (placeOf) {
    for (const quote of inlineQuotes) {
      const cited = quote.citations;
      for (let k = 0; k < cited.length; k++) cited[k] = placeOf[cited[k]];
      cited.sort((a, b) => a - b);
    }
  }
  const quotes = mergeByBounds<Quote>(blockQuotes, blockBounds, inlineQuotes, sink.quoteBounds);

  const mentions: Mention[] = sink.mentions;
  const mentionsInOrder = sink.mentionOrder.inOrder;
  if (!mentionsInOrder) mentions.sort(byStart);

  const notes: NoteEntry[] = scan.notes.map((n) => ({ label: n.label, labelSpan: spans.of(n.labelSpan), span: spans.span(n.start, n.end), text: noteText(text, n.lines) }));
  let noteRefs = sink.noteRefs;
  // Out of order, they are sorted as they always were: references first, then inline notes.
  if (!sink.noteRefOrder.inOrder) noteRefs = [...noteRefs.filter((r) => r.label !== null), ...noteRefs.filter((r) => r.label === null)].sort(byStart);
  // Found with their citations and mentions, in the order found: that of position unless those were out of order.
  const unknownCitations = sink.unknownCitations;
  if (!unknownCitations.every((item, k) => k === 0 || unknownCitations[k - 1].keySpan.start <= item.keySpan.start)) unknownCitations.sort((a, b) => a.keySpan.start - b.keySpan.start);
  const unknownPeople = sink.unknownPeople;
  if (!mentionsInOrder) unknownPeople.sort(byStart);
  return { headings, citations, mentions, quotes, notes, noteRefs, unknownCitations, unknownPeople, anchors: spans.anchors, end: scan.end };
}

/**
 * Two lists' items in `byStart` order, those of `first` before those of `second` where they
 * tie: what a stable sort of the two joined would give. Each list comes with its items' starts
 * and ends, pair after pair, which are compared instead of the items' spans: lists in order
 * already merge without reading their items, and others sort on plain numbers.
 */
function mergeByBounds<T>(first: T[], firstBounds: readonly number[], second: T[], secondBounds: readonly number[]): T[] {
  if (!boundsInOrder(firstBounds) || !boundsInOrder(secondBounds)) {
    const items = [...first, ...second];
    const bounds = [...firstBounds, ...secondBounds];
    // The sort is stable: items that tie keep their places, as `byStart` would leave them.
    const order = items.map((_, i) => i).sort((a, b) => bounds[2 * a] - bounds[2 * b] || bounds[2 * b + 1] - bounds[2 * a + 1]);
    return order.map((i) => items[i]);
  }
  if (first.length === 0) return second;
  const merged: T[] = [];
  let a = 0;
  let b = 0;
  while (a < first.length && b < second.length) {
    const startA = firstBounds[2 * a];
    const startB = secondBounds[2 * b];
    merged.push(startA < startB || (startA === startB && firstBounds[2 * a + 1] >= secondBounds[2 * b + 1]) ? first[a++] : second[b++]);
  }
  while (a < first.length) merged.push(first[a++]);
  while (b < second.length) merged.push(second[b++]);
  return merged;
}

/** Are spans given by start and end, pair after pair, in `byStart` order? */
function boundsInOrder(bounds: readonly number[]): boolean {
  for (let k = 2; k < bounds.length; k += 2) if (bounds[k] < bounds[k - 2] || (bounds[k] === bounds[k - 2] && bounds[k + 1] > bounds[k - 1])) return false;
  return true;
}

/** Where edits stop being able to change what counts as front matter. */
function frontMatterSafeFrom(bodyStart: number, lines: LineMap): number {
  // With front matter, the body starts after its closing line; without, the first two lines decide.
  if (bodyStart > 0) return bodyStart + 1;
  return lines.lineCount > 2 ? lines.lineStart(2) + 1 : Infinity;
}

/** Parses a text with the people and references of its context into one index. */
export function buildIndex(source: TextSource, context?: TextContext, options: IndexOptions = {}): AnnotationIndex {
  const build = new IndexBuild(source, context, options);
  build.scanTo(Infinity);
  return build.finish();
}

/**
 * `buildIndex`, in slices with a `pause` between them, so that indexing a whole
 * book never holds up an editor's other work for long. Each slice ends at the
 * first line past `sliceChars` characters where the block scanner holds no
 * state, and the next starts there afresh, as an update does: the result is
 * the same. Slices are measured in characters, not time, because a region's
 * blocks are all found before their inline content is read: a clock read by
 * the block scanner would let it take on far more than the slice can read.
 */
export async function buildIndexInSteps(source: TextSource, context: TextContext | undefined, options: IndexOptions, pause: Scheduler, sliceChars = defaultSliceChars): Promise<AnnotationIndex> {
  // A new registry's name matcher first, in steps of its own: the first slice would otherwise build it whole.
  const matcher = nameMatcherSteps(context?.registry ?? emptyRegistry, options.implicitMentions !== false);
  while (!matcher.next().done) await pause();
  const build = new IndexBuild(source, context, options);
  while (!build.scanTo(sliceChars)) await pause();
  return build.finish();
}

/** About 8 ms of indexing on a quiet machine, at some 60 ns a character. */
const defaultSliceChars = 1 << 17;

/** One index being built, region after region. */
class IndexBuild {
  private readonly registry: Registry;
  /** The front matter's line starts, then those the block scan finds. */
  private readonly lineStarts = new IntList();
  private readonly frontMatter: FrontMatter | null;
  private readonly bodyStart: number;
  private readonly unclosed: Span | null;
  private readonly implicitMentions: boolean;
  private readonly cleanPoints: number[] = [];
  /** The lists of the regions read so far: the first region's own, with each later one's appended as it is read. */
  private lists: ScannedRegion | null = null;
  private next: number;

  constructor(
    private readonly source: TextSource,
    private readonly context: TextContext | undefined,
    options: IndexOptions,
  ) {
    const { text } = source;
    this.registry = context?.registry ?? emptyRegistry;
    const { frontMatter, unclosed, bodyStart } = scanFrontMatter(text);
    for (const start of lineStartsOf(text.slice(0, bodyStart))) if (start < bodyStart) this.lineStarts.push(start);
    this.frontMatter = frontMatter;
    this.unclosed = unclosed;
    this.bodyStart = bodyStart;
    this.next = bodyStart;
    this.implicitMentions = options.implicitMentions !== false;
  }

  /** Scans on until the text ends (true), or to the first clean line `chars` characters on (false). */
  scanTo(chars: number): boolean {
    const { text } = this.source;
    const from = this.next;
    if (from >= text.length) return true;
    const region = scanRegion(text, from, this.registry, this.implicitMentions, { cleanPoints: this.cleanPoints, stopAt: (lineStart) => lineStart > from && lineStart - from >= chars, lineStarts: this.lineStarts });
    this.add(region);
    this.next = region.end;
    return region.end >= text.length;
  }

  /** Adds a region's lists to those read before; a text read in one region keeps its own, with nothing copied. */
  private add(region: ScannedRegion): void {
    const lists = this.lists;
    if (!lists) {
      this.lists = region;
      return;
    }
    // Quotes point at citations by place, counted from the start of their region.
    const placesBefore = lists.citations.length;
    for (const quote of region.quotes) for (let k = 0; k < quote.citations.length; k++) (quote.citations as number[])[k] += placesBefore;
    append(lists.headings, region.headings);
    append(lists.citations, region.citations);
    append(lists.mentions, region.mentions);
    append(lists.quotes, region.quotes);
    append(lists.notes, region.notes);
    append(lists.noteRefs, region.noteRefs);
    append(lists.unknownCitations, region.unknownCitations);
    append(lists.unknownPeople, region.unknownPeople);
    append(lists.anchors, region.anchors);
  }

  finish(): AnnotationIndex {
    const { source, context } = this;
    const { text } = source;
    // The scan reads no line past the text's end: the empty line after a final line break starts there.
    const lastUnit = text.charCodeAt(text.length - 1);
    if (this.lineStarts.last < text.length && (text.length === 0 || lastUnit === 10 || lastUnit === 13)) this.lineStarts.push(text.length);
    const lines = new LineMap(text, this.lineStarts.toArray());
    const read = this.lists ?? { headings: [], citations: [], mentions: [], quotes: [], notes: [], noteRefs: [], unknownCitations: [], unknownPeople: [], anchors: [] };
    const lists: PositionedLists = { headings: read.headings, citations: read.citations, mentions: read.mentions, quotes: read.quotes };
    const scan: TextScan = {
      bodyStart: this.bodyStart,
      safeFrom: this.unclosed ? Infinity : frontMatterSafeFrom(this.bodyStart, lines),
      unclosed: this.unclosed,
      cleanPoints: this.cleanPoints,
      anchors: read.anchors,
      notes: read.notes,
      noteRefs: read.noteRefs,
      unknownCitations: read.unknownCitations,
      unknownPeople: read.unknownPeople,
      footnoteProblems: [],
      implicitMentions: this.implicitMentions,
      contextDiagnostics: context?.diagnostics ?? [],
    };
    return assembleIndex({ uri: source.uri, version: source.version ?? 0, text }, lines, this.frontMatter, scan, lists, this.registry, context?.sidecars ?? []);
  }
}

/** `target.push(...items)`, without passing a long list as arguments, which overflows the stack. */
function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** The lists an update shifts in place; footnotes and diagnostics are derived from them afresh. */
export interface PositionedLists {
  readonly headings: Heading[];
  readonly citations: Citation[];
  readonly mentions: Mention[];
  readonly quotes: Quote[];
}

/** Footnotes with their references, as an update may carry them over unchanged. */
export interface PairedFootnotes {
  readonly footnotes: Footnote[];
  readonly footnoteRefs: { span: Span; labelSpan: Span; footnote: number }[];
}

/**
 * Completes an index from its lists: pairs footnotes with their references
 * (unless `paired` carries them over) and reports what is missing.
 */
export function assembleIndex(
  source: { uri: string; version: number; text: string },
  lines: LineMap,
  frontMatter: FrontMatter | null,
  scan: TextScan,
  lists: PositionedLists,
  registry: Registry,
  sidecars: readonly string[],
  paired?: PairedFootnotes,
): AnnotationIndex {
  const { uri, text } = source;
  const { footnotes, footnoteRefs } = paired ?? pairFootnotes(scan);
  const diagnostics = new DiagnosticBuilder(uri, lines);
  if (scan.unclosed) {
    diagnostics.add(DiagnosticCode.UnclosedFrontMatter, 'This front matter is never closed with --- or ..., so it is read as text, not metadata.', scan.unclosed);
  }
  for (const problem of scan.footnoteProblems) diagnostics.add(problem.code, problem.message, problem.span);
  for (const item of scan.unknownCitations) {
    diagnostics.add(DiagnosticCode.UnknownCitation, `Unknown citation key "${item.key}": no reference with this id in the sidecar or bibliography.`, item.keySpan);
  }
  for (const mention of scan.unknownPeople) {
    diagnostics.add(DiagnosticCode.UnknownPerson, `Unknown person "${mention.writtenKey ?? ''}": no such key under people in the sidecar.`, mention.keySpan ?? mention.span);
  }
  diagnostics.list.sort((a, b) => a.span.start - b.span.start);

  const index: AnnotationIndex = {
    uri,
    version: source.version,
    text,
    lines,
    frontMatter,
    headings: lists.headings,
    footnotes,
    quotes: lists.quotes,
    citations: lists.citations,
    mentions: lists.mentions,
    footnoteRefs,
    diagnostics: [...diagnostics.list, ...scan.contextDiagnostics, ...registry.diagnostics],
    registry,
    sidecars,
  };
  scans.set(index, scan);
  return index;
}

/** Footnotes in order of first appearance of a reference or definition, each with its references; and what is missing. */
function pairFootnotes(scan: TextScan): PairedFootnotes {
  const problems = scan.footnoteProblems;
  problems.length = 0;
  const report = (code: DiagnosticCode, message: string, span: Span): void => {
    problems.push({ code, message, span });
  };
  interface Draft {
    label: string;
    inline: boolean;
    refs: NoteReference[];
    definitions: NoteEntry[];
    text: string;
    first: number;
  }
  const drafts = new Map<string, Draft>();
  const draftFor = (label: string, first: number): Draft => {
    let draft = drafts.get(label);
    if (!draft) {
      draft = { label, inline: false, refs: [], definitions: [], text: '', first };
      drafts.set(label, draft);
    }
    draft.first = Math.min(draft.first, first);
    return draft;
  };
  for (const ref of scan.noteRefs) if (ref.label !== null) draftFor(ref.label, ref.span.start).refs.push(ref);
  for (const def of scan.notes) draftFor(def.label, def.span.start).definitions.push(def);
  let inlineCount = 0;
  for (const ref of scan.noteRefs) {
    if (ref.label !== null) continue;
    const label = `^${++inlineCount}`;
    drafts.set(label, { label, inline: true, refs: [ref], definitions: [], text: ref.text, first: ref.span.start });
  }
  const footnotes: Footnote[] = [];
  const footnoteRefs: { span: Span; labelSpan: Span; footnote: number }[] = [];
  for (const draft of [...drafts.values()].sort((a, b) => a.first - b.first)) {
    const index = footnotes.length;
    const definition = draft.definitions.length > 0 ? draft.definitions[draft.definitions.length - 1] : null;
    footnotes.push({
      label: draft.label,
      inline: draft.inline,
      refs: draft.refs.map((r) => r.span),
      definition: definition ? definition.span : null,
      definitions: draft.definitions.map((d) => d.span),
      definitionLabel: definition ? definition.labelSpan : null,
      text: draft.inline ? draft.text : definition ? definition.text : '',
    });
    for (const ref of draft.refs) footnoteRefs.push({ span: ref.span, labelSpan: ref.labelSpan, footnote: index });
    if (draft.inline) continue;
    if (!definition) {
      for (const ref of draft.refs) report(DiagnosticCode.UndefinedFootnote, `Footnote [^${draft.label}] has no definition. Add a line "[^${draft.label}]: …" after a blank line.`, ref.span);
    } else if (draft.refs.length === 0) {
      for (const def of draft.definitions) report(DiagnosticCode.UnusedFootnote, `Footnote [^${draft.label}] is defined but never referenced.`, def.labelSpan);
    }
    // Pandoc keeps the last definition and warns at each one after the first.
    for (const def of draft.definitions.slice(1)) {
      report(DiagnosticCode.DuplicateFootnote, `Footnote [^${draft.label}] is defined more than once; the last definition is used.`, def.labelSpan);
    }
  }
  footnoteRefs.sort(byStart);

  return { footnotes, footnoteRefs };
}

/** The first element whose span starts at or after `offset`. */
export function lowerBound(list: readonly { span: Span }[], offset: number): number {
  return firstStartingFrom(list, offset, spanStart);
}

function spanStart(item: { span: Span }): number {
  return item.span.start;
}

