import { isAsciiAlphaNum } from './chars';
import type { IntList } from './intList';
import type { Span } from './types';

/**
 * The block structure the index needs, read line by line as Pandoc's Markdown
 * reader would: block quotes, list items and note definitions are containers;
 * paragraphs and headings carry inline text; code and raw HTML carry none.
 */

/**
 * A paragraph or heading: the content of its lines with container markers
 * removed. Most blocks are one stretch of the text, `[start, end)`; a block
 * whose lines are not contiguous there (inside a block quote, say) also
 * lists them, start and end offsets pair after pair, in `segments`.
 */
export interface InlineBlock {
  readonly kind: 'paragraph' | 'heading';
  level: number;
  start: number;
  end: number;
  lineCount: number;
  segments: number[] | null;
  /** For headings: the whole heading, markers and underline included. Paragraphs leave it empty. */
  span: Span;
}

/** Adds a line's content to a block, keeping it one stretch while its lines follow each other in the text. */
function addLine(text: string, block: InlineBlock, start: number, end: number): void {
  if (block.lineCount++ === 0) {
    block.start = start;
    block.end = end;
    return;
  }
  if (block.segments === null) {
    if (start === block.end + 1 && text.charCodeAt(block.end) === 10) {
      block.end = end;
      return;
    }
    block.segments = [block.start, block.end];
  }
  block.segments.push(start, end);
  block.end = end;
}

export interface BlockQuoteBlock {
  /** From the first `>` to the end of its last line. */
  readonly start: number;
  end: number;
  /** Each line's content after this quote's marker: start and end offsets, pair after pair. */
  readonly lines: number[];
}

export interface NoteDefinitionBlock {
  readonly label: string;
  /** `[^label]` at the start of the definition. */
  readonly labelSpan: Span;
  readonly start: number;
  end: number;
  /** Each line's content, continuation indentation removed, as start and end offsets pair after pair; the first starts after `]:`. */
  readonly lines: number[];
}

export interface BlockScan {
  readonly quotes: BlockQuoteBlock[];
  readonly notes: NoteDefinitionBlock[];
  /** Where the scan ended: the text's length, or the line where `stopAt` said to stop. */
  readonly end: number;
}

/**
 * For incremental re-indexing: the scan records the line starts where it holds
 * no state (no open container, paragraph, fence, comment or indented code), so
 * a later scan may start there afresh; and it stops at the first such line
 * where `stopAt` says the rest is known already.
 */
export interface ScanControl {
  readonly cleanPoints: number[];
  readonly stopAt?: (lineStart: number) => boolean;
  /** Every line start the scan reads, for a line map: the scan finds them anyway, and a second search of a whole book costs as much again. */
  readonly lineStarts?: IntList;
}

type Container =
  | { readonly kind: 'quote'; readonly index: number }
  | { readonly kind: 'item'; readonly indent: number }
  | { readonly kind: 'note'; readonly index: number; readonly indent: number };

interface OpenFence {
  readonly char: number;
  readonly length: number;
  readonly depth: number;
}

const noSpan: Span = { start: 0, end: 0 };

const TAB = 9;
const SPACE = 32;

/** Where the indentation measured last ended: a second result of `measureIndent`, which runs several times a line and should not allocate. */
let indentEnd = 0;

/** Columns of indentation at `p`, with tab stops of 4; the offset where it ends is left in `indentEnd`. */
function measureIndent(text: string, p: number, end: number): number {
  let cols = 0;
  let i = p;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === SPACE) cols++;
    else if (c === TAB) cols += 4 - (cols % 4);
    else break;
    i++;
  }
  indentEnd = i;
  return cols;
}

/** Advances past `cols` columns of indentation (a tab that overshoots is consumed whole). */
function skipCols(text: string, p: number, end: number, cols: number): number {
  let seen = 0;
  let i = p;
  while (i < end && seen < cols) {
    const c = text.charCodeAt(i);
    if (c === SPACE) seen++;
    else if (c === TAB) seen += 4 - (seen % 4);
    else break;
    i++;
  }
  return i;
}

function isBlank(text: string, p: number, end: number): boolean {
  for (let i = p; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB) return false;
  }
  return true;
}

/** A list marker at `q`: its width including the following spaces, or 0. */
function listMarkerWidth(text: string, q: number, end: number): number {
  const c = text.charCodeAt(q);
  let after = -1;
  if (c === 42 || c === 43 || c === 45) {
    after = q + 1; // * + -
  } else {
    if (!mayBeOrderedMarker(text, q, end)) return 0;
    const m = /^(?:\(@[\w-]*\)|@[\w-]*[.)]|\(?(?:\d{1,9}|#|[a-zA-Z]|[ivxlcdm]+|[IVXLCDM]+)[.)])/.exec(text.slice(q, Math.min(end, q + 24)));
    if (!m) return 0;
    const marker = m[0];
    // `(1` needs its `)`; Pandoc wants two spaces after a capital letter and a period, so "B. Russell" stays text.
    if (marker.startsWith('(') && !marker.endsWith(')')) return 0;
    after = q + marker.length;
    if (/^[A-Z]\.$/.test(marker) && !(text.charCodeAt(after) === SPACE && (text.charCodeAt(after + 1) === SPACE || text.charCodeAt(after + 1) === TAB)) && after < end) return 0;
  }
  if (after < end && text.charCodeAt(after) !== SPACE && text.charCodeAt(after) !== TAB) return 0;
  if (after >= end) return after - q + 1;
  const cols = measureIndent(text, after, end);
  const at = indentEnd;
  // Five or more spaces make an indented code block inside the item: its content starts one space in.
  if (cols >= 5 || at >= end) return after - q + 1;
  return at - q;
}

/**
 * A cheap test run before the marker pattern, which would otherwise cut out and
 * match the start of every line of every paragraph: an ordered marker begins
 * with `(`, `@`, `#`, a digit or a letter, and its word ends in `.` or `)`.
 */
function mayBeOrderedMarker(text: string, q: number, end: number): boolean {
  const c = text.charCodeAt(q);
  if (c === 40 || c === 64) return true; // ( @
  let i = q;
  while (i < end && (isAsciiAlphaNum(text.charCodeAt(i)) || text.charCodeAt(i) === 35)) i++; // #
  if (i === q) return false;
  const after = text.charCodeAt(i);
  return after === 46 || after === 41; // . )
}

const noteDefinitionPattern = /^\[\^([^\]\s]+)\]:/;

function isThematicBreak(text: string, from: number, end: number): boolean {
  // Most lines start with something else: say so before cutting the line out for the pattern.
  let i = from;
  while (i < end && i - from < 3 && text.charCodeAt(i) === SPACE) i++;
  const first = text.charCodeAt(i);
  if (first !== 42 && first !== 45 && first !== 95) return false; // * - _
  return /^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/.test(text.slice(from, end));
}

export function scanBlocks(text: string, bodyStart: number, onBlock: (block: InlineBlock) => void, control?: ScanControl): BlockScan {
  // Each paragraph or heading goes to `onBlock` once the next begins or the scan ends, so none outlives its reading.
  let pending: InlineBlock | null = null;
  const emit = (block: InlineBlock): void => {
    if (pending) onBlock(pending);
    pending = block;
  };
  const quotes: BlockQuoteBlock[] = [];
  const notes: NoteDefinitionBlock[] = [];
  const stack: Container[] = [];
  const contentStarts: number[] = [];
  // The open paragraph and its container depth, in two variables rather than an object: a text has tens of thousands.
  let para: InlineBlock | null = null;
  let paraDepth = 0;
  let fence: OpenFence | null = null;
  let indentedCodeDepth = -1;
  let inComment = false;

  const closeParagraph = (): void => {
    para = null;
  };
  const closeContainersFrom = (depth: number): void => {
    if (para && paraDepth > depth) closeParagraph();
    if (fence && fence.depth > depth) fence = null;
    if (indentedCodeDepth > depth) indentedCodeDepth = -1;
    if (stack.length > depth) stack.length = depth;
  };

  let lineStart = bodyStart;
  const length = text.length;
  const lineStarts = control?.lineStarts;
  // The next lone CR, searched for in windows: a search to the end of a text
  // without one would cost an incremental re-scan of a few lines the whole text.
  let nextCr = -1;
  let crSearchedTo = bodyStart;
  let stoppedAt = length;
  while (lineStart < length) {
    if (control && stack.length === 0 && para === null && fence === null && indentedCodeDepth < 0 && !inComment) {
      if (control.stopAt?.(lineStart)) {
        stoppedAt = lineStart;
        break;
      }
      control.cleanPoints.push(lineStart);
    }
    lineStarts?.push(lineStart);
    let lineEnd = text.indexOf('\n', lineStart);
    let next: number;
    if (lineEnd < 0) {
      lineEnd = length;
      next = length;
    } else {
      next = lineEnd + 1;
    }
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    // A lone CR ends a line too; split such a line at its first CR.
    if (nextCr >= 0 && nextCr < lineStart) {
      nextCr = -1;
      crSearchedTo = lineStart;
    }
    if (nextCr < 0 && crSearchedTo < lineEnd) {
      const from = Math.max(crSearchedTo, lineStart);
      const to = Math.min(length, Math.max(lineEnd, from + 65536));
      const found = text.slice(from, to).indexOf('\r');
      if (found >= 0) nextCr = from + found;
      else crSearchedTo = to;
    }
    const cr = nextCr;
    if (cr >= 0 && cr < lineEnd) {
      lineEnd = cr;
      next = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
    }

    let p = lineStart;
    let matched = 0;
    for (; matched < stack.length; matched++) {
      const c = stack[matched];
      if (c.kind === 'quote') {
        const cols = measureIndent(text, p, lineEnd);
        const at = indentEnd;
        if (cols > 3 || text.charCodeAt(at) !== 62) break;
        p = at + 1;
        if (text.charCodeAt(p) === SPACE || text.charCodeAt(p) === TAB) p++;
      } else {
        if (isBlank(text, p, lineEnd)) {
          contentStarts[matched] = lineEnd;
          continue;
        }
        const cols = measureIndent(text, p, lineEnd);
        if (cols < c.indent) break;
        p = skipCols(text, p, lineEnd, c.indent);
      }
      contentStarts[matched] = p;
    }

    const blank = isBlank(text, p, lineEnd);

    if (inComment) {
      if (text.slice(lineStart, lineEnd).includes('-->')) inComment = false;
      lineStart = next;
      continue;
    }

    if (fence) {
      if (matched >= fence.depth) {
        const cols = measureIndent(text, p, lineEnd);
        const at = indentEnd;
        let run = 0;
        while (text.charCodeAt(at + run) === fence.char) run++;
        if (cols <= 3 && run >= fence.length && isBlank(text, at + run, lineEnd)) fence = null;
        recordContainerLines(matched, lineEnd);
        lineStart = next;
        continue;
      }
      fence = null;
    }

    if (matched < stack.length) {
      // A lazy continuation line: Pandoc keeps it in the open paragraph of the quote or item.
      if (!blank && para && !startsNewBlock(text, p, lineEnd)) {
        measureIndent(text, p, lineEnd);
        const at = indentEnd;
        addLine(text, para, at, lineEnd);
        for (let k = 0; k < stack.length; k++) {
          if (k >= matched) contentStarts[k] = at;
        }
        recordContainerLines(stack.length, lineEnd);
        lineStart = next;
        continue;
      }
      closeContainersFrom(matched);
    }

    // New containers.
    while (!blank) {
      const cols = measureIndent(text, p, lineEnd);
      const q = indentEnd;
      if (cols > 3) break;
      const c = text.charCodeAt(q);
      if (para) break; // Pandoc needs a blank line before a quote, a list or a note definition.
      if (c === 62) {
        quotes.push({ start: q, end: lineEnd, lines: [] });
        stack.push({ kind: 'quote', index: quotes.length - 1 });
        p = q + 1;
        if (text.charCodeAt(p) === SPACE || text.charCodeAt(p) === TAB) p++;
        contentStarts[stack.length - 1] = p;
        if (indentedCodeDepth >= 0) indentedCodeDepth = -1;
        continue;
      }
      if (c === 91 && text.charCodeAt(q + 1) === 94) {
        const m = noteDefinitionPattern.exec(text.slice(q, Math.min(lineEnd, q + 200)));
        if (m) {
          const labelEnd = q + m[0].length - 1;
          notes.push({ label: m[1], labelSpan: { start: q, end: labelEnd }, start: q, end: lineEnd, lines: [] });
          stack.push({ kind: 'note', index: notes.length - 1, indent: 4 });
          measureIndent(text, labelEnd + 1, lineEnd);
          p = indentEnd;
          contentStarts[stack.length - 1] = p;
          indentedCodeDepth = -1;
          continue;
        }
      }
      const width = listMarkerWidth(text, q, lineEnd);
      if (width > 0 && !isThematicBreak(text, p, lineEnd)) {
        stack.push({ kind: 'item', indent: cols + width });
        p = Math.min(lineEnd, q + width);
        contentStarts[stack.length - 1] = p;
        indentedCodeDepth = -1;
        continue;
      }
      break;
    }

    const depth = stack.length;
    recordContainerLines(depth, lineEnd);

    if (blank) {
      closeParagraph();
      lineStart = next;
      continue;
    }

    const cols = measureIndent(text, p, lineEnd);
    const q = indentEnd;
    if (indentedCodeDepth === depth && cols >= 4) {
      lineStart = next;
      continue;
    }
    indentedCodeDepth = -1;
    if (cols >= 4 && !para) {
      indentedCodeDepth = depth;
      lineStart = next;
      continue;
    }
    const c = text.charCodeAt(q);
    if (cols <= 3 && (c === 96 || c === 126)) {
      let run = 0;
      while (text.charCodeAt(q + run) === c) run++;
      if (run >= 3 && !(c === 96 && text.slice(q + run, lineEnd).includes('`'))) {
        closeParagraph();
        fence = { char: c, length: run, depth };
        lineStart = next;
        continue;
      }
    }
    // Pandoc reads an ATX heading only at the margin and only after a blank line.
    if (!para && c === 35 && q === p) {
      const heading = atxHeading(text, q, lineEnd);
      if (heading) {
        emit({ kind: 'heading', level: heading.level, start: heading.content.start, end: heading.content.end, lineCount: 1, segments: null, span: { start: q, end: lineEnd } });
        lineStart = next;
        continue;
      }
    }
    if (para && para.kind === 'paragraph' && para.lineCount === 1 && cols <= 3 && (c === 61 || c === 45)) {
      const line = text.slice(q, lineEnd).trimEnd();
      if (/^(?:=+|-+)$/.test(line)) {
        const block = para;
        block.level = c === 61 ? 1 : 2;
        (block as { kind: string }).kind = 'heading';
        block.span = { start: block.start, end: lineEnd };
        closeParagraph();
        lineStart = next;
        continue;
      }
    }
    if (c === 58 && text.startsWith(':::', q)) {
      closeParagraph(); // fenced div markers carry no text
      lineStart = next;
      continue;
    }
    if (!para && isThematicBreak(text, p, lineEnd)) {
      lineStart = next;
      continue;
    }
    if (!para && c === 60 && text.startsWith('<!--', q)) {
      inComment = !text.slice(q + 4, lineEnd).includes('-->');
      lineStart = next;
      continue;
    }
    if (!para) {
      const block: InlineBlock = { kind: 'paragraph', level: 0, start: q, end: q, lineCount: 0, segments: null, span: noSpan };
      emit(block);
      para = block;
      paraDepth = depth;
    }
    addLine(text, para, q, lineEnd);
    lineStart = next;
  }

  if (pending) onBlock(pending);
  return { quotes, notes, end: stoppedAt };

  function recordContainerLines(depth: number, lineEnd: number): void {
    for (let k = 0; k < depth && k < stack.length; k++) {
      const c = stack[k];
      if (c.kind === 'item') continue;
      const target = c.kind === 'quote' ? quotes[c.index] : notes[c.index];
      const from = Math.min(contentStarts[k] ?? lineEnd, lineEnd);
      target.lines.push(from, lineEnd);
      target.end = lineEnd;
    }
  }
}

/** Would this line open a block of its own rather than continue a paragraph lazily? */
function startsNewBlock(text: string, p: number, lineEnd: number): boolean {
  const cols = measureIndent(text, p, lineEnd);
  const at = indentEnd;
  if (cols > 3) return false;
  const c = text.charCodeAt(at);
  if (c === 96 || c === 126) return text.startsWith(c === 96 ? '```' : '~~~', at);
  return false;
}

function atxHeading(text: string, q: number, lineEnd: number): { level: number; content: Span } | null {
  let level = 0;
  while (text.charCodeAt(q + level) === 35) level++;
  if (level > 6) return null;
  const after = q + level;
  if (after < lineEnd && text.charCodeAt(after) !== SPACE && text.charCodeAt(after) !== TAB) return null;
  measureIndent(text, after, lineEnd);
  let start = indentEnd;
  let end = lineEnd;
  while (end > start && (text.charCodeAt(end - 1) === SPACE || text.charCodeAt(end - 1) === TAB)) end--;
  // Pandoc's heading attributes `{#id .class}` are not part of the text.
  if (text.charCodeAt(end - 1) === 125) {
    const open = text.lastIndexOf('{', end);
    if (open >= start && /^\{[^{}]*\}$/.test(text.slice(open, end))) {
      end = open;
      while (end > start && (text.charCodeAt(end - 1) === SPACE || text.charCodeAt(end - 1) === TAB)) end--;
    }
  }
  let closing = end;
  while (closing > start && text.charCodeAt(closing - 1) === 35) closing--;
  if (closing < end && (closing === start || text.charCodeAt(closing - 1) === SPACE || text.charCodeAt(closing - 1) === TAB)) {
    end = closing;
    while (end > start && (text.charCodeAt(end - 1) === SPACE || text.charCodeAt(end - 1) === TAB)) end--;
  }
  if (end < start) start = end;
  return { level, content: { start, end } };
}
