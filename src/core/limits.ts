import type { AnnotationIndex, IndexOptions, TextSource } from './annotationIndex';
import { buildIndex } from './annotationIndex';
import { LineMap } from './lineMap';
import { emptyRegistry } from './registry';
import type { TextContext } from './workspace';
import { DiagnosticCode, defaultSeverity, type Diagnostic, type Span } from './types';

/**
 * Bounds on the work one file may cause. Repositories come from other people,
 * so every bound is reported in a diagnostic when it stops work: nothing is cut
 * short silently.
 */
export interface Limits {
  /** Texts, sidecars and bibliographies larger than this many bytes are not parsed. */
  readonly maxFileBytes: number;
}

export const defaultMaxFileMegabytes = 20;
export const defaultLimits: Limits = { maxFileBytes: defaultMaxFileMegabytes * 1024 * 1024 };

/** Limits from the `marginalia.maxFileSize` setting, in megabytes; nonsense values fall back to the default. */
export function limitsFromMegabytes(megabytes: unknown): Limits {
  const value = typeof megabytes === 'number' && Number.isFinite(megabytes) && megabytes > 0 ? megabytes : defaultMaxFileMegabytes;
  return { maxFileBytes: Math.round(value * 1024 * 1024) };
}

/**
 * What a FileReader hands back: the stored bytes, the text of an open editor
 * (already decoded by it), or only the size of a file too large to read.
 */
export type FileContent =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | {
      readonly kind: 'text';
      readonly text: string;
      /**
       * An open editor's text with changes not yet saved. No record is read or
       * kept for it: records serve later sessions, which read the file from disk.
       */
      readonly unsaved?: boolean;
    }
  | { readonly kind: 'tooLarge'; readonly size: number };

/** Why a file is not parsed: a code and a message for a diagnostic at its first line. */
export interface Refusal {
  readonly code: DiagnosticCode;
  readonly message: string;
}

/** A size as people read it: 812 bytes, 64 KB, 20.5 MB. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}

function tooLarge(size: number, limits: Limits, what: string): Refusal {
  return {
    code: DiagnosticCode.LimitReached,
    message: `This ${what} is ${sizeText(size)}, over the limit of ${sizeText(limits.maxFileBytes)}, so it is not read. The limit is the setting marginalia.maxFileSize (--max-file-size for the command line).`,
  };
}

/**
 * True when a decoded text is not really text: it holds NUL characters, or
 * invalid UTF-8 decoded to many U+FFFD replacement characters. Real prose may
 * contain the odd U+FFFD from an earlier bad conversion, so a few are allowed.
 */
export function looksBinary(text: string): boolean {
  const sample = text.length > 65536 ? text.slice(0, 65536) : text;
  if (sample.includes('\u0000')) return true;
  let replacements = 0;
  for (let i = sample.indexOf('\uFFFD'); i >= 0; i = sample.indexOf('\uFFFD', i + 1)) replacements++;
  return replacements >= 8 && replacements * 100 > sample.length;
}

function binary(what: string): Refusal {
  return {
    code: DiagnosticCode.UnreadableFile,
    message: `This ${what} looks like a binary file, or is not UTF-8 text, so it is not read.`,
  };
}

/**
 * Decodes what a reader returned, or says why the file is refused. `utf8` is
 * the file's bytes when the text is exactly their UTF-8, with no byte order
 * mark and nothing invalid: what the text's digest may be taken from.
 */
export function decodeFile(content: FileContent, limits: Limits, what = 'file'): { text: string; utf8?: Uint8Array } | { refusal: Refusal } {
  if (content.kind === 'tooLarge') return { refusal: tooLarge(content.size, limits, what) };
  if (content.kind === 'bytes' && content.bytes.byteLength > limits.maxFileBytes) return { refusal: tooLarge(content.bytes.byteLength, limits, what) };
  const decoded = content.kind === 'text' ? { text: content.text } : decodeUtf8(content.bytes);
  const { text } = decoded;
  // An open editor's text has no byte size; UTF-16 length is a lower bound on its UTF-8 size.
  if (content.kind === 'text' && text.length > limits.maxFileBytes) return { refusal: tooLarge(text.length, limits, what) };
  if (looksBinary(text)) return { refusal: binary(what) };
  return decoded;
}

/** The text UTF-8 bytes hold, with the bytes when they are its UTF-8 exactly. */
function decodeUtf8(bytes: Uint8Array): { text: string; utf8?: Uint8Array } {
  const byteOrderMark = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (!byteOrderMark) {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), utf8: bytes };
    } catch {
      // Invalid somewhere: decoded again below, as before.
    }
  }
  // TextDecoder drops a leading BOM and turns invalid UTF-8 into U+FFFD, which looksBinary counts.
  return { text: new TextDecoder('utf-8').decode(bytes) };
}

/** Why an annotated text itself should not be parsed, or undefined when it is fine. */
export function textRefusal(text: string, limits: Limits): Refusal | undefined {
  // UTF-16 length bounds the UTF-8 size from below, without encoding a 20 MB string.
  if (text.length > limits.maxFileBytes) return tooLarge(text.length, limits, 'text');
  if (looksBinary(text)) return binary('text');
  return undefined;
}

/** A diagnostic on the first line of a file that is refused. */
export function refusalDiagnostic(uri: string, refusal: Refusal, lines?: LineMap): Diagnostic {
  const span: Span = { start: 0, end: 0 };
  const range = lines ? lines.rangeOf(span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { severity: defaultSeverity[refusal.code], code: refusal.code, message: refusal.message, uri, span, range };
}

/**
 * Builds the index of a text, unless the text is over the size limit or is
 * binary: then the index is empty but for a diagnostic that says why, and the
 * text is never scanned.
 */
export function buildIndexWithin(source: TextSource, context: TextContext | undefined, options: IndexOptions = {}, limits: Limits = defaultLimits): AnnotationIndex {
  const refusal = textRefusal(source.text, limits);
  return refusal ? refusedIndex(source, context, refusal) : buildIndex(source, context, options);
}

/** The index of a text that is not scanned: nothing in it but the diagnostic that says why. */
export function refusedIndex(source: TextSource, context: TextContext | undefined, refusal: Refusal): AnnotationIndex {
  const registry = context?.registry ?? emptyRegistry;
  const lines = new LineMap(source.text);
  return {
    uri: source.uri,
    version: source.version ?? 0,
    text: source.text,
    lines,
    frontMatter: null,
    headings: [],
    footnotes: [],
    quotes: [],
    citations: [],
    mentions: [],
    footnoteRefs: [],
    diagnostics: [refusalDiagnostic(source.uri, refusal, lines), ...(context?.diagnostics ?? []), ...registry.diagnostics],
    registry,
    sidecars: context?.sidecars ?? [],
  };
}
