import { isWordChar, codePointAt, codePointBefore } from './chars';
import type { Registry } from './model';
import { runNow, type Steps } from './steps';

export interface NameCandidate {
  readonly name: string;
  /** Person keys that claim this name; more than one means ambiguous. */
  readonly keys: readonly string[];
  readonly firstWordLength: number;
}

const noCandidate: NameCandidate = { name: '', keys: [], firstWordLength: 0 };

/**
 * Finds the names and aliases of a registry in running text. Candidates are
 * grouped by a hash of their first word, so each word of the text costs one
 * map lookup however many people the registry holds, and the word is never
 * cut out of the text to be looked up.
 */
export class NameMatcher {
  /** Candidates by the hash of their first word, longest first; words that share a hash share a list. */
  private readonly byFirstWord = new Map<number, NameCandidate[]>();
  /** First code units of all names, as a table (1 for yes): most words of a text start with none of them. */
  readonly firstUnits = new Uint8Array(65536);
  /**
   * The first two code units of every first word, hashed into a table: with
   * thousands of people nearly every capital letter starts some name, but
   * few of the capitalised words of a text ("The", "In") start with the
   * two letters of one, so most are passed over before their word is cut out
   * and looked up. A collision only costs that lookup.
   */
  private readonly firstPairs = new Uint8Array(65536);
  /** The candidate the last successful `matchAt` found. */
  matched: NameCandidate = noCandidate;

  /**
   * Adds the names, in steps of a few thousand: a registry of ten thousand
   * people has some thirty thousand names and aliases, which take tens of
   * milliseconds to add in an extension host.
   */
  *fill(names: ReadonlyMap<string, readonly string[]>, includeKey: (key: string) => boolean): Steps<void> {
    let count = 0;
    for (const [name, allKeys] of names) {
      if (++count % namesPerStep === 0) yield;
      const keys = allKeys.filter(includeKey);
      if (keys.length === 0 || name.length === 0) continue;
      const first = leadingWord(name);
      if (first === '') continue;
      const hash = wordHash(first, 0, first.length);
      let list = this.byFirstWord.get(hash);
      if (!list) {
        list = [];
        this.byFirstWord.set(hash, list);
      }
      list.push({ name, keys, firstWordLength: first.length });
      this.firstUnits[name.charCodeAt(0)] = 1;
      this.firstPairs[pairKey(first.charCodeAt(0), first.length > 1 ? first.charCodeAt(1) : -1)] = 1;
    }
    for (const list of this.byFirstWord.values()) {
      if (list.length > 1) list.sort((a, b) => b.name.length - a.name.length);
      if (++count % namesPerStep === 0) yield;
    }
  }

  get isEmpty(): boolean {
    return this.byFirstWord.size === 0;
  }

  /**
   * Could a name start at `start`, a word start whose first unit is `unit`?
   * False means certainly not; true means perhaps.
   */
  mayStartAt(src: string, start: number, unit: number): boolean {
    if (this.firstUnits[unit] !== 1) return false;
    const next = src.charCodeAt(start + 1);
    // Past a surrogate the second character is not one code unit: no shortcut.
    if (next >= 0xd800 && next <= 0xdfff) return true;
    return this.firstPairs[pairKey(unit, isWordChar(next) ? next : -1)] === 1;
  }

  /**
   * The longest name that starts at `start`, whose first word ends at
   * `wordEnd` (and hashes to `hash`, if the caller made it along the way),
   * and that ends at a word boundary. Spaces in a name match any run of
   * spaces, across at most one line break. Returns where the name ends, with
   * its candidate in `matched`, or -1: no object per match, as a text holds tens of thousands.
   */
  matchAt(src: string, start: number, wordEnd: number, hash = wordHash(src, start, wordEnd)): number {
    const list = this.byFirstWord.get(hash);
    if (!list) return -1;
    const wordLength = wordEnd - start;
    for (const candidate of list) {
      // A candidate of another first word that shares the hash fails here or in `matchName`.
      if (candidate.firstWordLength !== wordLength) continue;
      const end = matchName(src, start, candidate.name);
      if (end >= 0) {
        this.matched = candidate;
        return end;
      }
    }
    return -1;
  }
}

/** A hash of the code units of `text` in `[start, end)`, kept to 30 bits so that it is a small integer: a map looks those up fastest. */
function wordHash(text: string, start: number, end: number): number {
  let hash = 0;
  for (let i = start; i < end; i++) hash = nextWordHash(hash, text.charCodeAt(i));
  return hash;
}

/** The hash of a word one code unit longer. */
export function nextWordHash(hash: number, unit: number): number {
  return (Math.imul(hash, 31) + unit) & 0x3fffffff;
}

/** A hash of a word's first two code units (`second` is -1 for a one-letter word). */
function pairKey(first: number, second: number): number {
  return (first * 7919 + second + 1) & 0xffff;
}

function leadingWord(name: string): string {
  let i = 0;
  while (i < name.length) {
    const cp = codePointAt(name, i);
    if (!isWordChar(cp)) break;
    i += cp > 0xffff ? 2 : 1;
  }
  return name.slice(0, i);
}

function isSpaceOrTab(c: number): boolean {
  return c === 32 || c === 9 || c === 0xa0;
}

function matchName(src: string, start: number, name: string): number {
  let j = start;
  let k = 0;
  while (k < name.length) {
    const nc = name.charCodeAt(k);
    if (nc === 32) {
      while (name.charCodeAt(k) === 32) k++;
      let consumed = 0;
      while (isSpaceOrTab(src.charCodeAt(j))) {
        j++;
        consumed++;
      }
      if (src.charCodeAt(j) === 10) {
        j++;
        consumed++;
        while (isSpaceOrTab(src.charCodeAt(j))) j++;
      }
      if (consumed === 0) return -1;
      continue;
    }
    if (src.charCodeAt(j) !== nc) return -1;
    j++;
    k++;
  }
  return isWordChar(codePointAt(src, j)) ? -1 : j;
}

/** Is `i` the start of a word: a word character with none just before it? */
export function isWordStart(src: string, i: number): boolean {
  return isWordChar(codePointAt(src, i)) && !isWordChar(codePointBefore(src, i));
}

/** Names added per step: some 3 ms in an extension host. */
const namesPerStep = 2048;

const matcherCache = new WeakMap<Registry, Map<string, NameMatcher>>();

/** The matcher for a registry, built once per registry and option set. */
export function nameMatcherFor(registry: Registry, implicitMentions: boolean): NameMatcher {
  return runNow(nameMatcherSteps(registry, implicitMentions));
}

/** `nameMatcherFor`, built in steps when it is not built yet. */
export function* nameMatcherSteps(registry: Registry, implicitMentions: boolean): Steps<NameMatcher> {
  let byOption = matcherCache.get(registry);
  if (!byOption) {
    byOption = new Map();
    matcherCache.set(registry, byOption);
  }
  const cacheKey = implicitMentions ? 'on' : 'off';
  const cached = byOption.get(cacheKey);
  if (cached) return cached;
  const matcher = new NameMatcher();
  yield* matcher.fill(implicitMentions ? registry.names : new Map(), (key) => registry.people.get(key)?.implicit !== false);
  // Another build may have made one meanwhile: the first stays, so that both builds share it.
  const made = byOption.get(cacheKey) ?? matcher;
  byOption.set(cacheKey, made);
  return made;
}
