/** Character classes shared by the scanners. Fast ASCII paths; Unicode properties beyond. */

const wordCharPattern = /[\p{L}\p{M}\p{N}_]/u;
const alphaNumPattern = /[\p{L}\p{N}]/u;

export function isAsciiAlphaNum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The code point that starts at `i` (or the lone surrogate there). */
export function codePointAt(text: string, i: number): number {
  return text.codePointAt(i) ?? -1;
}

/**
 * Answers for the Basic Multilingual Plane, filled in as characters are met:
 * 0 not yet asked, 1 yes, 2 no. The scanners ask for every non-ASCII
 * character of a text, and a Unicode property test costs far more than a
 * table read.
 */
const wordChars = new Uint8Array(65536);
const alphaNums = new Uint8Array(65536);

function memoTest(table: Uint8Array, pattern: RegExp, c: number): boolean {
  if (c > 0xffff) return pattern.test(String.fromCodePoint(c));
  let known = table[c];
  if (known === 0) {
    known = pattern.test(String.fromCharCode(c)) ? 1 : 2;
    table[c] = known;
  }
  return known === 1;
}

/** Letters, combining marks, digits and `_`: what a name boundary must not touch. JS's `\b` is ASCII-only. */
export function isWordChar(c: number): boolean {
  if (c < 128) return isAsciiAlphaNum(c) || c === 95;
  return c >= 0 && memoTest(wordChars, wordCharPattern, c);
}

/** Haskell's `isAlphaNum`, which Pandoc uses for citation keys. */
export function isAlphaNum(c: number): boolean {
  if (c < 128) return isAsciiAlphaNum(c);
  return c >= 0 && memoTest(alphaNums, alphaNumPattern, c);
}

/** Is the code unit at `i` the second half of a surrogate pair? */
export function isTrailingSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0xdc00 || c > 0xdfff || i === 0) return false;
  const p = text.charCodeAt(i - 1);
  return p >= 0xd800 && p <= 0xdbff;
}

/** The code point that ends just before `i`. */
export function codePointBefore(text: string, i: number): number {
  if (i <= 0) return -1;
  const c = text.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = text.charCodeAt(i - 2);
    if (h >= 0xd800 && h <= 0xdbff) return ((h - 0xd800) << 10) + (c - 0xdc00) + 0x10000;
  }
  return c;
}

export function isSpaceOrTab(c: number): boolean {
  return c === 32 || c === 9;
}

export function isWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 0xa0;
}

export function isLineBreak(c: number): boolean {
  return c === 10 || c === 13;
}

export function isAsciiPunctuation(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}
