/**
 * The data model shared by every reader of the index: the extension's features,
 * the CLI and the tests. Offsets are UTF-16 code unit offsets into the text, as
 * JavaScript strings and `vscode.TextDocument.offsetAt` count them.
 */

/** A half-open offset interval `[start, end)` into one text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** 0-based line and UTF-16 character, as in LSP and VS Code. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** Stable diagnostic codes. They are part of the CLI's public output: only ever add. */
export const DiagnosticCode = {
  UnknownCitation: 'unknown-citation',
  UnknownPerson: 'unknown-person',
  UndefinedFootnote: 'undefined-footnote',
  YamlSyntax: 'yaml-syntax',
  PersonWithoutName: 'person-without-name',
  ReferenceWithoutId: 'reference-without-id',
  DuplicateKey: 'duplicate-key',
  InvalidValue: 'invalid-value',
  MissingFile: 'missing-file',
  UnreadableFile: 'unreadable-file',
  UnusedFootnote: 'unused-footnote',
  DuplicateFootnote: 'duplicate-footnote',
  SharedAlias: 'shared-alias',
  NoSidecar: 'no-sidecar',
  AmbiguousSidecar: 'ambiguous-sidecar',
  UnclosedFrontMatter: 'unclosed-front-matter',
  UnknownField: 'unknown-field',
  LimitReached: 'limit-reached',
  StaleSidecar: 'stale-sidecar',
} as const;
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

export const defaultSeverity: Readonly<Record<DiagnosticCode, Severity>> = {
  'unknown-citation': 'error',
  'unknown-person': 'error',
  'undefined-footnote': 'error',
  'yaml-syntax': 'error',
  'person-without-name': 'error',
  'reference-without-id': 'error',
  'duplicate-key': 'error',
  'invalid-value': 'error',
  'missing-file': 'error',
  'unreadable-file': 'error',
  'unused-footnote': 'warning',
  'duplicate-footnote': 'warning',
  'shared-alias': 'warning',
  'no-sidecar': 'warning',
  'ambiguous-sidecar': 'warning',
  'unclosed-front-matter': 'warning',
  'unknown-field': 'warning',
  'limit-reached': 'warning',
  'stale-sidecar': 'information',
};

/**
 * A diagnostic in some file. `uri` is the file it belongs to (the text or one of
 * its sidecars); `span` is an offset span in that file's text.
 */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly uri: string;
  readonly span: Span;
  readonly range: Range;
}

export interface Heading {
  readonly level: number;
  readonly text: string;
  readonly span: Span;
}

export interface Footnote {
  readonly label: string;
  /** `^[text]` notes are inline; `[^label]` notes are not. Inline notes get labels `^1`, `^2`, … in order. */
  readonly inline: boolean;
  /** The spans of the references `[^label]`; for an inline note, the whole `^[…]`. */
  readonly refs: readonly Span[];
  /** The definition block that counts (the last one, as in Pandoc), or null. */
  readonly definition: Span | null;
  /** Every definition block of this label, in order; only the last one counts, as in Pandoc. */
  readonly definitions: readonly Span[];
  /** The span of `[^label]` at the start of the definition, for go to definition and rename. */
  readonly definitionLabel: Span | null;
  /** The note's text, without the marker and with continuation indentation removed. */
  readonly text: string;
}

export type QuoteKind = 'block' | 'inline';

export interface Quote {
  readonly kind: QuoteKind;
  /** The quoted text: for a block quote without its `>` markers; for an inline quote without the marks. */
  readonly text: string;
  readonly span: Span;
  /** Indices into `AnnotationIndex.citations`. */
  readonly citations: readonly number[];
}

export interface CitationItem {
  readonly key: string;
  /** The span of the key itself, without `@`, `-@` or braces. */
  readonly keySpan: Span;
  readonly prefix: string;
  /** The locator's value (`33`, `3-5`), or empty. */
  readonly locator: string;
  /** The locator's CSL label (`page`, `chapter`, …), or empty when there is no locator. */
  readonly label: string;
  /** What follows the key and the locator. */
  readonly suffix: string;
  readonly suppressAuthor: boolean;
}

export interface Citation {
  readonly span: Span;
  /** `@key` written in running text, rather than inside brackets. */
  readonly inText: boolean;
  readonly items: readonly CitationItem[];
}

export interface Mention {
  /** The person's key, or null when the name is ambiguous or the key unknown. */
  readonly person: string | null;
  /** For explicit mentions, the key as written, known or not. */
  readonly writtenKey: string | null;
  /** The text as shown: the matched name, or the shown text of `[[key|shown]]`. */
  readonly text: string;
  readonly explicit: boolean;
  readonly span: Span;
  /** For explicit mentions, the span of the key inside `[[…]]`. */
  readonly keySpan: Span | null;
}

export interface FrontMatter {
  /** From the opening `---` to the end of the closing line. */
  readonly span: Span;
  /** The YAML between the delimiters. */
  readonly contentSpan: Span;
  /** The parsed mapping, or null if it is not a mapping or does not parse. */
  readonly data: Readonly<Record<string, unknown>> | null;
}
