import { defaultSeverity, type Diagnostic, type DiagnosticCode, type Range, type Span } from './types';

/** What turns a span of a file into a range: a `LineMap`, or lines counted on as a file is read. */
export interface Ranges {
  rangeOf(span: Span): Range;
}

/** Builds diagnostics for one file, with their ranges. */
export class DiagnosticBuilder {
  readonly list: Diagnostic[] = [];

  constructor(
    readonly uri: string,
    private readonly lines: Ranges,
  ) {}

  add(code: DiagnosticCode, message: string, span: Span): void {
    // A copy: an index update shifts the spans of its lists in place, and a diagnostic keeps the position it was made at.
    this.list.push({ severity: defaultSeverity[code], code, message, uri: this.uri, span: { start: span.start, end: span.end }, range: this.lines.rangeOf(span) });
  }
}
