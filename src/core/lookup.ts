import { lowerBound, type AnnotationIndex } from './annotationIndex';
import type { Citation, CitationItem, Footnote, Mention, Span } from './types';

export type Found =
  | { readonly kind: 'mention'; readonly mention: Mention; readonly index: number }
  | { readonly kind: 'citation'; readonly citation: Citation; readonly item: CitationItem | null; readonly index: number }
  | { readonly kind: 'footnoteRef'; readonly footnote: Footnote; readonly span: Span; readonly index: number }
  | { readonly kind: 'footnoteDefinition'; readonly footnote: Footnote; readonly span: Span; readonly index: number };

/** The innermost entry of a position-sorted list whose span holds `offset` (ends inclusive, as a cursor sees them). */
function containing<T extends { span: Span }>(list: readonly T[], offset: number): number {
  let best = -1;
  // Spans may nest (a citation inside a bracketed one), so look back over the few that start before.
  for (let i = lowerBound(list, offset + 1) - 1; i >= 0 && i >= lowerBound(list, offset + 1) - 8; i--) {
    const span = list[i].span;
    if (span.start <= offset && offset <= span.end && (best < 0 || span.start >= list[best].span.start)) best = i;
  }
  return best;
}

/** What is at a text offset: a mention, a citation item, or a footnote reference or definition label. */
export function findAt(index: AnnotationIndex, offset: number): Found | undefined {
  const m = containing(index.mentions, offset);
  if (m >= 0) return { kind: 'mention', mention: index.mentions[m], index: m };
  const r = containing(index.footnoteRefs, offset);
  if (r >= 0) {
    const ref = index.footnoteRefs[r];
    return { kind: 'footnoteRef', footnote: index.footnotes[ref.footnote], span: ref.span, index: ref.footnote };
  }
  const c = containing(index.citations, offset);
  if (c >= 0) {
    const citation = index.citations[c];
    const item = citation.items.find((it) => it.keySpan.start - 2 <= offset && offset <= it.keySpan.end) ?? (citation.items.length === 1 ? citation.items[0] : null);
    return { kind: 'citation', citation, item, index: c };
  }
  for (let f = 0; f < index.footnotes.length; f++) {
    const label = index.footnotes[f].definitionLabel;
    if (label && label.start <= offset && offset <= label.end) return { kind: 'footnoteDefinition', footnote: index.footnotes[f], span: label, index: f };
  }
  return undefined;
}

/** Every mention of a person, explicit or implicit. */
export function mentionsOf(index: AnnotationIndex, personKey: string): Mention[] {
  return index.mentions.filter((m) => m.person === personKey);
}

/** Every citation item that cites a key. */
export function citationsOf(index: AnnotationIndex, key: string): { citation: Citation; item: CitationItem }[] {
  const found: { citation: Citation; item: CitationItem }[] = [];
  for (const citation of index.citations) for (const item of citation.items) if (item.key === key) found.push({ citation, item });
  return found;
}
