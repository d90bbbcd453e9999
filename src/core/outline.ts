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

/** The first few words of a text on one line, with an ellipsis when something was left out. */
export function openingWords(text: string, words = openingWordCount, maxLength = openingMaxLength): string {
  const all = text.split(/\s+/).filter(Boolean);
  let opening = all.slice(0, words).join(' ');
  let cut = all.length > words;
  if (opening.length > maxLength) {
    opening = opening.slice(0, maxLength).trimEnd();
    cut = true;
  }
  return cut ? `${opening}…` : opening;
}

/** The line around a span, on one line: a mention in its context, as a search result shows it. */
export function lineSnippet(index: AnnotationIndex, span: Span): string {
  const lines = index.lines;
  // A name can break across lines ("Peter\nKropotkin"): take every line the span touches.
  const lineStart = lines.lineStart(lines.lineAt(span.start));
  const lastLine = lines.lineAt(Math.max(span.start, span.end - 1));
  const lineEnd = lastLine + 1 < lines.lineCount ? lines.lineStart(lastLine + 1) : index.text.length;
  const lineText = index.text.slice(lineStart, lineEnd).replace(/[\r\n]+$/, '');
  const from = Math.max(0, span.start - lineStart - snippetBefore);
  const to = Math.min(lineText.length, span.end - lineStart + snippetAfter);
  const middle = lineText.slice(from, to).replace(/\s+/g, ' ').trim();
  return `${from > 0 ? '…' : ''}${middle}${to < lineText.length ? '…' : ''}`;
}

function entry(index: AnnotationIndex, fields: Omit<OutlineEntry, 'range' | 'children'> & { children?: readonly OutlineEntry[] }): OutlineEntry {
  return { ...fields, range: index.lines.rangeOf(fields.span), children: fields.children ?? [] };
}

/** One row per footnote, in the order of the index; a note referenced but never defined is marked. */
export function footnoteOutline(index: AnnotationIndex, options: OutlineOptions = {}): OutlineEntry[] {
  const t = options.t ?? untranslated;
  return index.footnotes.map((note) => {
    // Pandoc drops a reference whose note is never defined; the row says so rather than showing nothing.
    const undefinedNote = !note.inline && note.definition === null;
    const span = note.refs[0] ?? note.definitionLabel ?? note.definition ?? { start: 0, end: 0 };
    const references = note.refs.length === 1 ? t('1 reference') : t('{0} references', note.refs.length);
    return entry(index, {
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
    const keys = [...new Set(quote.citations.flatMap((c) => index.citations[c].items.map((item) => `@${item.key}`)))];
    rows.push(
      entry(index, {
        id: `quote:${n}`,
        kind: 'quote',
        label: openingWords(quote.text),
        description: keys.join(', '),
        tooltip: quote.text,
        span: quote.span,
      }),
    );
  });
  return rows;
}

/** A mention in its line; `name`, when given, says which name or key it is, for rows that group different ones. */
function mentionEntry(index: AnnotationIndex, mention: Mention, id: string, t: Translate, name?: string): OutlineEntry {
  const line = index.lines.lineAt(mention.span.start) + 1;
  return entry(index, {
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

/**
 * Everyone the text mentions, most mentioned first, each with their mentions;
 * then the names that could be more than one person, and keys the sidecars lack.
 */
export function peopleOutline(index: AnnotationIndex, options: OutlineOptions = {}): OutlineEntry[] {
  const t = options.t ?? untranslated;
  const byPerson = new Map<string, { mention: Mention; n: number }[]>();
  const ambiguous: { mention: Mention; n: number }[] = [];
  const unknown: { mention: Mention; n: number }[] = [];
  index.mentions.forEach((mention, n) => {
    if (mention.person !== null) {
      const list = byPerson.get(mention.person) ?? [];
      list.push({ mention, n });
      byPerson.set(mention.person, list);
    } else if (mention.explicit) unknown.push({ mention, n });
    else ambiguous.push({ mention, n });
  });

  const rows = [...byPerson.entries()].map(([key, mentions]) => {
    const person = index.registry.people.get(key);
    const name = person?.name ?? key;
    const dates = person ? lifeDates(person) : '';
    const about = [person?.description ?? '', dates ? `(${dates})` : ''].filter(Boolean).join(' ');
    return entry(index, {
      id: `person:${key}`,
      kind: 'person',
      label: name,
      description: mentionCount(mentions.length, t),
      tooltip: about || name,
      span: mentions[0].mention.span,
      children: mentions.map(({ mention, n }) => mentionEntry(index, mention, `person:${key}:mention:${n}`, t)),
    });
  });
  rows.sort((a, b) => b.children.length - a.children.length || a.label.localeCompare(b.label));

  if (ambiguous.length > 0) {
    rows.push(
      entry(index, {
        id: 'ambiguous-names',
        kind: 'ambiguous-names',
        label: t('Ambiguous names'),
        description: mentionCount(ambiguous.length, t),
        tooltip: t('Names that more than one person in the sidecar claims, so they count for no one. Write [[key]] to say who is meant.'),
        span: ambiguous[0].mention.span,
        children: ambiguous.map(({ mention, n }) => mentionEntry(index, mention, `ambiguous-names:mention:${n}`, t, mention.text)),
      }),
    );
  }
  if (unknown.length > 0) {
    rows.push(
      entry(index, {
        id: 'unknown-people',
        kind: 'unknown-people',
        label: t('Unknown keys'),
        description: mentionCount(unknown.length, t),
        tooltip: t('Mentions whose key no sidecar defines.'),
        span: unknown[0].mention.span,
        children: unknown.map(({ mention, n }) => mentionEntry(index, mention, `unknown-people:mention:${n}`, t, mention.writtenKey ?? mention.text)),
      }),
    );
  }
  return rows;
}
