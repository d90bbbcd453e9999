import type { Steps } from './steps';

/*
 * UTF-8 encoding and decoding of texts of megabytes, a piece between steps:
 * a record of a large sidecar is some 6 MB, and either conversion of it at
 * once takes tens of milliseconds in a busy extension host.
 */

/** Characters, or bytes, converted per step: a few milliseconds. */
const pieceSize = 256 * 1024;

/** Where a piece of `text` of about `size` characters from `from` ends: a high surrogate at its end goes with the low one after it. */
export function pieceEnd(text: string, from: number, size: number): number {
  const end = Math.min(text.length, from + size);
  const last = text.charCodeAt(end - 1);
  return end < text.length && last >= 0xd800 && last <= 0xdbff ? end + 1 : end;
}

/** The bytes of `text` in UTF-8, a piece per step; a surrogate pair is never cut between pieces. */
export function* encodeUtf8Steps(text: string): Steps<Uint8Array> {
  const encoder = new TextEncoder();
  const pieces: Uint8Array[] = [];
  let length = 0;
  for (let from = 0; from < text.length; ) {
    const to = pieceEnd(text, from, pieceSize);
    const piece = encoder.encode(text.slice(from, to));
    pieces.push(piece);
    length += piece.length;
    from = to;
    yield;
  }
  if (pieces.length === 1) return pieces[0];
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.length;
  }
  return bytes;
}

/** The text of UTF-8 `bytes`, a piece per step, as `new TextDecoder().decode(bytes)` gives it. */
export function* decodeUtf8Steps(bytes: Uint8Array): Steps<string> {
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  for (let from = 0; from < bytes.length; from += pieceSize) {
    // Streaming: a character cut between pieces is completed by the next one.
    pieces.push(decoder.decode(bytes.subarray(from, from + pieceSize), { stream: true }));
    yield;
  }
  pieces.push(decoder.decode());
  return pieces.join('');
}
