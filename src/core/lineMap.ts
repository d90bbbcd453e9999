import { IntList } from './intList';
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
