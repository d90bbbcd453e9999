import { isAscii } from 'buffer';

/*
 * A record's file holds ASCII alone, as the core writes every record (see
 * `escapeBeyondAscii`). Here, not in the core, because Node reads such bytes
 * as Latin-1 in one copy, under a millisecond for a record of 5.6 MB, where
 * its `TextDecoder` takes 15 to 40 ms on Node 20 and 22. In a new extension
 * host the copy takes some 20 ms, most of it touching fresh memory for the
 * first time; the core checks the record a turn later (`readRecord`).
 */

/** The record a file's bytes hold; undefined unless they are ASCII, as no record of this version's is otherwise. */
export function recordOfBytes(bytes: Uint8Array): string | undefined {
  return isAscii(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1') : undefined;
}

/** A record's bytes. UTF-8, which is the same bytes for ASCII: a character that is not ASCII makes the file a miss rather than another text. */
export function bytesOfRecord(record: string): Uint8Array {
  return new TextEncoder().encode(record);
}
