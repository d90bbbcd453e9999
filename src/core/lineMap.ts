import { IntList } from './intList';
import { scanChunk, type Steps } from './steps';
import type { Position, Range, Span } from './types';

/**
 * Converts UTF-16 offsets to LSP positions. Lines end at LF, CRLF or a lone CR,
 * as VS Code counts them, so positions agree with `TextDocument.positionAt`.
 */
export class LineMap {
  /** Typed, so that an edit copies and shifts them in a few hundred microseconds even for a whole book. */
  private starts: Int32Array | undefined;

  /** Without `lineStarts`, the text's lines are found when first asked for: a library of 18 MB takes some 40 ms, and most are never asked. */
  constructor(
    private readonly text: string,
    lineStarts?: Int32Array | readonly number[],
  ) {
    this.starts = lineStarts instanceof Int32Array ? lineStarts : lineStarts ? new Int32Array(lineStarts) : undefined;
  }

  private get lineStarts(): Int32Array {
    return (this.starts ??= lineStartsOf(this.text));
  }

  /** Whether the lines are found already, so that asking for a position costs no reading of the text. */
  get isBuilt(): boolean {
    return this.starts !== undefined;
  }

  /** Lines of offsets asked for in increasing order, counted on from one to the next rather than found all at once. */
  forward(): ForwardLines {
    return new ForwardLines(this.text, this);
  }

  /** Finds the lines, unless found already, a chunk of the text at a step. */
  *builtSteps(): Steps<void> {
    if (this.starts) return;
    const { text } = this;
    const starts = new IntList();
    starts.push(0);
    const hasCr = text.includes('\r');
    let nextLf = text.indexOf('\n');
    for (let from = 0; from < text.length && !this.starts; from += scanChunk) {
      nextLf = addLineStarts(text, from, Math.min(text.length, from + scanChunk), hasCr, nextLf, starts);
      yield;
    }
    // Asked for meanwhile, the lines were found at once: those stand.
    this.starts ??= starts.toArray();
  }

  /**
   * The line map of `text`, which is `previous`'s text with `[start, end)`
   * replaced by `inserted` characters: lines before the edit are kept, lines
   * after it shifted, and only the edited stretch is searched for breaks.
   */
  static afterEdit(previous: LineMap, start: number, end: number, inserted: number, text: string): LineMap {
    const old = previous.lineStarts;
    const delta = inserted - (end - start);
    // A line start depends on the two characters before it, so starts up to the edit stay,
    // starts past the edited stretch move, and the stretch in between is read again.
    let keep = 0;
    while (keep < old.length && old[keep] === 0) keep++;
    keep = Math.max(keep, firstAtOrAfter(old, start));
    const middle: number[] = [];
    const resumeAt = start + inserted + 1;
    for (let i = Math.max(0, start - 1); i < Math.min(text.length, resumeAt - 1); i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) middle.push(i + 1);
    }
    const from = Math.max(keep, firstAtOrAfter(old, end + 1));
    const starts = new Int32Array(keep + middle.length + old.length - from);
    starts.set(old.subarray(0, keep));
    starts.set(middle, keep);
    let k = keep + middle.length;
    for (let j = from; j < old.length; j++) starts[k++] = old[j] + delta;
    return new LineMap(text, starts);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  lineStart(line: number): number {
    return this.lineStarts[Math.max(0, Math.min(line, this.lineStarts.length - 1))];
  }

  lineAt(offset: number): number {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const line = this.lineAt(clamped);
    return { line, character: clamped - this.lineStarts[line] };
  }

  offsetAt(position: Position): number {
    if (position.line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[Math.max(0, position.line)];
    return Math.min(start + Math.max(0, position.character), this.text.length);
  }

  rangeOf(span: Span): Range {
    return { start: this.positionAt(span.start), end: this.positionAt(span.end) };
  }

  /**
   * The range of a short span on one line, whose line was counted when the
   * span was read, found from the characters just before it: undefined when
   * the lines are found already (ask `rangeOf`), or the span holds a line
   * break, or its line starts far before it. A diagnostic on an entry of a
   * large library need not find the library's million lines.
   */
  rangeOnLine(span: Span, line: number): Range | undefined {
    if (this.starts || span.end - span.start > nearLineChars) return undefined;
    const { text } = this;
    for (let i = span.start; i < span.end; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) return undefined;
    }
    let lineStart = span.start;
    while (lineStart > 0 && span.start - lineStart <= nearLineChars) {
      const c = text.charCodeAt(lineStart - 1);
      // A CR ends a line unless an LF follows it, which an empty span may start at.
      if (c === 10 || (c === 13 && text.charCodeAt(lineStart) !== 10)) return { start: { line, character: span.start - lineStart }, end: { line, character: span.end - lineStart } };
      lineStart--;
    }
    return lineStart === 0 ? { start: { line, character: span.start }, end: { line, character: span.end } } : undefined;
  }
}

/** Characters read around a span for `rangeOnLine`: far more than the line of an entry's id. */
const nearLineChars = 4096;

/**
 * The line map of a large text, built a chunk at a time. Lines end where
 * `LineMap` ends them: at LF, CRLF or a lone CR.
 */
export function* lineMapSteps(text: string): Steps<LineMap> {
  const lines = new LineMap(text);
  yield* lines.builtSteps();
  return lines;
}

/**
 * Adds the line starts after breaks in `text[from, to)`, given the first LF at
 * or after `from` (-1 for none), and returns the first one at or after `to`:
 * carried from chunk to chunk, so that a text whose last LF comes early is not
 * searched to its end once a chunk. Kept out of the generator, which V8
 * optimizes less well.
 */
function addLineStarts(text: string, from: number, to: number, hasCr: boolean, nextLf: number, starts: IntList): number {
  if (!hasCr) {
    let lf = nextLf;
    for (; lf >= 0 && lf < to; lf = text.indexOf('\n', lf + 1)) starts.push(lf + 1);
    return lf;
  }
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return nextLf;
}

/**
 * Lines of offsets asked for in increasing order, each counted on from the
 * one before: a library's references are given their lines (see
 * `LinesLater`), and its diagnostics their ranges, from start to end
 * without finding every line of the file (a library of 18 MB has a
 * million), which `LineMap` does on its first answer.
 * An offset before the last one asked for is answered by `lines`, whose
 * text this is (see `LineMap.forward`).
 */
export class ForwardLines {
  private offset = 0;
  private line = 0;
  private lineStart = 0;
  /** The first LF, and CR, at or after `offset`; Infinity for none. */
  private nextLf: number;
  private nextCr: number;

  constructor(
    private readonly text: string,
    private readonly lines: LineMap,
  ) {
    this.nextLf = atOrInfinity(text.indexOf('\n'));
    this.nextCr = atOrInfinity(text.indexOf('\r'));
  }

  lineAt(offset: number): number {
    const at = Math.max(0, Math.min(offset, this.text.length));
    if (at < this.offset) return this.lines.lineAt(at);
    this.advance(at);
    return this.line;
  }

  positionAt(offset: number): Position {
    const at = Math.max(0, Math.min(offset, this.text.length));
    if (at < this.offset) return this.lines.positionAt(at);
    this.advance(at);
    return { line: this.line, character: at - this.lineStart };
  }

  rangeOf(span: Span): Range {
    return { start: this.positionAt(span.start), end: this.positionAt(span.end) };
  }

  /** Counts the line starts in `(offset, to]`: after an LF, or after a CR not followed by one. */
  private advance(to: number): void {
    const { text } = this;
    let { line, lineStart, nextLf, nextCr } = this;
    for (; nextLf < to; nextLf = atOrInfinity(text.indexOf('\n', nextLf + 1))) {
      line++;
      lineStart = nextLf + 1;
    }
    for (; nextCr < to; nextCr = atOrInfinity(text.indexOf('\r', nextCr + 1))) {
      if (text.charCodeAt(nextCr + 1) === 10) continue;
      line++;
      if (nextCr + 1 > lineStart) lineStart = nextCr + 1;
    }
    this.offset = to;
    this.line = line;
    this.lineStart = lineStart;
    this.nextLf = nextLf;
    this.nextCr = nextCr;
  }
}

/**
 * The lines of spans added in the order they are met, counted when one is
 * first asked for: then every span up to it is counted, forward, so that a
 * span asked for later is answered at once, or counted on from there, and
 * the file's lines are never all found. A library's 50,000 references lie on
 * a million lines: counting them as its items were read took some 20 ms of
 * a first load, and a line is asked for later, by a card's link, a
 * diagnostic or the library's record.
 */
export class LinesLater {
  private readonly starts = new IntList();
  /** The lines of the first spans, as many as are counted. */
  private readonly lines = new IntList();

  constructor(private readonly forward: ForwardLines) {}

  /** Adds a span that starts at `start`; its index, for `lineOf`. */
  add(start: number): number {
    this.starts.push(start);
    return this.starts.length - 1;
  }

  lineOf(index: number): number {
    // Spans are added in the order of the text nearly always; one before the last counted is found by the line map.
    while (this.lines.length <= index) this.lines.push(this.forward.lineAt(this.starts.data[this.lines.length]));
    return this.lines.data[index];
  }
}

/** Where an entry is defined, with its line counted by `LinesLater` when first asked for. */
export class SourceWithLineLater {
  readonly #lines: LinesLater;
  readonly #index: number;

  constructor(
    readonly uri: string,
    readonly span: Span,
    lines: LinesLater,
  ) {
    this.#lines = lines;
    this.#index = lines.add(span.start);
  }

  get line(): number {
    return this.#lines.lineOf(this.#index);
  }

  /** Written out with its line, as a source whose line was counted at once. */
  toJSON(): { uri: string; span: Span; line: number } {
    return { uri: this.uri, span: this.span, line: this.line };
  }
}

function atOrInfinity(at: number): number {
  return at < 0 ? Infinity : at;
}

/** Offsets where lines start. `indexOf` finds the breaks far faster than a loop over every character. */
export function lineStartsOf(text: string, from = 0): Int32Array {
  const starts = new IntList();
  if (from === 0) starts.push(0);
  let lf = text.indexOf('\n', from);
  let cr = text.indexOf('\r', from);
  while (lf >= 0 || cr >= 0) {
    if (cr < 0 || (lf >= 0 && lf < cr)) {
      starts.push(lf + 1);
      lf = text.indexOf('\n', lf + 1);
    } else {
      const end = text.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
      starts.push(end);
      if (end === cr + 2) lf = text.indexOf('\n', end);
      cr = text.indexOf('\r', end);
    }
  }
  return starts.toArray();
}

/** The first place in a sorted list holding a value at or above `value`. */
function firstAtOrAfter(list: Int32Array, value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
