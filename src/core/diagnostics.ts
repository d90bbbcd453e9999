import type { LineMap } from './lineMap';
import { defaultSeverity, type Diagnostic, type DiagnosticCode, type Span } from './types';

/** Builds diagnostics for one file, with their ranges. */
export class DiagnosticBuilder {
  readonly list: Diagnostic[] = [];

  constructor(
    readonly uri: string,
    private readonly lines: LineMap,
  ) {}

  add(code: DiagnosticCode, message: string, span: Span): void {
    // A copy: an index update shifts the spans of its lists in place, and a diagnostic keeps the position it was made at.
    this.list.push({ severity: defaultSeverity[code], code, message, uri: this.uri, span: { start: span.start, end: span.end }, range: this.lines.rangeOf(span) });
  }
}
