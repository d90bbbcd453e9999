import Fuse from 'fuse.js';
import { authorsShort, yearOf } from './format';
import type { CslItem, CslName, Person, Reference } from './model';

interface ReferenceRecord {
  readonly reference: Reference;
  readonly authors: string;
  readonly year: string;
  readonly title: string;
  readonly id: string;
}

/** Fuse.js options for references, shared by the full set and the prefiltered candidates. */
const referenceFuseOptions = {
  keys: [
    { name: 'authors', weight: 3 },
    { name: 'year', weight: 1 },
    { name: 'title', weight: 2 },
    { name: 'id', weight: 2 },
  ],
  ignoreLocation: true,
  includeScore: true,
  threshold: 0.4,
  // Queries like "woodcock 1950" mix fields: each word is matched on its own.
  useExtendedSearch: false,
};

/** Above this many references, a prefilter hands fuse.js only the likeliest candidates. */
const prefilterFrom = 2000;
/** How many candidates the prefilter keeps for fuse.js to rank. */
const candidateCount = 300;

/**
 * Fuzzy search over references by author, year, title and key, best first.
 * Fuse.js ranks; over a large library it sees only the candidates that share
 * the most three-letter pieces (or a prefix) with the query, because it costs
 * hundreds of milliseconds per keystroke over 50,000 items. Fuse.js scores
 * each item on its own, so the order among candidates is the order it would
 * give over the whole library.
 */
export class ReferenceSearch {
  private readonly fuse: Fuse<ReferenceRecord>;
  private readonly records: ReferenceRecord[];
  private readonly prefilter: TokenPrefilter | null;

  constructor(references: Iterable<Reference>) {
    this.records = [...references].map((reference) => ({
      reference,
      authors: authorNames(reference.item),
      year: yearOf(reference.item.issued),
      title: typeof reference.item.title === 'string' ? reference.item.title : '',
      id: reference.id,
    }));
    this.prefilter = this.records.length >= prefilterFrom ? new TokenPrefilter(this.records.map((r) => `${r.authors} ${r.year} ${r.title} ${r.id}`)) : null;
    // Over a large library the full index is only needed for the empty query, so it is not built.
    this.fuse = new Fuse(this.prefilter ? [] : this.records, referenceFuseOptions);
  }

  search(query: string, limit = 50): Reference[] {
    const q = query.trim();
    if (q === '') return this.records.slice(0, limit).map((r) => r.reference);
    const words = q.split(/\s+/);
    const fuse = this.prefilter ? new Fuse(this.prefilter.candidates(words, candidateCount).map((i) => this.records[i]), referenceFuseOptions) : this.fuse;
    if (words.length === 1) return fuse.search(q, { limit }).map((r) => r.item.reference);
    // Every word must match some field; rank by the sum of the words' scores.
    const scores = new Map<ReferenceRecord, number>();
    words.forEach((word, w) => {
      const hits = fuse.search(word);
      const seen = new Set<ReferenceRecord>();
      for (const hit of hits) {
        if (w > 0 && !scores.has(hit.item)) continue;
        seen.add(hit.item);
        scores.set(hit.item, (scores.get(hit.item) ?? 0) + (hit.score ?? 1));
      }
      for (const record of [...scores.keys()]) if (!seen.has(record)) scores.delete(record);
    });
    return [...scores.entries()].sort((a, b) => a[1] - b[1]).slice(0, limit).map(([r]) => r.reference);
  }
}

/**
 * The words of every item, and for each three-letter piece the words that hold
 * it, so a query word finds the items with similar words without reading them all.
 */
class TokenPrefilter {
  private readonly tokens: string[] = [];
  /** For each token, the items that hold it. */
  private readonly holders: number[][] = [];
  private readonly byTrigram = new Map<string, number[]>();

  constructor(texts: readonly string[]) {
    const tokenIds = new Map<string, number>();
    texts.forEach((text, item) => {
      for (const token of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
        if (token === '') continue;
        let id = tokenIds.get(token);
        if (id === undefined) {
          id = this.tokens.length;
          tokenIds.set(token, id);
          this.tokens.push(token);
          this.holders.push([]);
          for (const gram of trigrams(token)) {
            const list = this.byTrigram.get(gram);
            if (list) list.push(id);
            else this.byTrigram.set(gram, [id]);
          }
        }
        const holders = this.holders[id];
        if (holders[holders.length - 1] !== item) holders.push(item);
      }
    });
    // Sorted now, with the library, so that the first keystroke does not pay for it.
    this.sortedTokens();
  }

  private sorted: number[] | null = null;

  private sortedTokens(): number[] {
    this.sorted ??= this.tokens.map((_, id) => id).sort((a, b) => (this.tokens[a] < this.tokens[b] ? -1 : this.tokens[a] > this.tokens[b] ? 1 : 0));
    return this.sorted;
  }

  /** The items most like the query: each must resemble every word, ranked by how closely, at most `limit`. */
  candidates(words: readonly string[], limit: number): number[] {
    let total: Map<number, number> | null = null;
    for (const raw of words) {
      const word = raw.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
      if (word === '') continue;
      const scores = new Map<number, number>();
      for (const [token, similarity] of this.similarTokens(word)) {
        for (const item of this.holders[token]) {
          if (total && !total.has(item)) continue;
          if ((scores.get(item) ?? 0) < similarity) scores.set(item, similarity);
        }
      }
      if (total) for (const [item, score] of scores) scores.set(item, score + (total.get(item) ?? 0));
      total = scores;
    }
    if (!total) return [];
    return [...total.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, limit)
      .map(([item]) => item)
      .sort((a, b) => a - b);
  }

  /** Tokens like `word`, with a similarity: the share of its three-letter pieces they hold, more for a prefix. */
  private similarTokens(word: string): Map<number, number> {
    const found = new Map<number, number>();
    if (word.length < 3) {
      // Too short for pieces: the tokens that start with it, found by bisection in the sorted tokens.
      const sorted = this.sortedTokens();
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.tokens[sorted[mid]] < word) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo; k < sorted.length && this.tokens[sorted[k]].startsWith(word); k++) found.set(sorted[k], 1);
      return found;
    }
    const grams = [...new Set(trigrams(word))];
    for (const gram of grams) {
      for (const id of this.byTrigram.get(gram) ?? []) found.set(id, (found.get(id) ?? 0) + 1);
    }
    for (const [id, shared] of found) {
      const token = this.tokens[id];
      found.set(id, shared / grams.length + (token.startsWith(word) ? 1 : 0) - Math.abs(token.length - word.length) * 0.01);
    }
    return found;
  }
}

function trigrams(token: string): string[] {
  if (token.length < 3) return [];
  const grams: string[] = [];
  for (let i = 0; i + 3 <= token.length; i++) grams.push(token.slice(i, i + 3));
  return grams;
}

function authorNames(item: CslItem): string {
  const names = (Array.isArray(item.author) ? item.author : []) as CslName[];
  return [authorsShort(item), ...names.map((n) => [n.given, n.family, n.literal].filter(Boolean).join(' '))].join(' ');
}

/** Fuzzy search over people by name and aliases. */
export class PeopleSearch {
  private readonly fuse: Fuse<Person>;

  constructor(private readonly people: Iterable<Person>) {
    this.fuse = new Fuse([...people], {
      keys: [
        { name: 'name', weight: 3 },
        { name: 'aliases', weight: 2 },
        { name: 'key', weight: 1 },
      ],
      ignoreLocation: true,
      threshold: 0.4,
    });
  }

  search(query: string, limit = 50): Person[] {
    const q = query.trim();
    if (q === '') return [...this.people].slice(0, limit);
    return this.fuse.search(q, { limit }).map((r) => r.item);
  }
}
