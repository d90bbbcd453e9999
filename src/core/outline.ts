import type { AnnotationIndex } from './annotationIndex';
import { untranslated, type Translate } from './cards';
import { lifeDates } from './format';
import type { Mention, Range, Span } from './types';

/**
 * The sidebar's trees as plain data: what each row says and where it leads.
 * Kept apart from the VS Code tree views so the wording, the filtering and the
 * grouping can be tested without an editor.
 */

export type OutlineKind = 'footnote' | 'footnote-undefined' | 'quote' | 'person' | 'mention' | 'ambiguous-names' | 'unknown-people';

/**
 * One row. A 10 MB text has thousands of rows at the top of each tree and
 * tens of thousands of mentions below its people, so what is not shown at
 * once is made when first read: `range`, and `children` (built when a row is
 * expanded; `childCount` says how many there will be without building them).
 */
export interface OutlineEntry {
  /** Unique within its tree and stable while the text keeps the same shape, so expansion survives a refresh. */
  readonly id: string;
  readonly kind: OutlineKind;
  readonly label: string;
  readonly description: string;
  /** Plain text, never Markdown: it comes from the user's files. */
  readonly tooltip: string;
  /** Where a click leads: the first reference of a note, the quote, the mention; a group's first member. */
  readonly span: Span;
  readonly range: Range;
  readonly childCount: number;
  readonly children: readonly OutlineEntry[];
}

export interface OutlineOptions {
  readonly t?: Translate;
}

/** How many words of a note or quote a row shows before the tooltip takes over. */
const openingWordCount = 8;
/** Rows are cut at this many characters even when the words are long. */
const openingMaxLength = 60;
/** Characters of the line shown on either side of a mention. */
const snippetBefore = 30;
const snippetAfter = 50;

const wordPattern = /\S+/g;

/** The first few words of a text on one line, with an ellipsis when something was left out. */
export function openingWords(text: string, words = openingWordCount, maxLength = openingMaxLength): string {
  // Only the first words are read: a note can run to pages.
  const opening: string[] = [];
  let cut = false;
  wordPattern.lastIndex = 0;
  for (let match = wordPattern.exec(text); match; match = wordPattern.exec(text)) {
    if (opening.length === words) {
      cut = true;
      break;
    }
    opening.push(match[0]);
  }
  let line = opening.join(' ');
  if (line.length > maxLength) {
    line = line.slice(0, maxLength).trimEnd();
    cut = true;
  }
  return cut ? `${line}…` : line;
}

/** The line around a span, on one line: a mention in its context, as a search result shows it. */
export function lineSnippet(index: AnnotationIndex, span: Span): string {
  const { lines, text } = index;
  // A name can break across lines ("Peter\nKropotkin"): take every line the span touches.
  const lineStart = lines.lineStart(lines.lineAt(span.start));
  const lastLine = lines.lineAt(Math.max(span.start, span.end - 1));
  let lineEnd = lastLine + 1 < lines.lineCount ? lines.lineStart(lastLine + 1) : text.length;
  while (lineEnd > lineStart && (text.charCodeAt(lineEnd - 1) === 10 || text.charCodeAt(lineEnd - 1) === 13)) lineEnd--;
  // Only the part shown is copied: a paragraph can be one long line.
  const from = Math.max(lineStart, span.start - snippetBefore);
  const to = Math.min(lineEnd, span.end + snippetAfter);
  const middle = text.slice(from, to).replace(/\s+/g, ' ').trim();
  return `${from > lineStart ? '…' : ''}${middle}${to < lineEnd ? '…' : ''}`;
}

type RowFields = Omit<OutlineEntry, 'range' | 'childCount' | 'children'>;

/** A row whose range and children are made when first read. */
class OutlineRow implements OutlineEntry {
  readonly id: string;
  readonly kind: OutlineKind;
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  readonly span: Span;
  private knownRange: Range | undefined;
  private knownChildren: readonly OutlineEntry[] | undefined;

  constructor(
    private readonly index: AnnotationIndex,
    fields: RowFields,
    readonly childCount = 0,
    private readonly makeChildren?: () => readonly OutlineEntry[],
  ) {
    ({ id: this.id, kind: this.kind, label: this.label, description: this.description, tooltip: this.tooltip, span: this.span } = fields);
  }

  get range(): Range {
    this.knownRange ??= this.index.lines.rangeOf(this.span);
    return this.knownRange;
  }

  get children(): readonly OutlineEntry[] {
    this.knownChildren ??= this.makeChildren?.() ?? [];
    return this.knownChildren;
  }
}

/** One row per footnote, in the order of the index; a note referenced but never defined is marked. */
export function footnoteOutline(index: AnnotationIndex, options: OutlineOptions = {}): OutlineEntry[] {
  const t = options.t ?? untranslated;
  return index.footnotes.map((note) => {
    // Pandoc drops a reference whose note is never defined; the row says so rather than showing nothing.
    const undefinedNote = !note.inline && note.definition === null;
    const span = note.refs[0] ?? note.definitionLabel ?? note.definition ?? { start: 0, end: 0 };
    const references = note.refs.length === 1 ? t('1 reference') : t('{0} references', note.refs.length);
    return new OutlineRow(index, {
      id: `footnote:${note.label}`,
      kind: undefinedNote ? 'footnote-undefined' : 'footnote',
      label: note.inline ? '^[…]' : `[^${note.label}]`,
      description: undefinedNote ? t('no definition') : openingWords(note.text),
      tooltip: undefinedNote ? t('[^{0}] is referenced but never defined, so Pandoc drops it.', note.label) : note.inline ? note.text : `${note.text}\n\n${references}`,
      span,
    });
  });
}

export interface QuoteOutlineOptions extends OutlineOptions {
  /** Inline quotations shorter than this are left out; block quotes are always listed. */
  readonly minimumQuoteLength?: number;
}

/** Block quotes and the longer inline quotations, in the order of the text. */
export function quoteOutline(index: AnnotationIndex, options: QuoteOutlineOptions = {}): OutlineEntry[] {
  const minimum = options.minimumQuoteLength ?? 0;
  const rows: OutlineEntry[] = [];
  index.quotes.forEach((quote, n) => {
    // Short inline quotations are mostly scare quotes and titles, which would bury the real ones.
    if (quote.kind === 'inline' && quote.text.length < minimum) return;
    rows.push(
      new OutlineRow(index, {
        id: `quote:${n}`,
        kind: 'quote',
        label: openingWords(quote.text),
        description: citedKeys(index, quote.citations),
        tooltip: quote.text,
        span: quote.span,
      }),
    );
  });
  return rows;
}

/** `@key, @other`: the keys the citations cite, each once, in order. */
function citedKeys(index: AnnotationIndex, citations: readonly number[]): string {
  if (citations.length === 0) return '';
  const keys = new Set<string>();
  for (const c of citations) for (const item of index.citations[c].items) keys.add(`@${item.key}`);
  return [...keys].join(', ');
}

/** A mention in its line; `name`, when given, says which name or key it is, for rows that group different ones. */
function mentionEntry(index: AnnotationIndex, mention: Mention, id: string, t: Translate, name?: string): OutlineEntry {
  const line = index.lines.lineAt(mention.span.start) + 1;
  return new OutlineRow(index, {
    id,
    kind: 'mention',
    label: lineSnippet(index, mention.span),
    description: name === undefined ? t('line {0}', line) : t('“{0}”, line {1}', name, line),
    tooltip: mention.text,
    span: mention.span,
  });
}

function mentionCount(count: number, t: Translate): string {
  return count === 1 ? t('1 mention') : t('{0} mentions', count);
}

/** Sorts like `localeCompare`, without making a collator for every comparison. */
const collator = new Intl.Collator();

/**
 * Everyone the text mentions, most mentioned first, each with their mentions;
 * then the names that could be more than one person, and keys the sidecars lack.
 * Only the counts are worked out here: a person's mention rows, each with its
 * line, are made when the person is expanded.
 */
export function peopleOutline(index: AnnotationIndex, options: OutlineOptions = {}): OutlineEntry[] {
  const t = options.t ?? untranslated;
  const byPerson = new Map<string, number[]>();
  const ambiguous: number[] = [];
  const unknown: number[] = [];
  const mentions = index.mentions;
  for (let n = 0; n < mentions.length; n++) {
    const mention = mentions[n];
    if (mention.person !== null) {
      const list = byPerson.get(mention.person);
      if (list) list.push(n);
      else byPerson.set(mention.person, [n]);
    } else if (mention.explicit) unknown.push(n);
    else ambiguous.push(n);
  }
  const group = (prefix: string, numbers: readonly number[], name?: (mention: Mention) => string) => () =>
    numbers.map((n) => mentionEntry(index, mentions[n], `${prefix}:mention:${n}`, t, name?.(mentions[n])));

  const rows = [...byPerson.entries()].map(([key, numbers]) => {
    const person = index.registry.people.get(key);
    const name = person?.name ?? key;
    const dates = person ? lifeDates(person) : '';
    const about = [person?.description ?? '', dates ? `(${dates})` : ''].filter(Boolean).join(' ');
    return new OutlineRow(
      index,
      {
        id: `person:${key}`,
        kind: 'person',
        label: name,
        description: mentionCount(numbers.length, t),
        tooltip: about || name,
        span: mentions[numbers[0]].span,
      },
      numbers.length,
      group(`person:${key}`, numbers),
    );
  });
  rows.sort((a, b) => b.childCount - a.childCount || collator.compare(a.label, b.label));

  if (ambiguous.length > 0) {
    rows.push(
      new OutlineRow(
        index,
        {
          id: 'ambiguous-names',
          kind: 'ambiguous-names',
          label: t('Ambiguous names'),
          description: mentionCount(ambiguous.length, t),
          tooltip: t('Names that more than one person in the sidecar claims, so they count for no one. Write [[key]] to say who is meant.'),
          span: mentions[ambiguous[0]].span,
        },
        ambiguous.length,
        group('ambiguous-names', ambiguous, (mention) => mention.text),
      ),
    );
  }
  if (unknown.length > 0) {
    rows.push(
      new OutlineRow(
        index,
        {
          id: 'unknown-people',
          kind: 'unknown-people',
          label: t('Unknown keys'),
          description: mentionCount(unknown.length, t),
          tooltip: t('Mentions whose key no sidecar defines.'),
          span: mentions[unknown[0]].span,
        },
        unknown.length,
        group('unknown-people', unknown, (mention) => mention.writtenKey ?? mention.text),
      ),
    );
  }
  return rows;
}
