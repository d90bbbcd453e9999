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

/** Fuzzy search over references by author, year, title and key, best first. */
export class ReferenceSearch {
  private readonly fuse: Fuse<ReferenceRecord>;
  private readonly records: ReferenceRecord[];

  constructor(references: Iterable<Reference>) {
    this.records = [...references].map((reference) => ({
      reference,
      authors: authorNames(reference.item),
      year: yearOf(reference.item.issued),
      title: typeof reference.item.title === 'string' ? reference.item.title : '',
      id: reference.id,
    }));
    this.fuse = new Fuse(this.records, {
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
    });
  }

  search(query: string, limit = 50): Reference[] {
    const q = query.trim();
    if (q === '') return this.records.slice(0, limit).map((r) => r.reference);
    const words = q.split(/\s+/);
    if (words.length === 1) return this.fuse.search(q, { limit }).map((r) => r.item.reference);
    // Every word must match some field; rank by the sum of the words' scores.
    const scores = new Map<ReferenceRecord, number>();
    words.forEach((word, w) => {
      const hits = this.fuse.search(word);
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
