import { scanBlocks, type BlockQuoteBlock, type NoteDefinitionBlock, type ScanControl } from './blocks';
import { DiagnosticBuilder } from './diagnostics';
import { scanFrontMatter } from './frontMatter';
import { blockSource, InlineScanner, type InlineSink } from './inline';
import { LineMap } from './lineMap';
import type { Registry } from './model';
import { nameMatcherFor } from './names';
import { emptyRegistry } from './registry';
import type { TextContext } from './workspace';
import { DiagnosticCode, type Citation, type Diagnostic, type Footnote, type FrontMatter, type Heading, type Mention, type Quote, type Span } from './types';

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

function noteText(text: string, lines: readonly Span[]): string {
  const out: string[] = [];
  for (const line of lines) {
    const content = text.slice(line.start, line.end).trimEnd();
    if (content.trim() === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(content.trim() === '' ? '' : content);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

/**
 * What the scanners found in a text, before it is put in order: kept with each
 * index (see `scanOf`) so that an edit re-scans only the blocks it touches.
 */
export interface TextScan {
  readonly bodyStart: number;
  /** Edits before this offset may change the front matter: they need a full parse. */
  readonly safeFrom: number;
  readonly unclosed: Span | null;
  /** Line starts where the block scanner holds no state, in order. */
  readonly cleanPoints: number[];
  readonly headings: Heading[];
  readonly blockQuotes: BlockQuoteBlock[];
  readonly notes: NoteDefinitionBlock[];
  readonly sink: InlineSink;
  readonly implicitMentions: boolean;
  readonly contextDiagnostics: readonly Diagnostic[];
}

const scans = new WeakMap<AnnotationIndex, TextScan>();

/** The scan an index was assembled from, for incremental updates. */
export function scanOf(index: AnnotationIndex): TextScan | undefined {
  return scans.get(index);
}

/** Scans the blocks of `text` from `from` (a clean point) and reads their inline content. */
export function scanRegion(text: string, from: number, registry: Registry, implicitMentions: boolean, control: ScanControl): { headings: Heading[]; blockQuotes: BlockQuoteBlock[]; notes: NoteDefinitionBlock[]; sink: InlineSink; end: number } {
  const scan = scanBlocks(text, from, control);
  const sink: InlineSink = { citations: [], mentions: [], quotes: [], noteRefs: [], inlineNotes: [] };
  const matcher = nameMatcherFor(registry, implicitMentions);
  const scanner = new InlineScanner(sink, matcher, (key) => registry.people.get(key)?.name);
  const headings: Heading[] = [];
  for (const block of scan.blocks) {
    if (block.segments.length === 0) continue;
    const blockSrc = blockSource(text, block.segments);
    if (block.kind === 'heading') headings.push({ level: block.level, text: blockSrc.src.trim(), span: block.span });
    scanner.scanBlock(blockSrc);
  }
  return { headings, blockQuotes: scan.quotes, notes: scan.notes, sink, end: scan.end };
}

/** Where edits stop being able to change what counts as front matter. */
function frontMatterSafeFrom(bodyStart: number, lines: LineMap): number {
  // With front matter, the body starts after its closing line; without, the first two lines decide.
  if (bodyStart > 0) return bodyStart + 1;
  return lines.lineCount > 2 ? lines.lineStart(2) + 1 : Infinity;
}

/** Parses a text with the people and references of its context into one index. */
export function buildIndex(source: TextSource, context?: TextContext, options: IndexOptions = {}): AnnotationIndex {
  const { text } = source;
  const registry = context?.registry ?? emptyRegistry;
  const lines = new LineMap(text);
  const { frontMatter, unclosed, bodyStart } = scanFrontMatter(text);
  const implicitMentions = options.implicitMentions !== false;
  const cleanPoints: number[] = [];
  const region = scanRegion(text, bodyStart, registry, implicitMentions, { cleanPoints });
  const scan: TextScan = {
    bodyStart,
    safeFrom: unclosed ? Infinity : frontMatterSafeFrom(bodyStart, lines),
    unclosed,
    cleanPoints,
    headings: region.headings,
    blockQuotes: region.blockQuotes,
    notes: region.notes,
    sink: region.sink,
    implicitMentions,
    contextDiagnostics: context?.diagnostics ?? [],
  };
  return assembleIndex(source, lines, frontMatter, scan, registry, context?.sidecars ?? []);
}

/** Puts a scan in order: sorts, numbers the inline notes, pairs footnotes, and reports what is missing. */
export function assembleIndex(source: TextSource, lines: LineMap, frontMatter: FrontMatter | null, scanned: TextScan, registry: Registry, sidecars: readonly string[]): AnnotationIndex {
  const { uri, text } = source;
  const diagnostics = new DiagnosticBuilder(uri, lines);
  const { unclosed, sink, headings } = scanned;
  const scan = { quotes: scanned.blockQuotes, notes: scanned.notes };
  if (unclosed) {
    diagnostics.add(DiagnosticCode.UnclosedFrontMatter, 'This front matter is never closed with --- or ..., so it is read as text, not metadata.', unclosed);
  }
  // Citations in order of position; quotes refer to them by index.
  const citationOrder = sink.citations.map((_, i) => i).sort((a, b) => byStart(sink.citations[a], sink.citations[b]));
  const newIndex = new Map<number, number>();
  citationOrder.forEach((old, i) => newIndex.set(old, i));
  const citations: Citation[] = citationOrder.map((i) => sink.citations[i]);

  const quotes: Quote[] = [];
  for (const block of scan.quotes) {
    const span = { start: block.start, end: block.end };
    const inside: number[] = [];
    for (let c = lowerBound(citations, span.start); c < citations.length && citations[c].span.start < span.end; c++) inside.push(c);
    quotes.push({ kind: 'block', text: noteText(text, block.lines), span, citations: inside });
  }
  for (const quote of sink.quotes) {
    quotes.push({ kind: 'inline', text: quote.text, span: quote.span, citations: quote.citations.map((c) => newIndex.get(c) as number).sort((a, b) => a - b) });
  }
  quotes.sort(byStart);

  const mentions: Mention[] = sink.mentions
    .map((m): Mention => {
      if (m.explicit) {
        const known = m.key !== null && registry.people.has(m.key);
        return { person: known ? m.key : null, writtenKey: m.key, text: m.text, explicit: true, span: m.span, keySpan: m.keySpan };
      }
      const keys = m.keys ?? [];
      return { person: keys.length === 1 ? keys[0] : null, writtenKey: null, text: m.text, explicit: false, span: m.span, keySpan: null };
    })
    .sort(byStart);

  // Footnotes, in order of first appearance of a reference or definition.
  interface Draft {
    label: string;
    inline: boolean;
    refs: { span: Span; labelSpan: Span }[];
    definitions: (typeof scan.notes)[number][];
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
  for (const ref of sink.noteRefs) draftFor(ref.label, ref.span.start).refs.push({ span: ref.span, labelSpan: ref.labelSpan });
  for (const def of scan.notes) draftFor(def.label, def.start).definitions.push(def);
  const inlineNotes = [...sink.inlineNotes].sort(byStart);
  inlineNotes.forEach((note, i) => {
    const label = `^${i + 1}`;
    drafts.set(label, { label, inline: true, refs: [{ span: note.span, labelSpan: note.span }], definitions: [], text: note.text, first: note.span.start });
  });
  const footnotes: Footnote[] = [];
  const footnoteRefs: { span: Span; labelSpan: Span; footnote: number }[] = [];
  for (const draft of [...drafts.values()].sort((a, b) => a.first - b.first)) {
    const index = footnotes.length;
    const definition = draft.definitions.length > 0 ? draft.definitions[draft.definitions.length - 1] : null;
    footnotes.push({
      label: draft.label,
      inline: draft.inline,
      refs: draft.refs.map((r) => r.span),
      definition: definition ? { start: definition.start, end: definition.end } : null,
      definitions: draft.definitions.map((d) => ({ start: d.start, end: d.end })),
      definitionLabel: definition ? definition.labelSpan : null,
      text: draft.inline ? draft.text : definition ? noteText(text, definition.lines) : '',
    });
    for (const ref of draft.refs) footnoteRefs.push({ ...ref, footnote: index });
    if (draft.inline) continue;
    if (!definition) {
      for (const ref of draft.refs) diagnostics.add(DiagnosticCode.UndefinedFootnote, `Footnote [^${draft.label}] has no definition. Add a line "[^${draft.label}]: …" after a blank line.`, ref.span);
    } else if (draft.refs.length === 0) {
      for (const def of draft.definitions) diagnostics.add(DiagnosticCode.UnusedFootnote, `Footnote [^${draft.label}] is defined but never referenced.`, def.labelSpan);
    }
    // Pandoc keeps the last definition and warns at each one after the first.
    for (const def of draft.definitions.slice(1)) {
      diagnostics.add(DiagnosticCode.DuplicateFootnote, `Footnote [^${draft.label}] is defined more than once; the last definition is used.`, def.labelSpan);
    }
  }
  footnoteRefs.sort(byStart);

  for (const citation of citations) {
    for (const item of citation.items) {
      if (!registry.references.has(item.key)) {
        diagnostics.add(DiagnosticCode.UnknownCitation, `Unknown citation key "${item.key}": no reference with this id in the sidecar or bibliography.`, item.keySpan);
      }
    }
  }
  for (const mention of mentions) {
    if (mention.explicit && mention.person === null && mention.keySpan) {
      diagnostics.add(DiagnosticCode.UnknownPerson, `Unknown person "${mention.writtenKey ?? ''}": no such key under people in the sidecar.`, mention.keySpan);
    }
  }
  diagnostics.list.sort((a, b) => a.span.start - b.span.start);

  const index: AnnotationIndex = {
    uri,
    version: source.version ?? 0,
    text,
    lines,
    frontMatter,
    headings,
    footnotes,
    quotes,
    citations,
    mentions,
    footnoteRefs,
    diagnostics: [...diagnostics.list, ...scanned.contextDiagnostics, ...registry.diagnostics],
    registry,
    sidecars,
  };
  scans.set(index, scanned);
  return index;
}

/** The first element whose span starts at or after `offset`. */
export function lowerBound(list: readonly { span: Span }[], offset: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].span.start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
