import { parse as parseYaml } from 'yaml';
import type { FrontMatter, Span } from './types';

export interface FrontMatterScan {
  readonly frontMatter: FrontMatter | null;
  /** Set when the text opens with `---` but never closes it: Pandoc then reads no metadata. */
  readonly unclosed: Span | null;
  /** Where the body starts: after the closing delimiter's line, or 0. */
  readonly bodyStart: number;
  /** Set when the metadata block exists but cannot be read as YAML (a syntax error, an alias bomb). */
  readonly error?: { readonly message: string; readonly span: Span };
}

const none: FrontMatterScan = { frontMatter: null, unclosed: null, bodyStart: 0 };
/** Front matter names a few paths; anything near this many aliases is an attack on the expander. */
const maxFrontMatterAliases = 100;

function lineEndAt(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
  return i;
}

function nextLineStart(text: string, lineEnd: number): number {
  if (text.charCodeAt(lineEnd) === 13 && text.charCodeAt(lineEnd + 1) === 10) return lineEnd + 2;
  return Math.min(text.length, lineEnd + 1);
}

/** Reads the YAML metadata block that opens a text, as Pandoc does: `---` on the first line, closed by `---` or `...`. */
export function scanFrontMatter(text: string): FrontMatterScan {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const firstEnd = lineEndAt(text, start);
  if (text.slice(start, firstEnd).trimEnd() !== '---') return none;
  const contentStart = nextLineStart(text, firstEnd);
  // Pandoc does not open a metadata block when a blank line follows `---`.
  const secondEnd = lineEndAt(text, contentStart);
  if (contentStart >= text.length || text.slice(contentStart, secondEnd).trim() === '') return none;
  let lineStart = contentStart;
  while (lineStart < text.length) {
    const end = lineEndAt(text, lineStart);
    const line = text.slice(lineStart, end).trimEnd();
    if (line === '---' || line === '...') {
      const contentSpan = { start: contentStart, end: lineStart };
      const span = { start, end };
      const { data, error } = parseMapping(text.slice(contentStart, lineStart));
      const scan = { frontMatter: { span, contentSpan, data }, unclosed: null, bodyStart: nextLineStart(text, end) };
      return error === undefined ? scan : { ...scan, error: { message: error, span } };
    }
    lineStart = end >= text.length ? text.length : nextLineStart(text, end);
  }
  return { frontMatter: null, unclosed: { start, end: firstEnd }, bodyStart: 0 };
}

function parseMapping(yamlText: string): { data: Record<string, unknown> | null; error?: string } {
  try {
    // `parse` throws on the first syntax error, and a ReferenceError past maxAliasCount.
    const value: unknown = parseYaml(yamlText, { maxAliasCount: maxFrontMatterAliases, uniqueKeys: false, logLevel: 'error' });
    return { data: value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null };
  } catch (error) {
    const message = error instanceof ReferenceError ? `more than ${maxFrontMatterAliases} aliases are expanded` : error instanceof RangeError ? 'it is nested too deeply' : (error as Error).message.split('\n')[0];
    return { data: null, error: message };
  }
}

/** A front-matter value that may be one path or a list of them. */
export function pathList(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value.trim()] : [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
  return [];
}
