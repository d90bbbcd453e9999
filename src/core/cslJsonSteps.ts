import { LineMap } from './lineMap';
import type { CslItem, Reference, SourceLocation } from './model';
import { CslJsonItems, cslItemOf, maxJsonDepth, parseCslJson, type Bibliography } from './registry';
import { referenceSearchFields } from './format';
import { IntList } from './intList';
import { runNow, scanChunk, type Steps } from './steps';

/*
 * A large CSL-JSON file read in steps. `JSON.parse` of a 50,000-item library
 * holds the event loop for a few hundred milliseconds, so the items are found
 * first by a scan that knows strings and brackets, then parsed a step's items
 * at a time, as one array, or one at a time where that array does not parse
 * into as many items. The items' text is parsed by `JSON.parse` itself, and
 * the scan accepts only commas and whitespace between items, so a file the
 * steps accept is one `JSON.parse` accepts, with the same items. Anything
 * else is read by `parseCslJson`, whose diagnostic says where the JSON breaks.
 */

/** Items added between two steps. */
const itemsPerStep = 64;

interface Element {
  readonly start: number;
  readonly end: number;
  /** Deepest bracket nesting inside the element, counting its own. */
  readonly depth: number;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && isJsonSpace(text.charCodeAt(at))) at++;
  return at;
}

/** The offset just past the string that opens at `at`, or -1 when it is not closed. */
function stringEnd(text: string, at: number): number {
  for (let quote = text.indexOf('"', at + 1); quote >= 0; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
  }
  return -1;
}

/** Where a scan of a JSON array or object stands between two steps. */
class ElementScan {
  readonly elements: Element[] = [];
  depth = 0;
  deepest = 0;
  start: number;
  /** Where the next chunk starts: a string may run past the end of the last one. */
  resume: number;

  constructor(readonly open: number) {
    this.start = open + 1;
    this.resume = open;
  }

  /**
   * Scans `text[from, to)`: the offset past the closing bracket once found, -1
   * while scanning, -2 when the text is not what the steps take. Kept out of
   * the generator, which V8 optimizes less well.
   */
  scan(text: string, from: number, to: number): number {
    let { depth, deepest } = this;
    let i = from;
    for (; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        const end = stringEnd(text, i);
        if (end < 0) return -2;
        i = end - 1;
      } else if (c === 0x5b || c === 0x7b) {
        if (++depth > deepest) deepest = depth;
      } else if (c === 0x5d || c === 0x7d) {
        if (--depth === 0) {
          // Brackets are counted alike; an element's own are checked when it is parsed, the outer pair here.
          if (c !== (text.charCodeAt(this.open) === 0x5b ? 0x5d : 0x7d)) return -2;
          const empty = skipSpace(text, this.start) === i;
          if (empty && this.elements.length > 0) return -2;
          if (!empty) this.elements.push({ start: this.start, end: i, depth: deepest - 1 });
          return i + 1;
        }
      } else if (c === 0x2c && depth === 1) {
        this.elements.push({ start: this.start, end: i, depth: deepest - 1 });
        this.start = i + 1;
        deepest = 1;
      }
    }
    this.depth = depth;
    this.deepest = deepest;
    this.resume = i;
    return -1;
  }
}

/**
 * The elements of the JSON array or the members of the JSON object that opens
 * at `open`, and the offset past its end; undefined when the brackets do not
 * close or an element is empty.
 */
function* elementsOf(text: string, open: number): Steps<{ elements: Element[]; end: number } | undefined> {
  const scan = new ElementScan(open);
  while (scan.resume < text.length) {
    const end = scan.scan(text, scan.resume, Math.min(text.length, scan.resume + scanChunk));
    if (end >= 0) return { elements: scan.elements, end };
    if (end === -2) return undefined;
    yield;
  }
  return undefined;
}

/** Brackets counted before an item is taken to nest too deeply to keep uncopied. */
const bracketBudget = maxJsonDepth - 4;

/**
 * The items of a top-level array laid out one block of lines per item, as
 * `JSON.stringify` with indentation and reference managers write them, found
 * without reading every character: a raw line break is never inside a JSON
 * string, so each item ends where a line holds its closing `}` at the
 * indentation of its opening `{`. Undefined when the layout is not that.
 *
 * The guess needs no proof of its own: it leaves only commas and whitespace
 * between items, and once each item parses whole, JSON's grammar allows no
 * other reading of the array. A guessed item that does not parse sends the
 * read back to `itemsArray`.
 */
function* guessedItems(text: string): Steps<Element[] | undefined> {
  const open = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text.charCodeAt(open) !== 0x5b) return undefined;
  let start = skipSpace(text, open + 1);
  const lineStart = text.lastIndexOf('\n', start) + 1;
  if (text.charCodeAt(start) !== 0x7b || lineStart <= open || skipSpace(text, lineStart) !== start) return undefined;
  const closing = `\n${text.slice(lineStart, start)}}`;
  const elements: Element[] = [];
  for (;;) {
    const close = text.indexOf(closing, start);
    if (close < 0) return undefined;
    const end = close + closing.length;
    elements.push({ start, end, depth: bracketCount(text, start, end) });
    const after = skipSpace(text, end);
    const c = text.charCodeAt(after);
    if (c === 0x5d) return skipSpace(text, after + 1) === text.length ? elements : undefined;
    if (c !== 0x2c) return undefined;
    start = skipSpace(text, after + 1);
    if (text.charCodeAt(start) !== 0x7b) return undefined;
    if (elements.length % guessesPerStep === 0) yield;
  }
}

/** Items found from the layout between two steps: each costs a search through one item's text. */
const guessesPerStep = 2048;

/** Opening brackets in `text[start, end)`, strings included, up to the budget: a bound on how deep the item nests. */
function bracketCount(text: string, start: number, end: number): number {
  // Searched in the item alone: a search of the text would run on to the next bracket, for every item to the end of a file without one.
  const item = text.slice(start, end);
  let count = 0;
  for (const bracket of ['{', '[']) {
    for (let at = item.indexOf(bracket); at >= 0 && count < bracketBudget; at = item.indexOf(bracket, at + 1)) count++;
  }
  return count;
}

/** Where the items array of a CSL-JSON file is, or undefined when only `parseCslJson` can tell. */
function* itemsArray(text: string): Steps<Element[] | undefined> {
  const first = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  const opening = text.charCodeAt(first);
  const top = opening === 0x5b || opening === 0x7b ? yield* elementsOf(text, first) : undefined;
  if (!top || skipSpace(text, top.end) !== text.length) return undefined;
  if (opening === 0x5b) return top.elements;
  // `{"items": [...]}`: other members are parsed whole, to check them; the last `items` wins, as in JSON.parse.
  let items: Element[] | undefined;
  for (const member of top.elements) {
    const keyStart = skipSpace(text, member.start);
    const keyEnd = text.charCodeAt(keyStart) === 0x22 ? stringEnd(text, keyStart) : -1;
    const colon = keyEnd < 0 ? -1 : skipSpace(text, keyEnd);
    if (colon < 0 || text.charCodeAt(colon) !== 0x3a) return undefined;
    const valueStart = skipSpace(text, colon + 1);
    const key = tryJson(text.slice(keyStart, keyEnd));
    if (text.charCodeAt(valueStart) === 0x5b && key === 'items') {
      const value = yield* elementsOf(text, valueStart);
      if (!value || skipSpace(text, value.end) !== member.end) return undefined;
      items = value.elements;
    } else {
      if (tryJson(`{${text.slice(member.start, member.end)}}`) === undefined) return undefined;
      if (key === 'items') items = undefined;
      yield;
    }
  }
  return items;
}

/** Parsed JSON, or undefined (which JSON cannot spell) when it is not JSON. */
function tryJson(source: string): unknown {
  try {
    return JSON.parse(source) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Finds text that would make a parsed item unsafe to keep as it is (a
 * prototype key, or an escape that could spell one) in items met in file
 * order. Each needle is searched for once past each occurrence, so the whole
 * file costs a few `indexOf` scans, not one test per item; and a window at a
 * time, so that a needle the file lacks is not searched for to its end, 18 MB
 * in 20 ms, within one step.
 */
export class UnsafeText {
  private readonly needles = ['__proto__', 'constructor', 'prototype', '\\u'];
  /** The first occurrence of each needle at or after where the last item began, if it starts before `searchedTo`; else Infinity. */
  private readonly next = this.needles.map(() => Infinity);
  /** How far each needle's occurrences are known: where the next window starts. */
  private readonly searchedTo = this.needles.map(() => 0);

  constructor(
    private readonly text: string,
    /** Characters searched at a time, past the item asked about; tests set it low. */
    private readonly window = scanChunk,
  ) {}

  /** Whether a needle starts in `[start, end)`; `start` never goes back from one call to the next. */
  within(start: number, end: number): boolean {
    const text = this.text;
    for (let n = 0; n < this.needles.length; n++) {
      // An occurrence before the item says nothing of what follows it: search again from the item.
      if (this.next[n] < start || this.searchedTo[n] < start) {
        this.next[n] = Infinity;
        this.searchedTo[n] = start;
      }
      const needle = this.needles[n];
      while (this.next[n] === Infinity && this.searchedTo[n] < end) {
        const from = this.searchedTo[n];
        const to = Math.min(text.length, Math.max(end, from + this.window));
        // The window's last occurrence may run past `to`.
        const found = text.slice(from, to + needle.length - 1).indexOf(needle);
        if (found >= 0) this.next[n] = from + found;
        this.searchedTo[n] = to;
      }
      if (this.next[n] < end) return true;
    }
    return false;
  }
}

/**
 * Reads a CSL-JSON bibliography in steps of a few milliseconds each, with the
 * same result as `parseCslJson`, and the file's line map, whose lines are found
 * when first asked for: the references' lines are counted, forward, when one
 * is first asked for (see `LinesLater`).
 */
export function* cslJsonSteps(uri: string, text: string): Steps<{ bibliography: Bibliography; lines: LineMap }> {
  const lines = new LineMap(text);
  const guessed = yield* guessedItems(text);
  if (guessed) {
    const bibliography = yield* itemsOf(uri, text, lines, guessed);
    if (bibliography) return { bibliography, lines };
  }
  const elements = yield* itemsArray(text);
  const bibliography = elements && (yield* itemsOf(uri, text, lines, elements));
  return { bibliography: bibliography ?? parseCslJson(uri, text), lines };
}

/** The bibliography of these items, each parsed on its own; undefined if one is not JSON. */
function* itemsOf(uri: string, text: string, lines: LineMap, elements: readonly Element[]): Steps<Bibliography | undefined> {
  const items = new CslJsonItems(uri, text, lines);
  const unsafe = new UnsafeText(text);
  const places = new IntList(Math.max(16, 2 * elements.length));
  // Items are parsed here to be checked, and kept as their text, each parsed again when first read: kept, the parses
  // of a large library, some 20 MB, were copied by the engine's young-generation collections, which on Node 24 held
  // the event loop past 50 ms. What the citation search reads of each is kept instead, as one string.
  const parsed = new ItemsInText(text);
  // The next reference's item is the next pair of places.
  const inText = (raw: CslItem, id: string, source: SourceLocation): Reference => new ItemReference(id, source, parsed, places.length / 2, searchText(raw, id));
  for (let from = 0; from < elements.length; from += itemsPerStep) {
    const to = Math.min(elements.length, from + itemsPerStep);
    // A step's items parsed as one array, in one call rather than one an item; should that fail, each alone, to find which does.
    const asArray = tryJson(`[${text.slice(elements[from].start, elements[to - 1].end)}]`);
    const stepItems = Array.isArray(asArray) && asArray.length === to - from ? (asArray as unknown[]) : undefined;
    for (let i = from; i < to; i++) {
      const { start, end, depth } = elements[i];
      const raw = stepItems ? stepItems[i - from] : tryJson(text.slice(start, end));
      if (raw === undefined) return undefined;
      // Most items need no safe copy: the copy is a third of the time of the read.
      const safe = depth < bracketBudget && !unsafe.within(start, end);
      if (items.add(raw, safe, inText)) {
        places.push(start);
        places.push(end);
      }
    }
    if (to - from === itemsPerStep) yield;
  }
  const bibliography = items.result();
  const placesOfItems = places.toArray();
  parsed.placed(placesOfItems);
  itemPlaces.set(bibliography, placesOfItems);
  return bibliography;
}

/** Where a reference whose item is kept as text, or in a record's line, finds it. */
export interface ItemSource {
  item(index: number, id: string): CslItem;
}

/**
 * The items of a library read in steps or served from its record, each
 * parsed from its place in the text when first read, and kept.
 */
export class ItemsInText implements ItemSource {
  private items: (CslItem | undefined)[];

  constructor(
    private readonly text: string,
    /** Where each reference's item starts and ends, two numbers a reference; given once known, before any item is read. */
    private places: Int32Array = new Int32Array(0),
  ) {
    this.items = new Array<CslItem | undefined>(places.length / 2);
  }

  placed(places: Int32Array): void {
    this.places = places;
    this.items = new Array<CslItem | undefined>(places.length / 2);
  }

  item(index: number, id: string): CslItem {
    // The item was checked when the library was read, so it parses; an id alone stands in should it not.
    return (this.items[index] ??= cslItemAt(this.text, this.places[2 * index], this.places[2 * index + 1], id) ?? { id });
  }
}

/** The texts the citation search reads of an item, one after another, separated by a character that is never part of a word. */
function searchText(item: CslItem, id: string): string {
  const texts: string[] = [];
  referenceSearchFields(item, id, (text) => texts.push(text));
  return texts.join('\n');
}

/**
 * A reference whose item is read from elsewhere when first asked for. A
 * class, not an object with a getter: 50,000 such objects took 40 to 120 ms
 * to make, these a few.
 */
export class ItemReference implements Reference {
  readonly #items: ItemSource;
  readonly #index: number;

  constructor(
    readonly id: string,
    readonly source: SourceLocation,
    items: ItemSource,
    index: number,
    /** What the citation search reads of the item, its texts one after another; kept by a library read in steps. */
    readonly searchText?: string,
  ) {
    this.#items = items;
    this.#index = index;
  }

  get item(): CslItem {
    return this.#items.item(this.#index, this.id);
  }

  /** Written out as a parsed reference is. */
  toJSON(): Reference {
    return { id: this.id, item: this.item, source: this.source };
  }
}

/** What the citation search reads of a reference read in steps, as one text; undefined for others, whose items it reads. */
export function searchTextOf(reference: Reference): string | undefined {
  return reference instanceof ItemReference ? reference.searchText : undefined;
}

/** Where the item of each reference of a library read in pieces is written: its start and end, reference by reference. */
const itemPlaces = new WeakMap<Bibliography, Int32Array>();

/**
 * The start and end of each reference's item in the text, two numbers a
 * reference, for a CSL-JSON library read by `cslJsonSteps` in pieces; undefined
 * for one read whole, whose items' places are not known.
 */
export function itemPlacesOf(bibliography: Bibliography): Int32Array | undefined {
  return itemPlaces.get(bibliography);
}

/**
 * The item of reference `id` written at `text[start, end)`, parsed as
 * `cslJsonSteps` parses it; undefined unless it is a JSON object with that id.
 */
function cslItemAt(text: string, start: number, end: number, id: string): CslItem | undefined {
  const source = text.slice(start, end);
  const raw = tryJson(source);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const rawId = (raw as CslItem).id;
  if ((typeof rawId !== 'string' && typeof rawId !== 'number') || String(rawId) !== id) return undefined;
  const copied = bracketCount(text, start, end) < bracketBudget && !new UnsafeText(source).within(0, source.length);
  return cslItemOf(raw, id, copied, { deep: false });
}

/** The stepped read of a CSL-JSON bibliography, at once: the same result as `parseCslJson`. */
export function parseCslJsonInPieces(uri: string, text: string): Bibliography {
  return runNow(cslJsonSteps(uri, text)).bibliography;
}
