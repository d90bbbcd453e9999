import { escapeBeyondAscii } from './ascii';
import { IntList } from './intList';
import type { Steps } from './steps';

/**
 * The tables of a search's prefilter as text, so that they can be kept in a
 * sidecar's or library's record and read back in the next session several
 * times faster than they are built (about 100 ms for 10,000 references and
 * 10,000 people, 300 ms for 50,000 references). JSON arrays of the same
 * numbers parse four times slower, so the numbers are written as
 * variable-length digits; the lists are sorted, and their gaps are small.
 * A text whose counts do not add up is refused, and a list is checked when
 * it is read, never trusted: it comes from a file on disk.
 */

/**
 * For each key, a list of values: those of key `k` are `values[start[k]]` up
 * to `values[listEnd(postings, k)]`, which is `start[k + 1]` but for lists
 * read back from a record (see `LazyLists`).
 */
export interface Postings {
  readonly start: Int32Array;
  readonly values: Int32Array;
  readonly lazy?: LazyLists;
}

/** Where the list of `key` ends in `postings.values`, once its values are there to read. */
export function listEnd(postings: Postings, key: number): number {
  return postings.lazy === undefined ? postings.start[key + 1] : postings.lazy.end(key);
}

/**
 * Lists read back from a record one at a time, when first asked for: a
 * keystroke reads a few thousand of a library's 140,000, and reading all of
 * them up front took 20 to 40 ms of the 150 a warm load has. A list whose
 * digits do not end where the record says, or that holds a value out of
 * bounds, reads as empty.
 */
export class LazyLists {
  /** For each key: 0 not read yet, 1 read, 2 refused. */
  private readonly state: Uint8Array;

  constructor(
    private readonly digits: string,
    /** Where each key's digits start in `digits`, and the end of the last. */
    private readonly digitStart: Int32Array,
    private readonly start: Int32Array,
    private readonly values: Int32Array,
    private readonly bound: number,
  ) {
    this.state = new Uint8Array(start.length - 1);
  }

  end(key: number): number {
    if (this.state[key] === 0) this.state[key] = this.read(key) ? 1 : 2;
    return this.state[key] === 1 ? this.start[key + 1] : this.start[key];
  }

  private read(key: number): boolean {
    const { values } = this;
    const from = this.start[key];
    const to = this.start[key + 1];
    if (readInts(this.digits, this.digitStart[key], values, from, to) !== this.digitStart[key + 1]) return false;
    for (let i = from, value = 0; i < to; i++) {
      value += values[i];
      if (value >= this.bound) return false;
      values[i] = value;
    }
    return true;
  }
}

/** The distinct words of a prefilter's items, by id. */
export interface WordList {
  readonly count: number;
  /** Each word's length, by id. */
  lengths(): Int32Array;
  /** Whether word `id` starts with `prefix`. */
  startsWith(id: number, prefix: string): boolean;
  /** The words, in order, joined by spaces, as records keep them: each UTF-16 unit past ASCII written `\uXXXX`. */
  escaped(): string;
}

/** Words as a list of strings, as a build finds them. */
export class WordArray implements WordList {
  constructor(
    private readonly words: readonly string[],
    private readonly wordLengths: Int32Array,
  ) {}

  get count(): number {
    return this.words.length;
  }

  lengths(): Int32Array {
    return this.wordLengths;
  }

  startsWith(id: number, prefix: string): boolean {
    return this.words[id].startsWith(prefix);
  }

  escaped(): string {
    return escapeBeyondAscii(this.words.join(' '));
  }
}

/**
 * Words read back from a record, kept as the record's text of them: a
 * library's 135,000 words split into strings took 7 to 10 ms, and as many
 * small objects for the collector to copy. The text stays escaped (see
 * `WordList.escaped`): unescaped, a library's words became a second text, of
 * two bytes a character, in 8 to 10 ms.
 */
export class JoinedWords implements WordList {
  /** Where each word starts in `text`, and one past the end of the last plus one. */
  private readonly starts: Int32Array;
  /** The prefix last asked for, and it escaped: a keystroke asks whether thousands of words start with the same one. */
  private lastPrefix = '';
  private lastEscaped = '';

  constructor(private readonly text: string) {
    // Words are short: a twelfth of the text's length is room for most.
    const starts = new IntList(Math.ceil(text.length / 12) + 2);
    if (text !== '') starts.push(0);
    for (let at = text.indexOf(' '); at >= 0; at = text.indexOf(' ', at + 1)) starts.push(at + 1);
    starts.push(text.length + 1);
    this.starts = starts.data.subarray(0, starts.length);
  }

  get count(): number {
    return this.starts.length - 1;
  }

  lengths(): Int32Array {
    const { starts, text } = this;
    const lengths = new Int32Array(this.count);
    for (let w = 0; w < lengths.length; w++) lengths[w] = starts[w + 1] - starts[w] - 1;
    // Each unit written `\uXXXX` is one, not six.
    for (let at = text.indexOf('\\'), w = 0; at >= 0; at = text.indexOf('\\', at + 6)) {
      while (starts[w + 1] <= at) w++;
      lengths[w] -= 5;
    }
    return lengths;
  }

  startsWith(id: number, prefix: string): boolean {
    // Escaping maps each unit on its own, and no word holds a backslash: a word starts with a prefix just when, escaped, it starts with the prefix escaped.
    if (prefix !== this.lastPrefix) {
      this.lastPrefix = prefix;
      this.lastEscaped = escapeBeyondAscii(prefix);
    }
    const escaped = this.lastEscaped;
    return this.starts[id + 1] - this.starts[id] - 1 >= escaped.length && this.text.startsWith(escaped, this.starts[id]);
  }

  escaped(): string {
    return this.text;
  }
}

/** What a prefilter needs besides its scratch space. */
export interface PrefilterTables {
  readonly itemCount: number;
  /** The distinct words of the items, by id. */
  readonly words: WordList;
  /** For each word, the items that hold it, in order. */
  readonly holders: Postings;
  /** The number of each piece of a word (a three-letter piece, or a one- or two-letter start), by id. */
  readonly gramKeys: Float64Array;
  /** For each piece, the words that hold it, in order. */
  readonly byGram: Postings;
}

/** Bumped whenever the layout below changes. */
const tablesFormat = '3';

/**
 * Digits in base 32 from the URL-safe Base64 alphabet, most significant
 * first: a number's last digit is one of the first 32 characters, the others
 * of the last 32. No character needs escaping in JSON, and words (letters and
 * digits joined by spaces, those past ASCII escaped as records are written)
 * and digits are kept apart by tabs.
 */
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const digitOf = new Int8Array(128).fill(-1);
for (let d = 0; d < alphabet.length; d++) digitOf[alphabet.charCodeAt(d)] = d;

const alphabetCodes = Uint8Array.from(alphabet, (c) => c.charCodeAt(0));

/**
 * The tables as text, for `decodePrefilterTables`: the words; then the
 * counts, each list's length and number of digits, and the pieces' keys; then
 * the lists of each table, apart, so that a list can be read alone. In
 * steps, as a library's tables take tens of milliseconds to write.
 */
export function* encodePrefilterTables(tables: PrefilterTables): Steps<string> {
  const { holders, gramKeys, byGram } = tables;
  const head = new DigitWriter(2 * (holders.start.length + 2 * byGram.start.length) + 64);
  head.put(holders.values.length);
  head.put(gramKeys.length);
  head.put(byGram.values.length);
  const holderLists = yield* putLists(holders, head);
  // Keys of word starts are negative: zigzag keeps them whole numbers.
  for (const key of gramKeys) head.put(zigzag(key));
  yield;
  const byGramLists = yield* putLists(byGram, head);
  // Each text of megabytes made in a step of its own: a library's, made in one, held the event loop for 50 to 60 ms.
  yield;
  const words = tables.words.escaped();
  yield;
  return [tablesFormat, String(tables.itemCount), words, head.text(), holderLists, byGramLists].join('\t');
}

/** Each key's list as gaps from the value before, into a text of their own; each list's length and number of digits into `head`. */
function* putLists(postings: Postings, head: DigitWriter): Steps<string> {
  const { start, values } = postings;
  const lists = new DigitWriter(2 * values.length + 16);
  for (let k = 0, since = 0; k + 1 < start.length; k++) {
    const before = lists.size;
    const end = listEnd(postings, k);
    for (let i = start[k], previous = 0; i < end; i++) {
      lists.put(values[i] - previous);
      previous = values[i];
    }
    head.put(end - start[k]);
    head.put(lists.size - before);
    if (end - since >= numbersPerStep) {
      since = end;
      yield;
    }
  }
  yield;
  return lists.text();
}

/** Numbers written as digits into bytes, decoded to text once: hundreds of thousands of small strings joined take several times as long. */
class DigitWriter {
  private bytes: Uint8Array;
  private length = 0;

  /** Digits written so far. */
  get size(): number {
    return this.length;
  }
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
 * `itemCount` items and every count adds up; undefined otherwise. Each list
 * is read when first asked for, and checked then (see `LazyLists`).
 */
export function* decodePrefilterTables(text: string, itemCount: number): Steps<PrefilterTables | undefined> {
  const fields = text.split('\t');
  if (fields.length !== 6 || fields[0] !== tablesFormat || fields[1] !== String(itemCount)) return undefined;
  const words = new JoinedWords(fields[2]);
  const [head, holderLists, byGramLists] = fields.slice(3);
  yield;
  const counts = new Float64Array(3);
  let at = readNumbers(head, 0, counts, 0, 3);
  if (at < 0) return undefined;
  const [holderCount, gramCount, byGramCount] = counts;
  // Each number takes at least one digit: a larger count cannot be true, and would allocate for nothing.
  if (2 * words.count + 3 * gramCount > head.length - at || holderCount > holderLists.length || byGramCount > byGramLists.length) return undefined;
  const holders = yield* lazyPostings(head, at, words.count, holderCount, itemCount, holderLists);
  if (!holders) return undefined;
  const gramKeys = new Float64Array(gramCount);
  at = readNumbers(head, holders.end, gramKeys, 0, gramCount);
  if (at < 0) return undefined;
  // Keys of word starts are negative, written zigzag.
  for (let g = 0; g < gramCount; g++) gramKeys[g] = unzigzag(gramKeys[g]);
  const byGram = yield* lazyPostings(head, at, gramCount, byGramCount, words.count, byGramLists);
  if (!byGram || byGram.end !== head.length) return undefined;
  return { itemCount, words, holders: holders.postings, gramKeys, byGram: byGram.postings };
}

/**
 * `keyCount` lists holding `valueCount` values in all, each read from
 * `lists` when first asked for: their lengths and numbers of digits are read
 * from `head` at `at`, with where they end there. Undefined unless the
 * lengths and digits add up.
 */
function* lazyPostings(head: string, at: number, keyCount: number, valueCount: number, bound: number, lists: string): Steps<{ postings: Postings; end: number } | undefined> {
  const sizes = new Int32Array(2 * keyCount);
  const end = readInts(head, at, sizes, 0, 2 * keyCount);
  if (end < 0) return undefined;
  yield;
  const start = new Int32Array(keyCount + 1);
  const digitStart = new Int32Array(keyCount + 1);
  for (let k = 0, values = 0, digits = 0; k < keyCount; k++) {
    values += sizes[2 * k];
    digits += sizes[2 * k + 1];
    // Each value takes a digit at least.
    if (values > valueCount || digits > lists.length || sizes[2 * k] > sizes[2 * k + 1]) return undefined;
    start[k + 1] = values;
    digitStart[k + 1] = digits;
  }
  if (start[keyCount] !== valueCount || digitStart[keyCount] !== lists.length) return undefined;
  const values = new Int32Array(valueCount);
  return { postings: { start, values, lazy: new LazyLists(lists, digitStart, start, values, bound) }, end };
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

/**
 * `readNumbers` into 32-bit integers, for counts and ids; -1 as well for a
 * number that does not fit. A copy rather than one function over both kinds
 * of array, so that the loop over a library's lists stores into one kind.
 */
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

/**
 * The `count` numbers `encodeNumbers` wrote into `digits`; undefined unless
 * the digits hold exactly that many, each below 2 ** 31. Read into 32-bit
 * integers: a number read from a `Float64Array` is a double, which code not
 * yet optimized boxes at each use; 50,000 references made from a library's
 * places allocated some 22 MB that way.
 */
export function decodeNumbers(digits: string, count: number): Int32Array | undefined {
  if (count > digits.length) return undefined;
  const numbers = new Int32Array(count);
  return readInts(digits, 0, numbers, 0, count) === digits.length ? numbers : undefined;
}

/** A signed whole number as one from 0 up: 0, -1, 1, -2, 2 … as 0, 1, 2, 3, 4 … */
export function zigzag(value: number): number {
  return value >= 0 ? 2 * value : -2 * value - 1;
}

export function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}
