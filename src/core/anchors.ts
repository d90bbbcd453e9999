import { firstStartingFrom } from './bounds';
import type { Span } from './types';

/**
 * A place in a text that the spans found after it count from, until the next
 * anchor. An edit moves the spans after it by moving the anchors after it: a
 * whole book holds some 140,000 spans but only a few thousand anchors, so a
 * keystroke at its start no longer touches every span that follows.
 */
export class Anchor {
  constructor(public offset: number) {}
}

/** A span counted from an anchor. It reads as a plain `{ start, end }`, and writes to JSON as one. */
export class AnchoredSpan implements Span {
  constructor(
    public anchor: Anchor,
    public relativeStart: number,
    public relativeEnd: number,
  ) {}

  get start(): number {
    return this.anchor.offset + this.relativeStart;
  }

  get end(): number {
    return this.anchor.offset + this.relativeEnd;
  }

  /** Counts the span from `anchor` instead, moved on by `shift` characters. */
  moveTo(anchor: Anchor, shift: number): void {
    const by = this.anchor.offset + shift - anchor.offset;
    this.relativeStart += by;
    this.relativeEnd += by;
    this.anchor = anchor;
  }

  /** Takes the place of `other`, which counts from an anchor of the same text. */
  copyFrom(other: AnchoredSpan): void {
    this.anchor = other.anchor;
    this.relativeStart = other.relativeStart;
    this.relativeEnd = other.relativeEnd;
  }

  toJSON(): Span {
    return { start: this.start, end: this.end };
  }
}

/**
 * About this many characters between anchors. An edit moves the spans of the
 * anchor it falls in one by one (a few hundred at the examples' density) and
 * the anchors after it as wholes (a few thousand in a book). Tests set it low,
 * so that short texts have many anchors.
 */
export const anchorSpacing = { chars: 4096 };

/**
 * Makes the spans of one scanned stretch of text, and the anchors they count
 * from. Every span counts from the last anchor at or before its start, so the
 * anchors, in order, split the spans into runs by where they start: the
 * invariant `updateIndex` relies on. Spans are mostly made in order of their
 * start; one made out of order finds its anchor by a binary search.
 */
export class SpanMaker {
  readonly anchors: Anchor[];
  private current: Anchor;

  /** `from` is where the stretch starts: no span starts before it. */
  constructor(from: number) {
    this.current = new Anchor(from);
    this.anchors = [this.current];
  }

  span(start: number, end: number): AnchoredSpan {
    let anchor = this.current;
    if (start - anchor.offset >= anchorSpacing.chars) {
      anchor = new Anchor(start);
      this.anchors.push(anchor);
      this.current = anchor;
    } else if (start < anchor.offset) {
      anchor = this.anchors[anchorIndexAt(this.anchors, start)];
    }
    return new AnchoredSpan(anchor, start - anchor.offset, end - anchor.offset);
  }

  /** An anchored copy of a plain span. */
  of(span: Span): AnchoredSpan {
    return this.span(span.start, span.end);
  }
}

/** The index of the last anchor at or before `offset`, or 0 if none is: offsets are whole numbers. */
function anchorIndexAt(anchors: readonly Anchor[], offset: number): number {
  return Math.max(0, firstStartingFrom(anchors, offset + 1, offsetOf) - 1);
}

/** The number of anchors before `offset`. */
export function anchorsBefore(anchors: readonly Anchor[], offset: number): number {
  return firstStartingFrom(anchors, offset, offsetOf);
}

function offsetOf(anchor: Anchor): number {
  return anchor.offset;
}
