import type { AnnotationIndex } from './annotationIndex';
import type { LineMap } from './lineMap';
import type { Range, Severity, Span } from './types';

/** The public shape printed by `marginalia index FILE --json` and returned by the extension's API. Only ever add to it. */
export interface IndexJson {
  file: string;
  sidecars: string[];
  headings: { level: number; text: string; range: Range }[];
  footnotes: { label: string; inline: boolean; refs: Range[]; definition: Range | null; text: string }[];
  quotes: { kind: 'block' | 'inline'; text: string; range: Range; citations: string[] }[];
  citations: { range: Range; inText: boolean; items: { key: string; prefix: string; locator: string; label: string; suffix: string; suppressAuthor: boolean }[] }[];
  mentions: { person: string | null; text: string; explicit: boolean; range: Range }[];
  diagnostics: { severity: Severity; code: string; message: string; file: string; range: Range }[];
}

export function indexToJson(index: AnnotationIndex, displayName: (uri: string) => string = (uri) => uri): IndexJson {
  const lines: LineMap = index.lines;
  const range = (span: Span): Range => lines.rangeOf(span);
  return {
    file: displayName(index.uri),
    sidecars: index.sidecars.map(displayName),
    headings: index.headings.map((h) => ({ level: h.level, text: h.text, range: range(h.span) })),
    footnotes: index.footnotes.map((f) => ({ label: f.label, inline: f.inline, refs: f.refs.map(range), definition: f.definition ? range(f.definition) : null, text: f.text })),
    quotes: index.quotes.map((q) => ({ kind: q.kind, text: q.text, range: range(q.span), citations: [...new Set(q.citations.flatMap((c) => index.citations[c].items.map((it) => it.key)))] })),
    citations: index.citations.map((c) => ({
      range: range(c.span),
      inText: c.inText,
      items: c.items.map((it) => ({ key: it.key, prefix: it.prefix, locator: it.locator, label: it.label, suffix: it.suffix, suppressAuthor: it.suppressAuthor })),
    })),
    mentions: index.mentions.map((m) => ({ person: m.person, text: m.text, explicit: m.explicit, range: range(m.span) })),
    diagnostics: index.diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, file: displayName(d.uri), range: d.range })),
  };
}
