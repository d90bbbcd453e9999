import type { SpanMaker } from './anchors';
import { codePointAt, codePointBefore, isAlphaNum, isAsciiAlphaNum, isAsciiPunctuation, isWordChar } from './chars';
import { firstPairStartingFrom } from './bounds';
import { parseLocator } from './locator';
import { nextWordHash, type NameMatcher } from './names';
import type { Person } from './model';
import type { CitationItem, Mention, Quote, Span } from './types';

/**
 * The inline reader. It works on one block's text with container markers
 * removed (`src`), and reports what it finds in offsets of the original text
 * through `span`.
 */

export interface FoundCitation {
  readonly span: Span;
  readonly inText: boolean;
  readonly items: CitationItem[];
}

/** A note reference `[^label]`, or an inline note `^[…]` (label null, with its text). */
export interface NoteReference {
  readonly label: string | null;
  readonly span: Span;
  readonly labelSpan: Span;
  readonly text: string;
}

/** An inline quotation, made final here: a copy each would be garbage. */
export interface FoundQuote extends Quote {
  readonly kind: 'inline';
  /** Citations (as indices into the sink's list) inside or directly after it. */
  readonly citations: number[];
}

/**
 * Whether spans added one after another come in order of start, the longer
 * first where two start together: checked as each is made, while it is at
 * hand, since a check afterwards reads tens of thousands of objects again.
 */
export class SpanOrder {
  inOrder = true;
  private lastStart = -1;
  private lastEnd = 0;

  add(span: Span): void {
    const start = span.start;
    const end = span.end;
    if (start < this.lastStart || (start === this.lastStart && end > this.lastEnd)) this.inOrder = false;
    this.lastStart = start;
    this.lastEnd = end;
  }
}

export interface InlineSink {
  readonly citations: FoundCitation[];
  /** Made final here, people resolved: a text holds tens of thousands, and a second object each is garbage. */
  readonly mentions: Mention[];
  readonly quotes: FoundQuote[];
  /** Note references and inline notes, final, in the order found. */
  readonly noteRefs: NoteReference[];
  readonly citationOrder: SpanOrder;
  readonly mentionOrder: SpanOrder;
  readonly noteRefOrder: SpanOrder;
  /** The start and end of each of `quotes`, pair after pair, to merge them with others without reading them again. */
  readonly quoteBounds: number[];
  /** In the order found: items whose key `references` lacks, and explicit mentions of people `people` lacks. */
  readonly unknownCitations: CitationItem[];
  readonly unknownPeople: Mention[];
}

/** An empty sink. */
export function newSink(): InlineSink {
  return {
    citations: [],
    mentions: [],
    quotes: [],
    noteRefs: [],
    citationOrder: new SpanOrder(),
    mentionOrder: new SpanOrder(),
    noteRefOrder: new SpanOrder(),
    quoteBounds: [],
    unknownCitations: [],
    unknownPeople: [],
  };
}

export interface BlockSource {
  readonly src: string;
  /** Where `src` starts in the text. */
  readonly base: number;
  /** Maps an offset of `src` to the text when its lines are not contiguous there; null when `base + i` does. */
  readonly map: ((i: number) => number) | null;
}

/**
 * The text of a block whose lines are not one stretch of the text (`segments`
 * set), joined, with a map back to the text. Most blocks are one stretch,
 * read as `text.slice(start, end)` with no object to make.
 */
export function joinedBlockSource(text: string, segments: readonly number[]): BlockSource {
  const srcStarts: number[] = [];
  const parts: string[] = [];
  let length = 0;
  for (let k = 0; k < segments.length; k += 2) {
    srcStarts.push(length);
    parts.push(text.slice(segments[k], segments[k + 1]));
    length += segments[k + 1] - segments[k] + 1;
  }
  return {
    src: parts.join('\n'),
    base: segments[0],
    map: (i) => {
      let lo = 0;
      let hi = srcStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (srcStarts[mid] <= i) lo = mid;
        else hi = mid - 1;
      }
      return Math.min(segments[2 * lo] + (i - srcStarts[lo]), segments[2 * lo + 1]);
    },
  };
}

/** Character codes the inline reader branches on. */
const Ch = {
  Tab: 9,
  Newline: 10,
  Space: 32,
  Quote: 34,
  Dollar: 36,
  Apostrophe: 39,
  LParen: 40,
  RParen: 41,
  Star: 42,
  Minus: 45,
  Dot: 46,
  Colon: 58,
  Semicolon: 59,
  Lt: 60,
  Gt: 62,
  At: 64,
  LBracket: 91,
  Backslash: 92,
  RBracket: 93,
  Caret: 94,
  Underscore: 95,
  Backtick: 96,
  LBrace: 123,
  RBrace: 125,
  Nbsp: 0xa0,
  LeftGuillemet: 0xab,
  RightGuillemet: 0xbb,
  LeftSingle: 0x2018,
  RightSingle: 0x2019,
  LeftDouble: 0x201c,
  RightDouble: 0x201d,
  LowDouble: 0x201e,
} as const;

const citeKeyPunctuation = new Set(':.#$%&-+?<>~/'.split('').map((c) => c.charCodeAt(0)));

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === Ch.Newline || c === Ch.Nbsp;
}

function isKeyChar(c: number): boolean {
  return c === Ch.Underscore || isAlphaNum(c);
}

interface OpenQuote {
  readonly mark: number;
  readonly at: number;
}

/** Pandoc's attribute syntax: `{#id .class key=value}`. */
const attributesPattern = /^\{\s*(?:(?:#[\w:.-]+|\.[\w-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}]+)|-)\s*)*\}/;

export class InlineScanner {
  private src = '';
  private base = 0;
  private map: ((i: number) => number) | null = null;
  /** Matching `]` for each `[`, and the ends of code spans, computed per block on first need. */
  private bracketMatch: Map<number, number> | null = null;
  private codeSpanEnd: ReadonlyMap<number, number> | null = null;
  /** Characters read looking for the ends of braced citation keys, and once they are far more than the block, its braces paired. */
  private braceReads = 0;
  private braceMatch: Map<number, number> | null = null;
  /** The same code spans as start and end offsets, pair after pair, in order. */
  private codeSpanList: readonly number[] = [];
  /** Characters the block's citation items have read, and, once they have read far more than the block, its citation marks. */
  private citeItemReads = 0;
  private citationMarkers: number[] | null = null;
  /** Citation keys inside bracketed citations: `@` position to key end, so they are not read again in text. */
  private readonly keySkips = new Map<number, number>();
  /** The `@` and key end of each item of the citation list being read, pair after pair, until it is known to be one. */
  private readonly citeSkips: number[] = [];
  private quoteStack: OpenQuote[] = [];
  /** Ranges `scanRange` has yet to finish, innermost last, and the one a handler asked it to read next (`to` -1 for none). */
  private readonly frames: { readonly to: number; readonly resume: number; readonly quotes: OpenQuote[] | null }[] = [];
  private readonly inner = { from: 0, to: -1, ownQuotes: false };
  /** Where a search for `-->` found none, and the stretch a search for a closing `$` read in vain: later searches there would too. */
  private noCommentEndFrom = Infinity;
  private readonly unclosedMath = { from: -1, to: -1 };
  private blockQuotesFrom = 0;
  private blockCitationsFrom = 0;
  /** The block's citations and quotes in `src` offsets, start and end pair after pair, parallel to the sink's entries from this block: numbers, not objects, as they are garbage by the next block. */
  private readonly citationSrcSpans: number[] = [];
  private readonly quoteSrcSpans: number[] = [];

  private readonly stops: Uint8Array;
  private readonly stopSearch: RegExp;
  /** Where the plain text now being read began: a bare URL that starts there or later has not been skipped yet. */
  private plainFrom = 0;

  constructor(
    private readonly sink: InlineSink,
    private readonly names: NameMatcher,
    private readonly people: ReadonlyMap<string, Person>,
    private readonly references: ReadonlyMap<string, unknown>,
    private readonly spans: SpanMaker,
  ) {
    const stops = stopsFor(names);
    this.stops = stops.table;
    this.stopSearch = stops.search;
  }

  /** Reads a block's text `src`, which starts at `base` in the text; `map`, if any, maps its offsets to the text's (see `BlockSource`). */
  scanBlock(src: string, base: number, map: ((i: number) => number) | null): void {
    this.src = src;
    this.base = base;
    this.map = map;
    this.bracketMatch = null;
    this.codeSpanEnd = null;
    this.braceMatch = null;
    this.braceReads = 0;
    this.citeItemReads = 0;
    this.citationMarkers = null;
    this.noCommentEndFrom = Infinity;
    this.unclosedMath.from = this.unclosedMath.to = -1;
    // Reused from block to block: a text has tens of thousands of blocks, most with none of these, and setting
    // a length is a slow path even when it changes nothing.
    if (this.keySkips.size > 0) this.keySkips.clear();
    if (this.quoteStack.length > 0) this.quoteStack.length = 0;
    this.blockQuotesFrom = this.sink.quotes.length;
    this.blockCitationsFrom = this.sink.citations.length;
    if (this.citationSrcSpans.length > 0) this.citationSrcSpans.length = 0;
    if (this.quoteSrcSpans.length > 0) this.quoteSrcSpans.length = 0;
    this.scanRange(0, this.src.length);
    this.attachFollowingCitations();
  }

  private span(start: number, end: number): Span {
    const map = this.map;
    return map ? this.spans.span(map(start), map(end)) : this.spans.span(this.base + start, this.base + end);
  }

  /**
   * Reads `[from, to)`. The text of a link, a span or an inline note is read
   * where it stands, as a range of its own, before what follows the construct;
   * the ranges still to finish are kept in `frames` rather than on the call
   * stack, so that links nested thousands deep cannot overflow it.
   */
  private scanRange(from: number, to: number): void {
    const src = this.src;
    const stops = this.stops;
    const frames = this.frames;
    this.plainFrom = from;
    let i = from;
    for (;;) {
      if (i >= to) {
        const frame = frames.pop();
        if (!frame) return;
        to = frame.to;
        i = frame.resume;
        if (frame.quotes) this.quoteStack = frame.quotes;
        this.plainFrom = i;
        continue;
      }
      // Most characters are plain text, and most stretches between stops are long: in a range that runs to the end of
      // the block, the pattern finds the next stop, in compiled code, a third faster than a loop over the characters.
      // An inner range (a link's text) ends before its block does, and the pattern would read on past it: there the
      // loop reads each character, so that brackets nested deep are not read once per level.
      let at = i;
      let c = src.charCodeAt(at);
      let stop = stops[c];
      if (stop === 0) {
        if (to === src.length) {
          const search = this.stopSearch;
          search.lastIndex = at + 1;
          at = search.test(src) ? search.lastIndex - 1 : to;
          if (at < to) {
            c = src.charCodeAt(at);
            stop = stops[c];
          }
        } else {
          while (stop === 0) {
            if (++at >= to) break;
            c = src.charCodeAt(at);
            stop = stops[c];
          }
        }
      }
      if (stop === 0) {
        i = to;
        continue;
      }
      if (stop === Stop.NameStart) {
        i = this.names.mayStartAt(src, at, c) ? this.word(at, to) : at + 1;
        continue;
      }
      const urlEnd = this.bareUrlEnd(at, to);
      if (urlEnd >= 0) {
        i = urlEnd;
        this.plainFrom = i;
        continue;
      }
      switch (c) {
        case Ch.Backslash:
          i = at + (isAsciiPunctuation(src.charCodeAt(at + 1)) ? 2 : 1);
          break;
        case Ch.Backtick:
          i = this.codeSpan(at);
          break;
        case Ch.Lt:
          i = this.angle(at);
          break;
        case Ch.Dollar:
          i = this.math(at);
          break;
        case 33: // !
          if (src.charCodeAt(at + 1) === Ch.LBracket) {
            const next = this.link(at + 1, to);
            i = next > 0 ? next : at + 1;
          } else i = at + 1;
          break;
        case Ch.Caret:
          i = src.charCodeAt(at + 1) === Ch.LBracket ? this.inlineNote(at, to) : at + 1;
          break;
        case Ch.LBracket:
          i = this.bracket(at, to);
          break;
        case Ch.At:
          i = this.inTextCitation(at, to);
          break;
        default:
          // The quotation marks.
          this.quoteMark(at, c);
          i = at + 1;
      }
      if (this.inner.to >= 0) {
        // The construct's text first; then on from `i`, past the construct.
        const { inner } = this;
        frames.push({ to, resume: i, quotes: inner.ownQuotes ? this.quoteStack : null });
        if (inner.ownQuotes) this.quoteStack = [];
        i = inner.from;
        to = inner.to;
        inner.to = -1;
      }
      this.plainFrom = i;
    }
  }

  /** Asks `scanRange` to read `[from, to)` next, as the text of the construct just handled; an inline note has quotations of its own. */
  private readInside(from: number, to: number, ownQuotes: boolean): void {
    this.inner.from = from;
    this.inner.to = to;
    this.inner.ownQuotes = ownQuotes;
  }

  /**
   * If `at` lies inside a bare URL (`http:…`, `www.…`) that begins in the plain
   * text before it, the URL's end; otherwise -1. Nothing inside a URL is read,
   * so this is asked only where something would be: at syntax and at names.
   * A URL runs to the first space or `>`, so only the stretch back to one can
   * hold its start.
   */
  private bareUrlEnd(at: number, to: number): number {
    const src = this.src;
    const from = this.plainFrom;
    let p = at;
    while (p > from) {
      const c = src.charCodeAt(p - 1);
      if (isSpace(c) || c === Ch.Gt) break;
      p--;
    }
    for (let k = p + 1; k < at; k++) {
      const c = src.charCodeAt(k);
      if ((c === Ch.Colon || c === Ch.Dot) && this.schemeEndsAt(k, p)) return this.skipUrl(k, to);
    }
    return -1;
  }

  /** Does a bare URL's scheme (`http`, `mailto`, …) before a `:`, or `www` before a `.`, end at `k`, starting at a word start at or after `from`? */
  private schemeEndsAt(k: number, from: number): boolean {
    const src = this.src;
    const isColon = src.charCodeAt(k) === Ch.Colon;
    // Rule most out by the letter before.
    const last = src.charCodeAt(k - 1) | 0x20;
    if (isColon ? !(last === 112 || last === 115 || last === 101 || last === 111 || last === 105) : last !== 119) return false; // p s e o i; w
    let start = k;
    while (start > from && k - start < 7 && isAsciiAlphaNum(src.charCodeAt(start - 1))) start--;
    if (start === k || isWordChar(codePointBefore(src, start))) return false;
    const word = src.slice(start, k);
    return isColon ? urlSchemes.test(word) : word === 'www';
  }

  /** From inside a bare URL to its end: the first space or `>`. */
  private skipUrl(from: number, to: number): number {
    const src = this.src;
    let j = from;
    while (j < to && !isSpace(src.charCodeAt(j)) && src.charCodeAt(j) !== Ch.Gt) j++;
    return j;
  }

  /** A word: a name from the registry, a bare URL (skipped), or plain text. */
  private word(i: number, to: number): number {
    const src = this.src;
    // ASCII first, as most text is: no code points to make.
    const first = src.charCodeAt(i);
    let end: number;
    if (first < 128) {
      if (asciiWordUnits[first] === 0) return i + 1;
      end = i + 1;
    } else {
      const cp = codePointAt(src, i);
      end = i + (cp > 0xffff ? 2 : 1);
      if (!isWordChar(cp)) return end;
    }
    const before = src.charCodeAt(i - 1);
    if (before < 128 ? asciiWordUnits[before] === 1 : isWordChar(codePointBefore(src, i))) return end;
    // The word's end, and the hash by which the names are looked up, in one pass.
    let hash = 0;
    for (let k = i; k < end; k++) hash = nextWordHash(hash, src.charCodeAt(k));
    while (end < to) {
      const unit = src.charCodeAt(end);
      if (unit < 128) {
        if (asciiWordUnits[unit] === 0) break;
        hash = nextWordHash(hash, unit);
        end++;
        continue;
      }
      const next = codePointAt(src, end);
      if (!isWordChar(next)) break;
      hash = nextWordHash(hash, unit);
      if (next > 0xffff) hash = nextWordHash(hash, src.charCodeAt(++end));
      end++;
    }
    const after = src.charCodeAt(end);
    if ((after === Ch.Colon || after === Ch.Dot) && end - i <= 6) {
      const word = src.slice(i, end);
      if (after === Ch.Colon ? urlSchemes.test(word) : word === 'www') {
        this.plainFrom = this.skipUrl(end, to);
        return this.plainFrom;
      }
    }
    const names = this.names;
    const matchEnd = names.matchAt(src, i, end, hash);
    if (matchEnd < 0 || matchEnd > to) return end;
    const candidate = names.matched;
    const urlEnd = this.bareUrlEnd(i, to);
    if (urlEnd >= 0) {
      this.plainFrom = urlEnd;
      return urlEnd;
    }
    this.plainFrom = matchEnd;
    const name = candidate.name;
    // A name that more than one person claims counts for no one.
    const keys = candidate.keys;
    const person = keys.length === 1 ? keys[0] : null;
    // Written as in the registry, the name itself serves as the text: a text holds tens of thousands of mentions.
    const text = matchEnd - i === name.length && spacesAsWritten(src, i, name) ? name : src.slice(i, matchEnd);
    this.addMention({ person, writtenKey: null, text, explicit: false, span: this.span(i, matchEnd), keySpan: null });
    return matchEnd;
  }

  private computeCodeSpans(): ReadonlyMap<number, number> {
    if (this.codeSpanEnd) return this.codeSpanEnd;
    const src = this.src;
    // Most blocks have no code: nothing to pair, and nothing to make.
    if (src.indexOf('`') < 0) {
      this.codeSpanEnd = noCodeSpans;
      this.codeSpanList = noCodeSpanList;
      return noCodeSpans;
    }
    const runs: { at: number; length: number }[] = [];
    for (let i = src.indexOf('`'); i >= 0 && i < src.length; i = src.indexOf('`', i)) {
      if (i > 0 && src.charCodeAt(i - 1) === Ch.Backslash && !this.isEscaped(i - 1)) {
        i++;
        continue;
      }
      let length = 0;
      while (src.charCodeAt(i + length) === Ch.Backtick) length++;
      runs.push({ at: i, length });
      i += length;
    }
    const ends = new Map<number, number>();
    const spans: number[] = [];
    for (let r = 0; r < runs.length; r++) {
      for (let s = r + 1; s < runs.length; s++) {
        if (runs[s].length === runs[r].length) {
          ends.set(runs[r].at, runs[s].at + runs[s].length);
          spans.push(runs[r].at, runs[s].at + runs[s].length);
          r = s;
          break;
        }
      }
    }
    this.codeSpanEnd = ends;
    this.codeSpanList = spans;
    return ends;
  }

  /** Is `i` inside one of the block's code spans? */
  private insideCodeSpan(i: number): boolean {
    this.computeCodeSpans();
    const spans = this.codeSpanList;
    // Only the last span that starts before `i` can hold it: spans do not overlap.
    const next = firstPairStartingFrom(spans, i);
    return next > 0 && i < spans[2 * next - 1];
  }

  private isEscaped(i: number): boolean {
    let backslashes = 0;
    while (i - 1 - backslashes >= 0 && this.src.charCodeAt(i - 1 - backslashes) === Ch.Backslash) backslashes++;
    return backslashes % 2 === 1;
  }

  private codeSpan(i: number): number {
    const end = this.computeCodeSpans().get(i);
    if (end !== undefined) return end;
    let j = i;
    while (this.src.charCodeAt(j) === Ch.Backtick) j++;
    return j;
  }

  /**
   * The `]` that closes the `[` at `open`, skipping escapes and code spans, or
   * -1. Most brackets close within a few words, so it reads forward from
   * `open`; past `pairedScanLimit` characters it pairs the block's brackets
   * once instead, so that many unclosed brackets cost linear time, not
   * quadratic.
   */
  private matchingBracket(open: number): number {
    if (this.bracketMatch) return this.bracketMatch.get(open) ?? -1;
    const src = this.src;
    // Pairing the whole block would pass over an escaped bracket or one in a code span; so must this.
    // (A construct read before, such as `[[…]]`, can hide a backtick that opens a code span.)
    if (src.charCodeAt(open) !== Ch.LBracket || this.isEscaped(open) || this.insideCodeSpan(open)) return -1;
    const limit = Math.min(src.length, open + pairedScanLimit);
    let depth = 0;
    for (let i = open; i < limit; i++) {
      const c = src.charCodeAt(i);
      if (c === Ch.Backslash) {
        i++;
      } else if (c === Ch.Backtick) {
        const end = this.computeCodeSpans().get(i);
        if (end !== undefined) i = end - 1;
      } else if (c === Ch.LBracket) {
        depth++;
      } else if (c === Ch.RBracket && --depth === 0) {
        return i;
      }
    }
    if (limit === src.length) return -1;
    const match = new Map<number, number>();
    const stack: number[] = [];
    this.forEachLive((i, c) => {
      if (c === Ch.LBracket) stack.push(i);
      else if (c === Ch.RBracket && stack.length > 0) match.set(stack.pop() as number, i);
    });
    this.bracketMatch = match;
    return match.get(open) ?? -1;
  }

  /**
   * Visits the block's characters that are not escaped and not in a code
   * span, in order: what the readers of brackets and citation items see.
   * For the whole-block passes, which are rare; the readers themselves walk
   * the same way inline.
   */
  private forEachLive(visit: (i: number, c: number) => void): void {
    const src = this.src;
    const codeEnds = this.computeCodeSpans();
    for (let i = 0; i < src.length; i++) {
      const c = src.charCodeAt(i);
      if (c === Ch.Backslash) {
        i++;
      } else if (c === Ch.Backtick) {
        const end = codeEnds.get(i);
        if (end !== undefined) i = end - 1;
      } else {
        visit(i, c);
      }
    }
  }

  /**
   * The `}` that closes the `{` at `open` before any space, or -1. It reads
   * forward from `open`; once such reads in a block add up to far more than
   * the block, its braces are paired all at once, so that many unclosed `@{`
   * cost linear time.
   */
  private matchingBrace(open: number): number {
    const src = this.src;
    if (!this.braceMatch && this.braceReads <= 2 * src.length + pairedScanLimit) {
      let depth = 0;
      let j = open;
      for (; j < src.length; j++) {
        const d = src.charCodeAt(j);
        if (isSpace(d)) break;
        if (d === Ch.LBrace) depth++;
        else if (d === Ch.RBrace && --depth === 0) break;
      }
      this.braceReads += j - open;
      return j < src.length && src.charCodeAt(j) === Ch.RBrace ? j : -1;
    }
    if (!this.braceMatch) {
      const match = new Map<number, number>();
      const stack: number[] = [];
      for (let j = 0; j < src.length; j++) {
        const c = src.charCodeAt(j);
        if (isSpace(c)) {
          if (stack.length > 0) stack.length = 0;
        } else if (c === Ch.LBrace) {
          stack.push(j);
        } else if (c === Ch.RBrace && stack.length > 0) {
          match.set(stack.pop() as number, j);
        }
      }
      this.braceMatch = match;
    }
    return this.braceMatch.get(open) ?? -1;
  }

  /** `<…>`: an HTML comment, an autolink or a raw tag, none of which holds text to read. */
  private angle(i: number): number {
    const src = this.src;
    if (src.startsWith('<!--', i)) {
      // Once a search finds no `-->`, none after it can: each would read to the block's end again.
      const end = i + 4 >= this.noCommentEndFrom ? -1 : src.indexOf('-->', i + 4);
      if (end < 0) this.noCommentEndFrom = Math.min(this.noCommentEndFrom, i + 4);
      return end >= 0 ? end + 3 : i + 4;
    }
    const rest = src.slice(i, i + 2048);
    const m = /^<(?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+|\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s+[^<>]*?)?\/?)>/.exec(rest);
    return m ? i + m[0].length : i + 1;
  }

  /** Pandoc's `$…$` and `$$…$$` math: its content is not text. */
  private math(i: number): number {
    const src = this.src;
    if (src.charCodeAt(i + 1) === Ch.Dollar) {
      const end = src.indexOf('$$', i + 2);
      return end >= 0 ? end + 2 : i + 2;
    }
    if (isSpace(src.charCodeAt(i + 1)) || i + 1 >= src.length) return i + 1;
    // A `$` the last search read past without finding a closing one finds none either: whether a
    // `$` closes depends on its neighbours alone. Without this, a block of unclosed `$` is quadratic.
    if (i > this.unclosedMath.from && i < this.unclosedMath.to) return i + 1;
    let j = i + 1;
    for (; j < src.length; j++) {
      const c = src.charCodeAt(j);
      if (c === Ch.Backslash) {
        j++;
        continue;
      }
      if (c === Ch.Dollar) {
        const before = src.charCodeAt(j - 1);
        const after = src.charCodeAt(j + 1);
        if (!isSpace(before) && !(after >= 48 && after <= 57)) return j + 1;
      }
      if (c === Ch.Newline && src.charCodeAt(j + 1) === Ch.Newline) break;
    }
    this.unclosedMath.from = i;
    this.unclosedMath.to = j;
    return i + 1;
  }

  /** `[text](dest "title")`, `[text][ref]` or `[text]{attrs}` at `open`: reads the text, skips the rest. Returns 0 if none. */
  private link(open: number, to: number): number {
    const close = this.matchingBracket(open);
    if (close < 0 || close >= to) return 0;
    const after = this.linkTail(close + 1);
    if (after === 0) return 0;
    this.readInside(open + 1, close, false);
    return after;
  }

  /** The end of a link destination, reference label or attribute block that starts at `at`, or 0. */
  private linkTail(at: number): number {
    const src = this.src;
    const c = src.charCodeAt(at);
    if (c === Ch.LParen) return this.destinationEnd(at);
    if (c === Ch.LBracket) {
      const close = this.matchingBracket(at);
      return close > 0 ? close + 1 : 0;
    }
    if (c === Ch.LBrace) {
      const m = attributesPattern.exec(src.slice(at, at + 1024));
      return m ? at + m[0].length : 0;
    }
    return 0;
  }

  private destinationEnd(open: number): number {
    const src = this.src;
    let j = open + 1;
    while (isSpace(src.charCodeAt(j))) j++;
    if (src.charCodeAt(j) === Ch.Lt) {
      const end = src.indexOf('>', j);
      if (end < 0) return 0;
      j = end + 1;
    } else {
      let depth = 0;
      while (j < src.length) {
        const c = src.charCodeAt(j);
        if (c === Ch.Backslash) {
          j += 2;
          continue;
        }
        if (isSpace(c)) break;
        if (c === Ch.LParen) depth++;
        else if (c === Ch.RParen) {
          if (depth === 0) break;
          depth--;
        }
        j++;
      }
    }
    while (isSpace(src.charCodeAt(j))) j++;
    const t = src.charCodeAt(j);
    if (t === Ch.Quote || t === Ch.Apostrophe || t === Ch.LParen) {
      const closer = t === Ch.LParen ? Ch.RParen : t;
      let k = j + 1;
      while (k < src.length && src.charCodeAt(k) !== closer) k += src.charCodeAt(k) === Ch.Backslash ? 2 : 1;
      if (k >= src.length) return 0;
      j = k + 1;
      while (isSpace(src.charCodeAt(j))) j++;
    }
    return src.charCodeAt(j) === Ch.RParen ? j + 1 : 0;
  }

  private inlineNote(i: number, to: number): number {
    const close = this.matchingBracket(i + 1);
    if (close < 0 || close >= to) return i + 1;
    const span = this.span(i, close + 1);
    // Every span has one owner, so an update can move each exactly once: the label span is a copy.
    this.addNoteRef({ label: null, span, labelSpan: this.spans.of(span), text: this.src.slice(i + 2, close).trim() });
    this.readInside(i + 2, close, true);
    return close + 1;
  }

  private bracket(i: number, to: number): number {
    const src = this.src;
    const next = src.charCodeAt(i + 1);
    if (next === Ch.LBracket) {
      explicitMention.lastIndex = i;
      const m = explicitMention.exec(src);
      if (m && m[0].length <= 512) {
        const key = m[1].trim();
        const keyStart = i + 2 + m[1].indexOf(key);
        const shown = m[2] !== undefined ? m[2].trim() : undefined;
        const person = this.people.get(key);
        const mention: Mention = {
          person: person ? key : null,
          writtenKey: key,
          text: shown !== undefined && shown !== '' ? shown : (person?.name ?? key),
          explicit: true,
          span: this.span(i, i + m[0].length),
          keySpan: this.span(keyStart, keyStart + key.length),
        };
        this.addMention(mention);
        if (!person) this.sink.unknownPeople.push(mention);
        return i + m[0].length;
      }
    }
    if (next === Ch.Caret) {
      noteReference.lastIndex = i;
      const m = noteReference.exec(src);
      if (m && m[0].length <= 256) {
        this.addNoteRef({ label: m[1], span: this.span(i, i + m[0].length), labelSpan: this.span(i + 2, i + 2 + m[1].length), text: '' });
        return i + m[0].length;
      }
    }
    const close = this.matchingBracket(i);
    if (close < 0 || close >= to) return i + 1;
    const tail = src.charCodeAt(close + 1);
    // Pandoc reads `[@x](url)`, `[@x][ref]` and `[@x]{.class}` as a link or span whose text holds an in-text citation.
    if (tail === Ch.LParen || tail === Ch.LBracket || tail === Ch.LBrace) {
      const after = this.linkTail(close + 1);
      if (after > 0) {
        this.readInside(i + 1, close, false);
        return after;
      }
      return i + 1;
    }
    const items = this.citeList(i + 1, close);
    if (items) {
      this.addCitation(i, close + 1, false, items);
    }
    return i + 1;
  }

  private addMention(mention: Mention): void {
    this.sink.mentions.push(mention);
    this.sink.mentionOrder.add(mention.span);
  }

  private addNoteRef(ref: NoteReference): void {
    this.sink.noteRefs.push(ref);
    this.sink.noteRefOrder.add(ref.span);
  }

  private addCitation(start: number, end: number, inText: boolean, items: CitationItem[]): void {
    const { sink } = this;
    const span = this.span(start, end);
    sink.citations.push({ span, inText, items });
    sink.citationOrder.add(span);
    for (const item of items) if (!this.references.has(item.key)) sink.unknownCitations.push(item);
    this.citationSrcSpans.push(start, end);
  }

  /** The key at `at` (just after `@`): Pandoc's simple identifier or `{…}`. */
  private citeKey(at: number): { key: string; start: number; end: number } | null {
    const src = this.src;
    const c = src.charCodeAt(at);
    if (c === Ch.LBrace) {
      const close = this.matchingBrace(at);
      if (close < 0 || close === at + 1) return null;
      return { key: src.slice(at + 1, close), start: at + 1, end: close + 1 };
    }
    const first = codePointAt(src, at);
    if (!(isKeyChar(first) || first === Ch.Star)) return null;
    let j = at + (first > 0xffff ? 2 : 1);
    for (;;) {
      const d = codePointAt(src, j);
      if (isKeyChar(d)) {
        j += d > 0xffff ? 2 : 1;
      } else if (citeKeyPunctuation.has(d) && isKeyChar(codePointAt(src, j + 1))) {
        j++;
      } else if ((d === Ch.Colon || d === 47) && src.charCodeAt(j + 1) === 47) {
        j++;
      } else break;
    }
    return { key: src.slice(at, j), start: at, end: j };
  }

  /** Pandoc's `notAfterString`: an `@` right after a word, a period or closing emphasis is not a citation. */
  private mayStartCitation(at: number): boolean {
    const prev = codePointBefore(this.src, at);
    if (prev < 0) return true;
    if (isAlphaNum(prev) || prev === Ch.Dot) return false;
    if ((prev === Ch.Star || prev === Ch.Underscore) && at >= 2 && !isSpace(this.src.charCodeAt(at - 2))) return false;
    return true;
  }

  /** A list of citations `prefix @key suffix; …` filling `[from, to)` exactly, or null. */
  private citeList(from: number, to: number): CitationItem[] | null {
    const src = this.src;
    const items: CitationItem[] = [];
    // Reused: citation lists do not nest, and a text has tens of thousands.
    const skips = this.citeSkips;
    if (skips.length > 0) skips.length = 0;
    let partStart = from;
    for (let j = from; j < to; j++) {
      const c = src.charCodeAt(j);
      if (c === Ch.Backslash) j++;
      else if (c === Ch.Backtick) {
        const end = this.computeCodeSpans().get(j);
        if (end !== undefined) j = end - 1;
      } else if (c === Ch.LBracket) {
        const close = this.matchingBracket(j);
        if (close > 0 && close < to) j = close;
      } else if (c === Ch.Semicolon) {
        const item = this.citeItem(partStart, j, skips);
        if (!item) return null;
        items.push(item);
        partStart = j + 1;
      }
    }
    const last = this.citeItem(partStart, to, skips);
    if (!last) return null;
    items.push(last);
    for (let k = 0; k < skips.length; k += 2) this.keySkips.set(skips[k], skips[k + 1]);
    return items;
  }

  /** One item of a citation list; the `@` and the end of its key go to `skips`. */
  private citeItem(start: number, end: number, skips: number[]): CitationItem | null {
    const src = this.src;
    const j = this.citationMarkerIn(start, end);
    if (j < 0) return null;
    const suppress = j > start && src.charCodeAt(j - 1) === Ch.Minus;
    const markerStart = suppress ? j - 1 : j;
    const key = this.citeKey(j + 1) as { key: string; start: number; end: number };
    skips.push(j, key.end);
    const parsed = parseLocator(src.slice(key.end, end));
    return {
      key: key.key,
      keySpan: this.span(key.start, key.start + key.key.length),
      prefix: src.slice(start, markerStart).trim(),
      locator: parsed.locator,
      label: parsed.label,
      suffix: parsed.suffix,
      suppressAuthor: suppress,
    };
  }

  /**
   * The first `@` in `[start, end)` that starts a citation whose key ends by
   * `end`, or -1. `start` follows a `[` or `;`, so a `-` before the `@` is
   * always the author-suppressing one. Each item reads its own stretch; when
   * nested brackets make a block's items read far more than the block, its
   * citation marks are found once instead, so the cost stays linear.
   */
  private citationMarkerIn(start: number, end: number): number {
    const markers = this.citationMarkers;
    if (markers) {
      for (let k = firstPairStartingFrom(markers, start); k < markers.length >> 1 && markers[2 * k] < end; k++) if (markers[2 * k + 1] <= end) return markers[2 * k];
      return -1;
    }
    const src = this.src;
    let found = -1;
    let j = start;
    for (; j < end; j++) {
      const c = src.charCodeAt(j);
      if (c === Ch.Backslash) {
        j++;
        continue;
      }
      if (c === Ch.Backtick) {
        const codeEnd = this.computeCodeSpans().get(j);
        if (codeEnd !== undefined) j = codeEnd - 1;
        continue;
      }
      if (c === Ch.At && this.startsCitation(j, end)) {
        found = j;
        break;
      }
    }
    this.citeItemReads += j - start;
    if (this.citeItemReads > 2 * src.length + pairedScanLimit) this.citationMarkers = this.allCitationMarkers();
    return found;
  }

  /** Does the `@` at `j` start a citation whose key ends by `end`? */
  private startsCitation(j: number, end: number): boolean {
    const markerStart = this.src.charCodeAt(j - 1) === Ch.Minus ? j - 1 : j;
    if (!this.mayStartCitation(markerStart)) return false;
    const key = this.citeKey(j + 1);
    return key !== null && key.end <= end;
  }

  /** Every `@` of the block that starts a citation, with the end of its key, pair after pair: what `citationMarkerIn` would find, in one pass. */
  private allCitationMarkers(): number[] {
    const src = this.src;
    const markers: number[] = [];
    this.forEachLive((j, c) => {
      if (c !== Ch.At) return;
      const markerStart = src.charCodeAt(j - 1) === Ch.Minus ? j - 1 : j;
      const key = this.mayStartCitation(markerStart) ? this.citeKey(j + 1) : null;
      if (key) markers.push(j, key.end);
    });
    return markers;
  }


  private inTextCitation(at: number, to: number): number {
    const skipTo = this.keySkips.get(at);
    if (skipTo !== undefined) return skipTo;
    if (!this.mayStartCitation(at)) return at + 1;
    const key = this.citeKey(at + 1);
    if (!key) return at + 1;
    const src = this.src;
    const first: CitationItem = {
      key: key.key,
      keySpan: this.span(key.start, key.start + key.key.length),
      prefix: '',
      locator: '',
      label: '',
      suffix: '',
      suppressAuthor: false,
    };
    // Pandoc's textual citation: `@key [p. 33]` takes a locator, and `@key [@b]` joins a bracketed citation.
    let j = key.end;
    while (src.charCodeAt(j) === Ch.Space || src.charCodeAt(j) === Ch.Tab) j++;
    if (src.charCodeAt(j) === Ch.Newline) {
      j++;
      while (src.charCodeAt(j) === Ch.Space || src.charCodeAt(j) === Ch.Tab) j++;
    }
    // `[[…]]` is a person mention, which this format reads before citations: it is never a locator.
    if (src.charCodeAt(j) === Ch.LBracket && src.charCodeAt(j + 1) !== Ch.Caret && src.charCodeAt(j + 1) !== Ch.LBracket) {
      const close = this.matchingBracket(j);
      if (close > 0 && close < to) {
        const rest = this.citeList(j + 1, close);
        if (rest) {
          this.addCitation(at, close + 1, true, [first, ...rest]);
          return j + 1;
        }
        const tail = src.charCodeAt(close + 1);
        if (tail !== Ch.LBracket && tail !== Ch.LParen) {
          const located = this.bareLocator(j + 1, close);
          if (located) {
            this.addCitation(at, close + 1, true, [{ ...first, ...located.locator }, ...located.rest]);
            return j + 1;
          }
        }
      }
    }
    this.addCitation(at, key.end, true, [first]);
    return key.end;
  }

  /** `[p. 33]` or `[p. 33; @b]` after an in-text key. */
  private bareLocator(from: number, to: number): { locator: Pick<CitationItem, 'locator' | 'label' | 'suffix'>; rest: CitationItem[] } | null {
    const src = this.src;
    let semicolon = -1;
    for (let j = from; j < to; j++) {
      const c = src.charCodeAt(j);
      if (c === Ch.Backslash) j++;
      else if (c === Ch.LBracket) {
        const close = this.matchingBracket(j);
        if (close > 0 && close < to) j = close;
      } else if (c === Ch.Semicolon) {
        semicolon = j;
        break;
      }
    }
    const suffixEnd = semicolon >= 0 ? semicolon : to;
    let rest: CitationItem[] = [];
    if (semicolon >= 0) {
      const list = this.citeList(semicolon + 1, to);
      if (!list) return null;
      rest = list;
    }
    const parsed = parseLocator(src.slice(from, suffixEnd));
    return { locator: { locator: parsed.locator, label: parsed.label, suffix: parsed.suffix }, rest };
  }

  /** Closes the innermost open quotation that `opener` began, at the mark at `i`; none open, nothing happens. */
  private closeQuote(opener: number, i: number): void {
    const stack = this.quoteStack;
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k].mark === opener) {
        const open = stack[k].at;
        stack.length = k;
        const span = this.span(open, i + 1);
        const sink = this.sink;
        sink.quotes.push({ kind: 'inline', text: this.src.slice(open + 1, i), span, citations: [] });
        sink.quoteBounds.push(span.start, span.end);
        this.quoteSrcSpans.push(open, i + 1);
        return;
      }
    }
  }

  private quoteMark(i: number, mark: number): void {
    const src = this.src;
    const prev = codePointBefore(src, i);
    const next = codePointAt(src, i + 1);
    const stack = this.quoteStack;
    const canOpen = next >= 0 && !isSpace(next);
    switch (mark) {
      case Ch.LeftDouble:
        // In German quoting „…“ the left double mark closes.
        if (stack.length > 0 && stack[stack.length - 1].mark === Ch.LowDouble && !isSpace(prev)) this.closeQuote(Ch.LowDouble, i);
        else if (canOpen) stack.push({ mark, at: i });
        break;
      case Ch.LowDouble:
      case Ch.LeftGuillemet:
        if (canOpen) stack.push({ mark, at: i });
        break;
      case Ch.RightDouble:
        this.closeQuote(Ch.LeftDouble, i);
        break;
      case Ch.RightGuillemet:
        this.closeQuote(Ch.LeftGuillemet, i);
        break;
      case Ch.LeftSingle:
        if (canOpen && !isWordChar(prev)) stack.push({ mark, at: i });
        break;
      case Ch.RightSingle:
        // Between two letters it is an apostrophe (Lenin’s), not a closing mark.
        if (isWordChar(prev) && isWordChar(next)) break;
        if (!isSpace(prev)) this.closeQuote(Ch.LeftSingle, i);
        break;
      case Ch.Quote: {
        const openIndex = stack.findIndex((q) => q.mark === Ch.Quote);
        if (openIndex >= 0 && prev >= 0 && !isSpace(prev) && !isWordChar(next)) this.closeQuote(Ch.Quote, i);
        else if (openIndex < 0 && canOpen && !isWordChar(prev)) stack.push({ mark, at: i });
        break;
      }
    }
  }

  /**
   * A quote's citations: those inside it, and those that follow its closing
   * mark before the sentence ends.
   */
  private attachFollowingCitations(): void {
    const quotes = this.sink.quotes;
    const citations = this.citationSrcSpans;
    if (quotes.length === this.blockQuotesFrom || citations.length === 0) return;
    // Citations are found in order of position but for rare nestings. In order, each quote
    // needs only those from its own start to the first that cannot be in its sentence, so
    // a block of many quotes and citations costs linear time, not their product.
    let inOrder = true;
    for (let c = 2; c < citations.length && inOrder; c += 2) inOrder = citations[c - 2] <= citations[c];
    const quoteSpans = this.quoteSrcSpans;
    for (let q = 0; 2 * q < quoteSpans.length; q++) {
      const quoteStart = quoteSpans[2 * q];
      const quoteEnd = quoteSpans[2 * q + 1];
      const found = quotes[this.blockQuotesFrom + q].citations;
      let boundary = quoteEnd;
      let quoteEndsSentence: boolean | undefined;
      for (let c = inOrder ? firstPairStartingFrom(citations, quoteStart) : 0; 2 * c < citations.length; c++) {
        const citeStart = citations[2 * c];
        const citeEnd = citations[2 * c + 1];
        if (citeStart >= quoteStart && citeEnd <= quoteEnd) {
          found.push(this.blockCitationsFrom + c);
          continue;
        }
        if (citeStart < boundary) continue;
        quoteEndsSentence ??= /[.!?]$/.test(this.src.slice(quoteStart, quoteEnd - 1));
        const link = this.sentenceLink(boundary, citeStart, boundary === quoteEnd && quoteEndsSentence);
        if (link === SentenceLink.Same) {
          found.push(this.blockCitationsFrom + c);
          boundary = citeEnd;
        } else if (link === SentenceLink.Never && inOrder) {
          break;
        }
      }
    }
  }

  /**
   * Is the stretch between two offsets of the block within one sentence, with
   * no new quotation in it? `Never` when no longer stretch from `from` can be.
   */
  private sentenceLink(from: number, to: number, quoteEndedSentence: boolean): SentenceLink {
    if (to - from > 200) return SentenceLink.Never;
    const between = this.src.slice(from, to);
    // “Words.” Then [@key]: the quotation closed its own sentence, so only punctuation may come between.
    if (quoteEndedSentence && /\p{L}/u.test(between)) return SentenceLink.Never;
    // Another quotation mark in between means the citation belongs to that quotation, not this one.
    if (/[.!?]\s|[“”«»„"‘]/u.test(between)) return SentenceLink.Never;
    // A period just before the citation may yet be inside a locator ("p. 5"): only this one is out.
    if (/[.!?]$/u.test(between)) return SentenceLink.NotHere;
    return SentenceLink.Same;
  }
}

/**
 * Is the text at `start`, which matched `name` and is as long, written as
 * `name` is? A space of the name may have matched a tab or a line break.
 */
function spacesAsWritten(src: string, start: number, name: string): boolean {
  for (let k = name.indexOf(' '); k >= 0; k = name.indexOf(' ', k + 1)) if (src.charCodeAt(start + k) !== Ch.Space) return false;
  return true;
}

/** ASCII letters, digits and `_`: 1 for a word's code unit. */
const asciiWordUnits = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (isAsciiAlphaNum(c) || c === Ch.Underscore) asciiWordUnits[c] = 1;

/** The code spans of a block without any, shared and never changed. */
const noCodeSpans: ReadonlyMap<number, number> = new Map();
const noCodeSpanList: readonly number[] = [];

/** How a citation stands to the sentence of the quotation before it. */
const SentenceLink = { Same: 0, NotHere: 1, Never: 2 } as const;
type SentenceLink = (typeof SentenceLink)[keyof typeof SentenceLink];

/** How far `matchingBracket` reads forward before it pairs a whole block's brackets instead. */
const pairedScanLimit = 4096;

/** `[[key]]` or `[[key|shown]]`, read where it starts (sticky), so the block is not cut to match it. */
const explicitMention = /\[\[([^[\]|\n]+)(?:\|([^[\]\n]*))?\]\]/y;
/** `[^label]`, sticky as well. */
const noteReference = /\[\^([^\]\s]+)\]/y;

/** The bare URL schemes that `http:` and the like start. */
const urlSchemes = /^(?:https?|ftp|mailto|file|doi)$/i;

/**
 * Where the inline reader must stop and look, for each code unit: at the
 * characters that start syntax, and at the first letters of names.
 */
const Stop = { Syntax: 1, NameStart: 2 } as const;
const syntaxStops = new Uint8Array(65536);
for (const ch of '\\`<$!^[@"\u201c\u201d\u201e\u2018\u2019\u00ab\u00bb') syntaxStops[ch.charCodeAt(0)] = Stop.Syntax;

/** A registry's stops: by code unit, and as a pattern that finds the next one. */
interface Stops {
  readonly table: Uint8Array;
  /** Global, for `test` from a `lastIndex`: a match leaves `lastIndex` just past the stop, and makes no match object. */
  readonly search: RegExp;
}

const stopTables = new WeakMap<NameMatcher, Stops>();

/** The stops for a registry's names, made once per matcher. */
function stopsFor(names: NameMatcher): Stops {
  let stops = stopTables.get(names);
  if (!stops) {
    const table = syntaxStops.slice();
    for (let unit = 0; unit < table.length; unit++) if (names.firstUnits[unit] === 1 && table[unit] === 0) table[unit] = Stop.NameStart;
    stops = { table, search: new RegExp(`[${unitRanges(table)}]`, 'g') };
    stopTables.set(names, stops);
  }
  return stops;
}

/** The code units a table marks, as the inside of a character class: runs of units as ranges, each unit escaped. */
function unitRanges(table: Uint8Array): string {
  const escaped = (unit: number): string => `\\u${unit.toString(16).padStart(4, '0')}`;
  let ranges = '';
  for (let unit = 0; unit < table.length; unit++) {
    if (table[unit] === 0) continue;
    let last = unit;
    while (last + 1 < table.length && table[last + 1] !== 0) last++;
    ranges += last === unit ? escaped(unit) : `${escaped(unit)}-${escaped(last)}`;
    unit = last;
  }
  return ranges;
}
