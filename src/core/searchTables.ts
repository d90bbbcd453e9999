import type { Steps } from './steps';

/**
 * The tables of a search's prefilter as text, so that they can be kept in a
 * sidecar's or library's record and read back in the next session several
 * times faster than they are built (about 100 ms for 10,000 references and
 * 10,000 people, 300 ms for 50,000 references). JSON arrays of the same numbers parse four times slower, so
 * the numbers are written as variable-length digits; the lists are sorted,
 * and their gaps are small. A text that does not read back whole and
 * consistent is refused, never trusted: it comes from a file on disk.
 */

/** For each key, a list of values: those of key `k` are `values[start[k]]` up to `values[start[k + 1]]`. */
export interface Postings {
  readonly start: Int32Array;
  readonly values: Int32Array;
}

/** What a prefilter needs besides its scratch space. */
export interface PrefilterTables {
  readonly itemCount: number;
  /** The distinct words of the items, by id. */
  readonly words: readonly string[];
  /** For each word, the items that hold it, in order. */
  readonly holders: Postings;
  /** The number of each piece of a word (a three-letter piece, or a one- or two-letter start), by id. */
  readonly gramKeys: Float64Array;
  /** For each piece, the words that hold it, in order. */
  readonly byGram: Postings;
}

/** Bumped whenever the layout below changes. */
const tablesFormat = '1';

/**
 * Digits in base 32 from the URL-safe Base64 alphabet, most significant
 * first: a number's last digit is one of the first 32 characters, the others
 * of the last 32. No character needs escaping in JSON, and words (letters and
 * digits joined by spaces) and digits are kept apart by tabs.
 */
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const digitOf = new Int8Array(128).fill(-1);
for (let d = 0; d < alphabet.length; d++) digitOf[alphabet.charCodeAt(d)] = d;

const alphabetCodes = Uint8Array.from(alphabet, (c) => c.charCodeAt(0));

/** The tables as text, for `decodePrefilterTables`; in steps, as a library's tables take tens of milliseconds to write. */
export function* encodePrefilterTables(tables: PrefilterTables): Steps<string> {
  const { holders, gramKeys, byGram } = tables;
  const writer = new DigitWriter(2 * (holders.values.length + byGram.values.length + holders.start.length + 2 * byGram.start.length) + 64);
  writer.put(holders.values.length);
  writer.put(gramKeys.length);
  writer.put(byGram.values.length);
  yield* putPostings(holders, writer);
  // Keys of word starts are negative: zigzag keeps them whole numbers.
  for (const key of gramKeys) writer.put(zigzag(key));
  yield;
  yield* putPostings(byGram, writer);
  return [tablesFormat, String(tables.itemCount), tables.words.join(' '), writer.text()].join('\t');
}

/** Each key's count, then its values as gaps from the one before, yielding every `numbersPerStep` numbers or so. */
function* putPostings(postings: Postings, writer: DigitWriter): Steps<void> {
  const { start, values } = postings;
  for (let k = 0; k + 1 < start.length; k++) writer.put(start[k + 1] - start[k]);
  yield;
  for (let k = 0, since = 0; k + 1 < start.length; k++) {
    for (let i = start[k], previous = 0; i < start[k + 1]; i++) {
      writer.put(values[i] - previous);
      previous = values[i];
    }
    if (start[k + 1] - since >= numbersPerStep) {
      since = start[k + 1];
      yield;
    }
  }
}

/** Numbers written as digits into bytes, decoded to text once: hundreds of thousands of small strings joined take several times as long. */
class DigitWriter {
  private bytes: Uint8Array;
  private length = 0;
  private readonly scratch = new Uint8Array(16);

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  put(value: number): void {
    const { scratch } = this;
    let count = 0;
    scratch[count++] = alphabetCodes[value % 32];
    for (let rest = Math.floor(value / 32); rest > 0; rest = Math.floor(rest / 32)) scratch[count++] = alphabetCodes[32 + (rest % 32)];
    if (this.length + count > this.bytes.length) {
      const grown = new Uint8Array(2 * this.bytes.length + count);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    while (count > 0) this.bytes[this.length++] = scratch[--count];
  }

  text(): string {
    return new TextDecoder().decode(this.bytes.subarray(0, this.length));
  }
}

/** Numbers written or read between yields: a library of 50,000 references has some three million. */
const numbersPerStep = 1 << 18;

/**
 * The tables `text` holds, if it was written by `encodePrefilterTables` for
 * `itemCount` items and every list is in order and within bounds; undefined
 * otherwise. In steps: a library's tables take tens of milliseconds to read.
 */
export function* decodePrefilterTables(text: string, itemCount: number): Steps<PrefilterTables | undefined> {
  const fields = text.split('\t');
  if (fields.length !== 4 || fields[0] !== tablesFormat || fields[1] !== String(itemCount)) return undefined;
  const words = fields[2] === '' ? [] : fields[2].split(' ');
  const digits = fields[3];
  yield;
  const counts = new Float64Array(3);
  let at = readNumbers(digits, 0, counts, 0, 3);
  if (at < 0) return undefined;
  const [holderCount, gramCount, byGramCount] = counts;
  // Each number takes at least one digit: a larger count cannot be true, and would allocate for nothing.
  if (words.length + holderCount + 2 * gramCount + byGramCount > digits.length - at) return undefined;
  const holders = yield* readPostings(digits, at, words.length, holderCount, itemCount);
  if (!holders) return undefined;
  const gramKeys = new Float64Array(gramCount);
  at = readNumbers(digits, holders.end, gramKeys, 0, gramCount);
  if (at < 0) return undefined;
  // Keys of word starts are negative, written zigzag.
  for (let g = 0; g < gramCount; g++) gramKeys[g] = unzigzag(gramKeys[g]);
  yield;
  const byGram = yield* readPostings(digits, at, gramCount, byGramCount, words.length);
  if (!byGram || byGram.end !== digits.length) return undefined;
  return { itemCount, words, holders: holders.postings, gramKeys, byGram: byGram.postings };
}

/**
 * `keyCount` lists holding `valueCount` values in all, as `putPostings` wrote
 * them from the digits at `at`: each list's length, then its values as gaps;
 * with where they end. Undefined unless the lengths add up and every value is
 * below `bound`. Read straight into the lists: a library's tables hold some
 * three million numbers.
 */
function* readPostings(digits: string, at: number, keyCount: number, valueCount: number, bound: number): Steps<{ postings: Postings; end: number } | undefined> {
  const start = new Int32Array(keyCount + 1);
  at = readInts(digits, at, start, 1, keyCount + 1);
  if (at < 0) return undefined;
  for (let k = 0, total = 0; k < keyCount; k++) {
    total += start[k + 1];
    if (total > valueCount) return undefined;
    start[k + 1] = total;
  }
  if (start[keyCount] !== valueCount) return undefined;
  yield;
  const values = new Int32Array(valueCount);
  for (let from = 0; from < valueCount; from += numbersPerStep) {
    at = readInts(digits, at, values, from, Math.min(valueCount, from + numbersPerStep));
    if (at < 0) return undefined;
    yield;
  }
  for (let k = 0; k < keyCount; k++) {
    let value = 0;
    for (let i = start[k], end = start[k + 1]; i < end; i++) {
      value += values[i];
      if (value >= bound) return undefined;
      values[i] = value;
    }
  }
  return { postings: { start, values }, end: at };
}

/**
 * Reads `numbers[from]` up to `numbers[to]` from the digits at `at`; where
 * they end, or -1 if the digits run out or one is not a digit. One plain
 * loop: it runs over millions of digits, in a session whose code has not
 * warmed up yet.
 */
function readNumbers(digits: string, at: number, numbers: Float64Array, from: number, to: number): number {
  let value = 0;
  let n = from;
  for (; n < to && at < digits.length; at++) {
    const code = digits.charCodeAt(at);
    const digit = code < 128 ? digitOf[code] : -1;
    if (digit < 0 || value > Number.MAX_SAFE_INTEGER / 64) return -1;
    if (digit < 32) {
      numbers[n++] = value * 32 + digit;
      value = 0;
    } else value = value * 32 + digit - 32;
  }
  return n === to ? at : -1;
}

/** `readNumbers` into 32-bit integers, for counts and ids; -1 as well for a number that does not fit. */
function readInts(digits: string, at: number, numbers: Int32Array, from: number, to: number): number {
  let value = 0;
  let n = from;
  for (; n < to && at < digits.length; at++) {
    const code = digits.charCodeAt(at);
    const digit = code < 128 ? digitOf[code] : -1;
    // Below 2 ** 26 a number and one more digit stay below 2 ** 31.
    if (digit < 0 || value >= 0x400_0000) return -1;
    if (digit < 32) {
      numbers[n++] = value * 32 + digit;
      value = 0;
    } else value = value * 32 + digit - 32;
  }
  return n === to ? at : -1;
}

/** Whole numbers from 0 up as digits, for `decodeNumbers`. */
export function encodeNumbers(numbers: ArrayLike<number>): string {
  const writer = new DigitWriter(2 * numbers.length + 16);
  for (let n = 0; n < numbers.length; n++) writer.put(numbers[n]);
  return writer.text();
}

/** The `count` numbers `encodeNumbers` wrote into `digits`; undefined unless the digits hold exactly that many. */
export function decodeNumbers(digits: string, count: number): Float64Array | undefined {
  if (count > digits.length) return undefined;
  const numbers = new Float64Array(count);
  return readNumbers(digits, 0, numbers, 0, count) === digits.length ? numbers : undefined;
}

/** A signed whole number as one from 0 up: 0, -1, 1, -2, 2 … as 0, 1, 2, 3, 4 … */
export function zigzag(value: number): number {
  return value >= 0 ? 2 * value : -2 * value - 1;
}

export function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}
