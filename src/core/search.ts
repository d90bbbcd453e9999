import Fuse, { type FuseIndex, type IFuseOptions } from 'fuse.js';
import { authorsShort, referenceSearchFields, yearOf } from './format';
import { IntList } from './intList';
import type { CslItem, CslName, Person, Reference, Registry } from './model';
import { entriesInOrder, LayeredReferences } from './referenceLayers';
import { mergeRegistrySteps, type RegistrySource } from './registry';
import { searchTextOf } from './cslJsonSteps';
import { decodePrefilterTables, encodePrefilterTables, listEnd, WordArray, type Postings, type PrefilterTables, type WordList } from './searchTables';
import { runInSlices, type Scheduler, type SliceOptions, type Steps } from './steps';

/**
 * Fuzzy search over references and people for the pickers. Fuse.js ranks;
 * over a large library it sees only the candidates a token prefilter picks,
 * because it costs hundreds of milliseconds per keystroke over 50,000 items.
 * Fuse.js scores each item on its own, so the order among candidates is the
 * order it would give over the whole library.
 *
 * Both searches are built on first use, or ahead of it in slices that give
 * the event loop turns (`prepareInSlices`), and are kept per registry
 * (`referenceSearchFor`, `peopleSearchFor`), which is immutable.
 */

/** Above this many items, a prefilter hands fuse.js only the likeliest candidates. */
const prefilterFrom = 2000;
/** How many candidates the prefilter keeps for fuse.js to rank. */
const candidateCount = 300;

interface ReferenceRecord {
  readonly reference: Reference;
  readonly authors: string;
  readonly year: string;
  readonly title: string;
  readonly id: string;
}

/** Fuse.js options for references, shared by the full set and the prefiltered candidates. */
const referenceFuseOptions: IFuseOptions<ReferenceRecord> = {
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

const peopleFuseOptions: IFuseOptions<Person> = {
  keys: [
    { name: 'name', weight: 3 },
    { name: 'aliases', weight: 2 },
    { name: 'key', weight: 1 },
  ],
  ignoreLocation: true,
  includeScore: true,
  threshold: 0.4,
};

/** An entry of a registry, which knows the file it was read from. */
interface Entry {
  readonly source: { readonly uri: string };
}

/** What picks the candidates fuse.js ranks: their indices in order, at most `limit`. */
interface Prefilter {
  candidates(words: readonly string[], limit: number, everyWord: boolean): number[];
}

/**
 * The searches of the files that give a registry a kind of entry, in the
 * order the registry merges them, each with the file's list of them, and the
 * registry's map of those entries. `distinct` is called for a file whose
 * search holds no key twice, which may then serve as the file's search alone.
 */
interface Joined<Item extends Entry, Doc> {
  readonly parts: readonly { readonly search: FuzzySearch<Item, Doc>; readonly list: readonly Item[]; readonly distinct: () => void }[];
  readonly listed: ReadonlyMap<string, Item>;
}

/** Items placed between yields while a joined search finds where the registry lists each file's items. */
const placedPerStep = 1 << 14;

/**
 * What the searches of a registry's files are to the registry's search: each
 * file's prefilter, where the registry lists each of its items (an offset for
 * all of them, or one place each, -1 for an item left out), and how many are left out.
 */
interface JoinedPart {
  readonly prefilter: TokenPrefilter;
  readonly places: number | Int32Array;
  readonly left: number;
}

/** Where a registry lists one file's items, and how many it leaves out. */
type Placing = Pick<JoinedPart, 'places' | 'left'>;

/**
 * The candidates of a registry's items from its files' prefilters. An item's
 * score depends on its own words alone, so each file's best, with room for
 * the items the registry leaves out, hold the registry's best; cut to the
 * limit as one prefilter over all the items cuts (the first among equals),
 * they are the candidates that prefilter would give.
 */
class JoinedPrefilter implements Prefilter {
  constructor(private readonly parts: readonly JoinedPart[]) {}

  candidates(words: readonly string[], limit: number, everyWord: boolean): number[] {
    const items: number[] = [];
    const scores: number[] = [];
    for (const { prefilter, places, left } of this.parts) {
      for (const local of prefilter.candidates(words, limit + left, everyWord)) {
        const item = typeof places === 'number' ? places + local : places[local];
        if (item < 0) continue;
        items.push(item);
        scores.push(prefilter.scoreOf(local));
      }
    }
    // Each file's candidates come in order, and the files in the registry's.
    if (items.length <= limit) return items;
    const best = items.map((_, k) => k).sort((a, b) => scores[b] - scores[a] || items[a] - items[b]);
    return best
      .slice(0, limit)
      .map((k) => items[k])
      .sort((a, b) => a - b);
  }
}

/**
 * What the two searches share: fuse.js over the items, behind a token
 * prefilter for large sets, built lazily and optionally in slices.
 */
abstract class FuzzySearch<Item extends Entry, Doc> {
  protected readonly items: readonly Item[];
  private built: Built<Item, Doc> | undefined;
  private build: SteppedBuild<Built<Item, Doc>> | undefined;
  /** The prefilter of a set too small to use one itself, made when a joined search asks for it. */
  private ownPrefilter: SteppedBuild<TokenPrefilter> | undefined;

  private builtFromTables = false;

  constructor(
    items: Iterable<Item>,
    private readonly options: IFuseOptions<Doc>,
    /** Whether fuse.js matches each word of a query on its own, so that the words may match different fields. */
    private readonly wordByWord: boolean,
    /** The prefilter's tables, as `tablesSteps` gave them for the same items; built afresh if they do not read back. */
    private recordedTables?: string,
    /** The searches of the files the items come from, whose prefilters this one reads rather than building its own. */
    private readonly joined?: Joined<Item, Doc>,
  ) {
    // An array is copied in one move; spreading its iterator reads 50,000 items one by one.
    this.items = Array.isArray(items) ? (items as readonly Item[]).slice() : [...items];
  }

  /** Whether the prefilter came from recorded tables rather than from reading the items; for a joined search, one of its files' did. */
  get fromRecordedTables(): boolean {
    return this.builtFromTables;
  }

  /** The key a registry lists the item by. */
  protected abstract keyOf(item: Item): string;

  /**
   * The prefilter over the items, for a joined search to read: this search's
   * own, or for a set too small to need one, one made for the purpose.
   */
  private *prefilterSteps(): Steps<TokenPrefilter> {
    if (this.items.length >= prefilterFrom) {
      const built = (this.built ??= yield* this.stepped().shared());
      if (built.tokenPrefilter) return built.tokenPrefilter;
    }
    this.ownPrefilter ??= new SteppedBuild(buildPrefilter(this.items.length, (i, add) => this.prefilterFields(this.items[i], add)));
    return yield* this.ownPrefilter.shared();
  }

  /**
   * The prefilter of a registry's items from the prefilters of the files that
   * give them: each file's items placed where the registry lists them, or
   * left out where it lists another of the same key, from an earlier file or
   * earlier in the same one. Undefined if the files do not give exactly the
   * registry's items.
   */
  private *joinedPrefilterSteps({ parts, listed }: Joined<Item, Doc>): Steps<JoinedPrefilter | undefined> {
    const placing = this.layeredPlaces(parts, listed) ?? (yield* this.placesSteps(parts, listed));
    const placed = placing.reduce((sum, { places, left }, k) => sum + (typeof places === 'number' ? parts[k].search.items.length : places.length - left), 0);
    if (placed !== this.items.length) return undefined;
    const joined: JoinedPart[] = [];
    for (const [k, { search }] of parts.entries()) joined.push({ prefilter: yield* search.prefilterSteps(), ...placing[k] });
    return new JoinedPrefilter(joined);
  }

  /**
   * Where a registry whose references are read through each file's own map
   * (`LayeredReferences`) lists each file's items: known from what each
   * layer leaves out, without looking up a library's 50,000 keys; undefined
   * for any other registry.
   */
  private layeredPlaces(parts: Joined<Item, Doc>['parts'], listed: ReadonlyMap<string, Item>): Placing[] | undefined {
    if (!(listed instanceof LayeredReferences)) return undefined;
    const { layers } = listed;
    if (layers.length !== parts.length || parts.some(({ search, list }, k) => (list as readonly unknown[]) !== layers[k].list || search.items.length !== list.length)) return undefined;
    let placed = 0;
    return parts.map(({ distinct }, k) => {
      const { list, leftOut } = layers[k];
      // A layer's list holds no id twice: its search is the file's alone too.
      distinct();
      if (leftOut.length === 0) {
        placed += list.length;
        return { places: placed - list.length, left: 0 };
      }
      const places = new Int32Array(list.length);
      for (let i = 0, next = 0; i < list.length; i++) {
        if (next < leftOut.length && leftOut[next] === i) {
          places[i] = -1;
          next++;
        } else places[i] = placed++;
      }
      return { places, left: leftOut.length };
    });
  }

  /** Where the registry lists each file's items, found by looking each up by its key. */
  private *placesSteps(parts: Joined<Item, Doc>['parts'], listed: ReadonlyMap<string, Item>): Steps<Placing[]> {
    // Every item a registry lists comes from one of its files: as many items in all means none is left out.
    const whole = parts.reduce((sum, { search }) => sum + search.items.length, 0) === this.items.length;
    const placing: Placing[] = [];
    let placed = 0;
    // Placed first, so that a file's search is known to be its own before it is built: its record, made meanwhile, takes it.
    for (const { search, distinct } of parts) {
      if (whole) {
        placing.push({ places: placed, left: 0 });
        placed += search.items.length;
        distinct();
        continue;
      }
      const places = new Int32Array(search.items.length);
      let left = 0;
      let repeats = false;
      for (let i = 0; i < search.items.length; i++) {
        const item = search.items[i];
        const listedItem = listed.get(this.keyOf(item));
        if (listedItem === item) places[i] = placed++;
        else {
          places[i] = -1;
          left++;
          repeats ||= listedItem?.source.uri === item.source.uri;
        }
        if (i % placedPerStep === placedPerStep - 1) yield;
      }
      if (!repeats) distinct();
      placing.push({ places, left });
    }
    return placing;
  }

  /**
   * Builds the search in steps and gives its prefilter's tables as text, to
   * be kept and handed to a later search over the same items, in the same
   * order; undefined for a set too small for a prefilter.
   */
  *tablesSteps(): Steps<string | undefined> {
    const built = (this.built ??= yield* this.stepped().shared());
    const tables = built.prefilterTables();
    return tables && (yield* encodePrefilterTables(tables));
  }

  /** The document fuse.js reads for an item. */
  protected abstract doc(item: Item): Doc;
  /** Hands the prefilter the texts of an item it splits into words: those fuse.js will search. */
  protected abstract prefilterFields(item: Item, add: (text: string) => void): void;

  /** Builds everything the first search would, now; returns this. */
  prepare(): this {
    this.ready();
    return this;
  }

  /**
   * Builds the same in slices of a few milliseconds, giving the event loop a
   * turn through `scheduler` between them. Calls share one build (and the
   * first caller's scheduler and options), and a search meanwhile finishes it
   * at once. A cancelled build rejects with `StepsCancelled`, keeps what it
   * has done, and goes on from there when asked again.
   */
  async prepareInSlices(scheduler: Scheduler, options?: SliceOptions): Promise<this> {
    if (!this.built) this.built = await this.stepped().inSlices(scheduler, options);
    return this;
  }

  /** Whether a search answers without building first. */
  get isPrepared(): boolean {
    return this.built !== undefined;
  }

  /** The best matches first, at most `limit`; the first items, in order, for an empty query. */
  protected find(query: string, limit: number): Item[] {
    const q = query.trim();
    if (q === '') return this.items.slice(0, limit);
    const built = this.ready();
    const words = q.split(/\s+/);
    return this.rank(built, this.wordByWord ? words : [q], built.candidates(words), limit);
  }

  /** Each word's score for the items fuse.js has scored it on, kept from one query to the next. */
  private wordScores = new Map<string, Map<number, number>>();

  /**
   * The items fuse.js matches every word on, ranked by the sum of the words'
   * scores, then by the first word's, then in order: for one word, the order
   * fuse.js gives. Fuse.js scores each item on its own, so a word's scores are
   * kept while it stays in the query: typing the second word does not score
   * every candidate on the first again. A word is scored only on the items
   * that match the words before it.
   */
  private rank(built: Built<Item, Doc>, words: readonly string[], candidates: readonly number[] | null, limit: number): Item[] {
    const wordScores = new Map<string, Map<number, number>>();
    let matching = candidates ?? built.items.map((_, i) => i);
    const total = new Map<number, number>();
    let first: ReadonlyMap<number, number> = new Map();
    for (const [w, word] of words.entries()) {
      const scores = wordScores.get(word) ?? this.wordScores.get(word) ?? new Map<number, number>();
      wordScores.set(word, scores);
      const unscored = matching.filter((i) => !scores.has(i));
      if (unscored.length > 0) {
        for (const i of unscored) scores.set(i, -1);
        const fuse = built.fuseOver(unscored.length === built.items.length ? null : unscored);
        for (const hit of fuse.search(word)) scores.set(hit.refIndex, hit.score ?? 1);
      }
      matching = matching.filter((i) => (scores.get(i) ?? -1) >= 0);
      for (const i of matching) total.set(i, (total.get(i) ?? 0) + (scores.get(i) ?? 0));
      if (w === 0) first = scores;
    }
    this.wordScores = wordScores;
    const order = (i: number): number => total.get(i) ?? 0;
    return [...matching]
      .sort((a, b) => order(a) - order(b) || (first.get(a) ?? 0) - (first.get(b) ?? 0) || a - b)
      .slice(0, limit)
      .map((i) => built.items[i]);
  }

  private ready(): Built<Item, Doc> {
    this.built ??= this.stepped().now();
    return this.built;
  }

  private stepped(): SteppedBuild<Built<Item, Doc>> {
    this.build ??= new SteppedBuild(this.buildSteps());
    return this.build;
  }

  private *buildSteps(): Steps<Built<Item, Doc>> {
    const docs = new Docs(this.items.length, (i) => this.doc(this.items[i]), this.options);
    if (this.joined && this.items.length >= prefilterFrom) {
      const prefilter = yield* this.joinedPrefilterSteps(this.joined);
      if (prefilter) {
        this.builtFromTables = this.joined.parts.some(({ search }) => search.builtFromTables);
        return new Built(this.items, docs, this.options, prefilter, null, this.wordByWord);
      }
    }
    if (this.recordedTables !== undefined && this.items.length >= prefilterFrom) {
      const tables = yield* decodePrefilterTables(this.recordedTables, this.items.length);
      this.recordedTables = undefined;
      const prefilter = tables && TokenPrefilter.fromTables(tables);
      if (prefilter) {
        this.builtFromTables = true;
        return new Built(this.items, docs, this.options, prefilter, null, this.wordByWord);
      }
      yield;
    }
    if (this.items.length < prefilterFrom) {
      const all: number[] = [];
      for (let i = 0; i < this.items.length; i++) {
        docs.recordOf(i);
        all.push(i);
        if (i % 64 === 63) yield;
      }
      return new Built(this.items, docs, this.options, null, new Fuse(docs.all, this.options, docs.indexOf(all)), this.wordByWord);
    }
    const prefilter = yield* buildPrefilter(this.items.length, (i, add) => this.prefilterFields(this.items[i], add));
    return new Built(this.items, docs, this.options, prefilter, null, this.wordByWord);
  }
}

/** What fuse.js's index holds for one document. */
type IndexRecord = NonNullable<ReturnType<FuseIndex<unknown>['add']>>;

/**
 * Fuse.js documents and their index records, made the first time an item is
 * a candidate: over a large library most never are.
 */
class Docs<Doc> {
  /** Sparse until every item has been a candidate; fuse.js reads only the candidates' entries. */
  readonly all: Doc[];
  private readonly records: IndexRecord[] = [];
  private readonly scratch: FuseIndex<Doc>;

  constructor(
    count: number,
    private readonly docOf: (item: number) => Doc,
    options: IFuseOptions<Doc>,
  ) {
    this.all = new Array<Doc>(count);
    this.scratch = Fuse.createIndex<Doc>(options.keys ?? [], []);
  }

  recordOf(i: number): IndexRecord {
    let record = this.records[i];
    if (!record) {
      this.all[i] = this.docOf(i);
      // The scratch index turns a document into the record fuse.js searches; only the record is kept.
      record = this.scratch.add(this.all[i], i) ?? { i, $: {} };
      this.scratch.records.length = 0;
      this.records[i] = record;
    }
    return record;
  }

  /** Fuse.js's index of just these items. */
  indexOf(items: readonly number[]): FuseIndex<Doc> {
    return Fuse.parseIndex<Doc>({ keys: this.scratch.keys, records: items.map((i) => this.recordOf(i)) });
  }
}

/** The built search: the prefilter over a large set, else fuse.js over every item. */
class Built<Item, Doc> {
  constructor(
    readonly items: readonly Item[],
    private readonly docs: Docs<Doc>,
    private readonly options: IFuseOptions<Doc>,
    private readonly prefilter: Prefilter | null,
    private readonly fuseOfAll: Fuse<Doc> | null,
    /** Whether a candidate must resemble every word of the query, or may resemble any. */
    private readonly everyWord: boolean,
  ) {}

  /** The prefilter built over these items themselves, if any: a joined search's reads its files'. */
  get tokenPrefilter(): TokenPrefilter | undefined {
    return this.prefilter instanceof TokenPrefilter ? this.prefilter : undefined;
  }

  prefilterTables(): PrefilterTables | undefined {
    return this.tokenPrefilter?.tables();
  }

  /** The items fuse.js should rank for these words, in order; null for all. */
  candidates(words: readonly string[]): readonly number[] | null {
    return this.prefilter ? this.prefilter.candidates(words, candidateCount, this.everyWord) : null;
  }

  /** Fuse.js over these items (null for all), sharing their records with every other query. */
  fuseOver(items: readonly number[] | null): Fuse<Doc> {
    if (items === null && this.fuseOfAll) return this.fuseOfAll;
    return new Fuse(this.docs.all, this.options, this.docs.indexOf(items ?? this.items.map((_, i) => i)));
  }
}

/**
 * Fuzzy search over references by author, year, title and key, best first.
 * Over a large library fuse.js ranks only the candidates that share the most
 * three-letter pieces (or a prefix) with every word of the query.
 */
export class ReferenceSearch extends FuzzySearch<Reference, ReferenceRecord> {
  constructor(references: Iterable<Reference>, recordedTables?: string, joined?: Joined<Reference, ReferenceRecord>) {
    super(references, referenceFuseOptions, true, recordedTables, joined);
  }

  protected keyOf(reference: Reference): string {
    return reference.id;
  }

  search(query: string, limit = 50): Reference[] {
    return this.find(query, limit);
  }

  protected doc(reference: Reference): ReferenceRecord {
    const item = reference.item;
    return { reference, authors: authorNames(item), year: yearOf(item.issued), title: typeof item.title === 'string' ? item.title : '', id: reference.id };
  }

  protected prefilterFields(reference: Reference, add: (text: string) => void): void {
    const kept = searchTextOf(reference);
    if (kept !== undefined) add(kept);
    else referenceSearchFields(reference.item, reference.id, add);
  }
}

/** Fuzzy search over people by name, aliases and key, best first. */
export class PeopleSearch extends FuzzySearch<Person, Person> {
  constructor(people: Iterable<Person>, recordedTables?: string, joined?: Joined<Person, Person>) {
    super(people, peopleFuseOptions, false, recordedTables, joined);
  }

  protected keyOf(person: Person): string {
    return person.key;
  }

  search(query: string, limit = 50): Person[] {
    return this.find(query, limit);
  }

  protected doc(person: Person): Person {
    return person;
  }

  protected prefilterFields(person: Person, add: (text: string) => void): void {
    add(person.name);
    for (const alias of person.aliases) add(alias);
    add(person.key);
  }
}

/** The searches kept of one kind of entry. */
interface KeptSearches<Item extends Entry, Doc, S extends FuzzySearch<Item, Doc>> {
  readonly kind: keyof RecordedSearchTables;
  /** One search a registry: a registry never changes (a changed sidecar makes a new one). */
  readonly ofRegistry: WeakMap<Registry, S>;
  /**
   * The search of each file that alone gives some registry its entries of
   * this kind, over them in its order, for every such registry, and for its
   * record: a registry is merged again whenever any of its files changes,
   * and a library of 50,000 references, beside a sidecar of people, took 110
   * to 250 ms to search again for each edit of the sidecar, its record's
   * tables built a second time besides.
   */
  readonly ofFile: WeakMap<RegistrySource, S>;
  /** The search over a file's entries as it lists them, made for registries that join it with others'; once it is known to hold no key twice, it is the file's too. */
  readonly ofList: WeakMap<RegistrySource, S>;
  readonly entriesOf: (source: RegistrySource) => readonly Item[];
  readonly make: (items: Iterable<Item>, tables?: string, joined?: Joined<Item, Doc>) => S;
}

const referenceSearches: KeptSearches<Reference, ReferenceRecord, ReferenceSearch> = {
  kind: 'references',
  ofRegistry: new WeakMap(),
  ofFile: new WeakMap(),
  ofList: new WeakMap(),
  entriesOf: (source) => source.references,
  make: (items, tables, joined) => new ReferenceSearch(items, tables, joined),
};

const peopleSearches: KeptSearches<Person, Person, PeopleSearch> = {
  kind: 'people',
  ofRegistry: new WeakMap(),
  ofFile: new WeakMap(),
  ofList: new WeakMap(),
  entriesOf: (source) => source.people ?? [],
  make: (items, tables, joined) => new PeopleSearch(items, tables, joined),
};

/** The tables of a sidecar's or library's searches, as its record keeps them (see `searchTablesSteps`). */
export interface RecordedSearchTables {
  readonly people?: string;
  readonly references?: string;
}

/** Tables kept with the sidecars and libraries whose records hold them. */
const sourceTables = new WeakMap<RegistrySource, RecordedSearchTables>();
/** For a registry, the sources of its people, and of its references, in the order it merged them. */
const registrySources = new WeakMap<Registry, { readonly people: readonly RegistrySource[]; readonly references: readonly RegistrySource[] }>();

/** Keeps with a sidecar or library the tables its record holds, for the searches over registries it gives entries to. */
export function keepRecordedSearchTables(source: RegistrySource, tables: RecordedSearchTables): void {
  sourceTables.set(source, tables);
}

/**
 * Tells the searches of a registry merged from `sources` which of them give
 * it people and references: each such file's search serves every registry it
 * gives entries to (see `searchFor`), and may start from the tables recorded
 * with the file. The tables may be kept with the file until the searches are
 * made: a library's record is read while the library loads.
 */
export function keepRegistrySources(registry: Registry, sources: readonly RegistrySource[]): void {
  // A file named twice gives its entries once.
  const distinct = [...new Set(sources)];
  registrySources.set(registry, { references: distinct.filter((source) => source.references.length > 0), people: distinct.filter((source) => (source.people?.length ?? 0) > 0) });
}

/**
 * The tables of the searches over the registry of this sidecar or library
 * merged alone, to keep with its record; none for a kind of entry too few for
 * the searches' prefilter, whose build is quick.
 */
export function* searchTablesSteps(source: RegistrySource): Steps<RecordedSearchTables> {
  // A registry this source alone gives a kind of entry to lists them as this one does: its search, built or being built, has the same tables.
  let references = referenceSearches.ofFile.get(source) ?? (source.references.length === 0 ? new ReferenceSearch([]) : undefined);
  let people = peopleSearches.ofFile.get(source) ?? ((source.people?.length ?? 0) === 0 ? new PeopleSearch([]) : undefined);
  if (!references || !people) {
    const registry = yield* mergeRegistrySteps([source], new Map());
    references ??= listedAlone(referenceSearches, source, registry.references) ?? new ReferenceSearch(entriesInOrder(registry.references));
    people ??= listedAlone(peopleSearches, source, registry.people) ?? new PeopleSearch(registry.people.values());
  }
  return { references: yield* references.tablesSteps(), people: yield* people.tablesSteps() };
}

/**
 * The search made over a file's list of entries for registries that join it
 * with others', if the list holds no key twice, so that it is over what the
 * file alone gives (`alone`): a record may be made before such a search finds
 * that out.
 */
function listedAlone<Item extends Entry, Doc, S extends FuzzySearch<Item, Doc>>(kept: KeptSearches<Item, Doc, S>, source: RegistrySource, alone: ReadonlyMap<string, Item>): S | undefined {
  const search = kept.ofList.get(source);
  return search && kept.entriesOf(source).length === alone.size ? search : undefined;
}

/**
 * The search over a registry's references, one per registry, built on first
 * search, or ahead with `prepareInSlices`.
 */
export function referenceSearchFor(registry: Registry): ReferenceSearch {
  return searchFor(registry, referenceSearches, registry.references);
}

/** The search over a registry's people, one per registry, as `referenceSearchFor`. */
export function peopleSearchFor(registry: Registry): PeopleSearch {
  return searchFor(registry, peopleSearches, registry.people);
}

/**
 * The registry's search of one kind of entry. Where one file gives them all,
 * it is that file's search, which every such registry shares. Where several
 * do, and they are many, it joins the files' searches, each kept the same
 * way: an edit of a sidecar of a few references beside a library of 50,000
 * builds the sidecar's search, not the library's again.
 */
function searchFor<Item extends Entry, Doc, S extends FuzzySearch<Item, Doc>>(registry: Registry, kept: KeptSearches<Item, Doc, S>, listed: ReadonlyMap<string, Item>): S {
  let search = kept.ofRegistry.get(registry);
  if (search) return search;
  const giving = registrySources.get(registry)?.[kept.kind] ?? [];
  if (giving.length === 1) {
    const [source] = giving;
    search = kept.ofFile.get(source) ?? kept.make(entriesInOrder(listed), sourceTables.get(source)?.[kept.kind]);
    kept.ofFile.set(source, search);
  } else if (giving.length > 1 && listed.size >= prefilterFrom) {
    const parts = giving.map((source) => {
      let part = kept.ofFile.get(source) ?? kept.ofList.get(source);
      if (!part) {
        part = kept.make(kept.entriesOf(source), sourceTables.get(source)?.[kept.kind]);
        kept.ofList.set(source, part);
      }
      const search = part;
      // A list that holds no key twice is what the file alone gives: its search serves there too.
      const distinct = (): void => {
        if (!kept.ofFile.has(source)) kept.ofFile.set(source, search);
      };
      return { search, list: kept.entriesOf(source), distinct };
    });
    search = kept.make(entriesInOrder(listed), undefined, { parts, listed });
  } else search = kept.make(entriesInOrder(listed));
  kept.ofRegistry.set(registry, search);
  return search;
}

/**
 * A build written as steps, that runs to the end at once or in slices, and
 * both at the same time: a search during a stepped build finishes it at once,
 * and the stepped run then finds it done.
 */
class SteppedBuild<T> {
  private result: { readonly value: T } | undefined;
  private failure: { readonly error: unknown } | undefined;
  private running: Promise<T> | undefined;

  constructor(private readonly steps: Steps<T>) {}

  now(): T {
    while (!this.result) this.step();
    return this.result.value;
  }

  inSlices(scheduler: Scheduler, options?: SliceOptions): Promise<T> {
    this.running ??= runInSlices(this.shared(), scheduler, options).catch((error: unknown) => {
      // A cancelled run, or a scheduler that fails, leaves the build where it was: a later call resumes it.
      this.running = undefined;
      throw error;
    });
    return this.running;
  }

  /** The same steps, ending as soon as the build is done, whoever ran its last step. */
  *shared(): Steps<T> {
    while (!this.result) {
      this.step();
      if (!this.result) yield;
    }
    return this.result.value;
  }

  private step(): void {
    // A generator that threw is closed: every later step must fail the same way, not return nothing.
    if (this.failure) throw this.failure.error;
    try {
      const next = this.steps.next();
      if (next.done) this.result = { value: next.value };
    } catch (error: unknown) {
      this.failure = { error };
      throw error;
    }
  }
}

/** Values between yields in the loops over every (key, value) pair. */
const pairsPerStep = 1 << 14;

/** Lists the other way round: for each value of `lists`, the keys whose lists hold it, in order. */
function* invert(lists: Postings, valueCount: number): Steps<Postings> {
  const { start, values } = lists;
  const inverseStart = new Int32Array(valueCount + 1);
  for (let i = 0; i < values.length; i++) inverseStart[values[i] + 1]++;
  for (let v = 0; v < valueCount; v++) inverseStart[v + 1] += inverseStart[v];
  yield;
  const next = inverseStart.slice(0, valueCount);
  const inverse = new Int32Array(values.length);
  for (let key = 0, done = 0; key + 1 < start.length; key++) {
    for (let i = start[key], end = start[key + 1]; i < end; i++) inverse[next[values[i]]++] = key;
    if (start[key + 1] - done >= pairsPerStep) {
      done = start[key + 1];
      yield;
    }
  }
  return { start: inverseStart, values: inverse };
}

/** What a query word keeps: letters and digits of every script. */
const notWordPattern = /[^\p{L}\p{N}]+/gu;
const wordCharacter = /^[\p{L}\p{N}]$/u;

/** For each UTF-16 unit outside the surrogates: 0 not yet known, 1 a letter or digit, 2 not. */
const wordUnits = new Uint8Array(0x1_0000);
const astralWordCharacters = new Map<number, boolean>();

/** How many UTF-16 units of a letter or digit start at `at`: 0, 1, or 2 for one outside the Basic Multilingual Plane. */
function wordUnitsAt(text: string, at: number): number {
  const unit = text.charCodeAt(at);
  let known = wordUnits[unit];
  if (known === 0 && (unit < 0xd800 || unit > 0xdfff)) {
    known = wordCharacter.test(String.fromCharCode(unit)) ? 1 : 2;
    wordUnits[unit] = known;
  }
  if (known !== 0) return known === 1 ? 1 : 0;
  const point = text.codePointAt(at) ?? unit;
  if (point <= 0xffff) return 0;
  let word = astralWordCharacters.get(point);
  if (word === undefined) {
    word = wordCharacter.test(String.fromCodePoint(point));
    astralWordCharacters.set(point, word);
  }
  return word ? 2 : 0;
}

/**
 * The distinct words of a library, each with an id. A library repeats its
 * words (the bench's 50,000 references have half a million, a quarter of them
 * distinct), so a word is found by hashing it in place, and only a new one is copied out.
 */
class WordTable {
  readonly words: string[] = [];
  /** Each word's length, read for thousands of words a keystroke without visiting the strings. */
  readonly lengths: IntList;
  private readonly hashes: IntList;
  /** Open addressing: a word's id plus one, 0 for an empty slot. */
  private slots: Int32Array;

  /** With room for `expected` words: growing to a library's 135,000 placed every word again seven times, some 15 ms of a first build. */
  constructor(expected: number) {
    let size = 1 << 12;
    while (size < 2 * expected) size *= 2;
    this.slots = new Int32Array(size);
    this.lengths = new IntList(Math.max(1024, expected));
    this.hashes = new IntList(Math.max(1024, expected));
  }

  /** The id of `text.slice(start, end)`, whose hash is `hash`; a new id if the word is new. */
  idOf(text: string, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot];
      if (entry === 0) break;
      const id = entry - 1;
      if (this.hashes.data[id] === hash && sameText(this.words[id], text, start, end)) return id;
    }
    const id = this.words.length;
    this.words.push(text.slice(start, end));
    this.lengths.push(end - start);
    this.hashes.push(hash);
    if (this.words.length * 2 > this.slots.length) this.grow();
    else this.place(id, mask);
    return id;
  }

  private place(id: number, mask: number): void {
    let slot = this.hashes.data[id] & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    const mask = this.slots.length - 1;
    for (let id = 0; id < this.words.length; id++) this.place(id, mask);
  }
}

function sameText(word: string, text: string, start: number, end: number): boolean {
  if (word.length !== end - start) return false;
  for (let k = 0; k < word.length; k++) if (word.charCodeAt(k) !== text.charCodeAt(start + k)) return false;
  return true;
}

/**
 * Ids for numbers, kept in typed arrays with open addressing: a build looks up
 * a million pieces of words, which takes a `Map` of numbers three times as long.
 */
class NumberIds {
  private keys: Float64Array;
  /** A key's id plus one; 0 for an empty slot. */
  private ids: Int32Array;
  private shift: number;
  size = 0;

  /** With room for `expected` keys, so that no key is placed twice while they are added. */
  constructor(expected = 0) {
    let bits = 12;
    while (1 << bits < 2 * expected + 2) bits++;
    this.keys = new Float64Array(1 << bits);
    this.ids = new Int32Array(1 << bits);
    this.shift = 32 - bits;
  }

  /** The key's id, or -1. */
  get(key: number): number {
    for (let slot = this.slotOf(key); ; slot = (slot + 1) & (this.ids.length - 1)) {
      const id = this.ids[slot];
      if (id === 0) return -1;
      if (this.keys[slot] === key) return id - 1;
    }
  }

  /** The key's id, a new one if the key is new. */
  idOf(key: number): number {
    let slot = this.slotOf(key);
    for (; ; slot = (slot + 1) & (this.ids.length - 1)) {
      const id = this.ids[slot];
      if (id === 0) break;
      if (this.keys[slot] === key) return id - 1;
    }
    this.keys[slot] = key;
    this.ids[slot] = ++this.size;
    if (this.size * 2 > this.ids.length) this.grow();
    return this.size - 1;
  }

  /** The keys in the order of their ids. */
  keysById(): Float64Array {
    const byId = new Float64Array(this.size);
    for (let slot = 0; slot < this.ids.length; slot++) if (this.ids[slot] !== 0) byId[this.ids[slot] - 1] = this.keys[slot];
    return byId;
  }

  /** Ids for `keys`, each its index; undefined if a key is there twice. */
  static of(keys: Float64Array): NumberIds | undefined {
    const ids = new NumberIds(keys.length);
    for (let k = 0; k < keys.length; k++) if (ids.idOf(keys[k]) !== k) return undefined;
    return ids;
  }

  private slotOf(key: number): number {
    // Keys are whole numbers, some beyond 32 bits: mix both halves.
    return Math.imul((key | 0) ^ Math.imul((key / 0x1_0000_0000) | 0, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const keys = this.keys;
    const ids = this.ids;
    this.keys = new Float64Array(keys.length * 2);
    this.ids = new Int32Array(ids.length * 2);
    this.shift--;
    const mask = this.ids.length - 1;
    for (let old = 0; old < ids.length; old++) {
      if (ids[old] === 0) continue;
      let slot = this.slotOf(keys[old]);
      while (this.ids[slot] !== 0) slot = (slot + 1) & mask;
      this.keys[slot] = keys[old];
      this.ids[slot] = ids[old];
    }
  }
}

/**
 * A number for a three-letter piece of a word, and (negative) for its first
 * one or two letters, so that one table finds the words for either.
 */
function trigramKey(word: string, at: number): number {
  return word.charCodeAt(at) * 0x1_0000_0000 + word.charCodeAt(at + 1) * 0x1_0000 + word.charCodeAt(at + 2);
}

function prefixKey(word: string, length: 1 | 2): number {
  return length === 1 ? -1 - word.charCodeAt(0) : -0x1_0001 - word.charCodeAt(0) * 0x1_0000 - word.charCodeAt(1);
}

/** A letter's place among `a`-`z` then `0`-`9`, or -1 for any other UTF-16 unit. */
function asciiPlace(unit: number): number {
  if (unit >= 0x61 && unit <= 0x7a) return unit - 0x61;
  return unit >= 0x30 && unit <= 0x39 ? unit - 0x30 + 26 : -1;
}

/**
 * The ids `NumberIds` gives a word's pieces, with those made of lowercase
 * ASCII letters and digits, nearly all of them in a library in a Latin
 * script, found by their letters in small arrays rather than by hashing into
 * a large table: a build over 50,000 references looks up a million pieces,
 * of a few thousand kinds. An id is still given by `ids`, the first time a
 * piece is met, so the ids and the tables are the same either way.
 */
class PieceIds {
  /** For each piece of one, two or three such letters, its id plus one; 0 until it is met. */
  private readonly ones = new Int32Array(36);
  private readonly twos = new Int32Array(36 * 36);
  private readonly threes = new Int32Array(36 * 36 * 36);

  constructor(private readonly ids: NumberIds) {}

  /** Pushes the ids of the word's one- and two-letter starts, then of its three-letter pieces in order. */
  addPiecesOf(word: string, into: IntList): void {
    let a = asciiPlace(word.charCodeAt(0));
    into.push(a >= 0 ? (this.ones[a] ||= this.ids.idOf(prefixKey(word, 1)) + 1) - 1 : this.ids.idOf(prefixKey(word, 1)));
    if (word.length < 2) return;
    let b = asciiPlace(word.charCodeAt(1));
    into.push(a >= 0 && b >= 0 ? (this.twos[a * 36 + b] ||= this.ids.idOf(prefixKey(word, 2)) + 1) - 1 : this.ids.idOf(prefixKey(word, 2)));
    for (let k = 0; k + 3 <= word.length; k++) {
      const c = asciiPlace(word.charCodeAt(k + 2));
      into.push(a >= 0 && b >= 0 && c >= 0 ? (this.threes[(a * 36 + b) * 36 + c] ||= this.ids.idOf(trigramKey(word, k)) + 1) - 1 : this.ids.idOf(trigramKey(word, k)));
      a = b;
      b = c;
    }
  }
}

/** Items between yields while the words are read. */
const itemsPerStep = 64;

function* buildPrefilter(itemCount: number, fieldsOf: (item: number, add: (text: string) => void) => void): Steps<TokenPrefilter> {
  // A reference has a dozen words, two or three of them new.
  const table = new WordTable(itemCount * 3);
  const grams = new NumberIds();
  const pieces = new PieceIds(grams);
  // Each item's words, and each word's pieces, as they come; turned round at the end.
  // A reference has a dozen words, a few of them new: room for that spares most regrowing.
  const itemWordsStart = new Int32Array(itemCount + 1);
  const itemWords = new IntList(itemCount * 12);
  const wordGramsStart = new IntList(itemCount * 4);
  const wordGrams = new IntList(itemCount * 24);
  wordGramsStart.push(0);
  let item = 0;
  const add = (field: string): void => {
    const text = field.toLowerCase();
    for (let at = 0; at < text.length; ) {
      const start = at;
      let hash = 0x811c9dc5;
      while (at < text.length) {
        // Most units are known letters or separators: the table answers without a call.
        const unit = text.charCodeAt(at);
        const known = wordUnits[unit];
        if (known === 1) {
          hash = Math.imul(hash ^ unit, 0x01000193);
          at++;
          continue;
        }
        const units = known === 2 ? 0 : wordUnitsAt(text, at);
        if (units === 0) break;
        for (let u = 0; u < units; u++) hash = Math.imul(hash ^ text.charCodeAt(at + u), 0x01000193);
        at += units;
      }
      if (at === start) {
        at++;
        continue;
      }
      const wordCount = table.words.length;
      const id = table.idOf(text, start, at, hash);
      if (id === wordCount) {
        pieces.addPiecesOf(table.words[id], wordGrams);
        wordGramsStart.push(wordGrams.length);
      } else {
        // A word said twice in one item counts once.
        let repeated = false;
        for (let w = itemWordsStart[item]; w < itemWords.length && !repeated; w++) repeated = itemWords.data[w] === id;
        if (repeated) continue;
      }
      itemWords.push(id);
    }
  };
  for (; item < itemCount; item++) {
    fieldsOf(item, add);
    itemWordsStart[item + 1] = itemWords.length;
    if (item % itemsPerStep === itemsPerStep - 1) yield;
  }
  const holders = yield* invert({ start: itemWordsStart, values: itemWords.data.subarray(0, itemWords.length) }, table.words.length);
  const byGram = yield* invert({ start: wordGramsStart.data.subarray(0, wordGramsStart.length), values: wordGrams.data.subarray(0, wordGrams.length) }, grams.size);
  return new TokenPrefilter(itemCount, new WordArray(table.words, table.lengths.data.subarray(0, table.lengths.length)), holders, grams, byGram);
}

/**
 * The words of every item, and for each three-letter piece (and each one- or
 * two-letter start) the words that hold it, so a query word finds the items
 * with similar words without reading them all. Integer ids and typed arrays
 * throughout: a keystroke touches tens of thousands of items.
 */
class TokenPrefilter implements Prefilter {
  /** Each token's length, read for thousands of tokens a keystroke without visiting the words. */
  private readonly tokenLength: Int32Array;
  /** Scratch space for one search, reused so a keystroke allocates little. */
  private readonly tokenMark: Int32Array;
  private readonly shared: Int32Array;
  private readonly similarity: Float64Array;
  private readonly wordMark: Int32Array;
  private readonly queryMark: Int32Array;
  private readonly wordScore: Float64Array;
  private readonly total: Float64Array;
  /** A copy of the totals of the items in the running, reordered to find the cut. */
  private readonly totalsToRank: Float64Array;
  private readonly found = new IntList();
  private readonly anyWord = new IntList();
  private readonly touched = new IntList();
  private readonly tied = new IntList();
  /** One counter for every mark, so a mark is never mistaken for another search's. */
  private marks = 0;

  constructor(
    private readonly itemCount: number,
    private readonly tokens: WordList,
    private readonly holders: Postings,
    private readonly grams: NumberIds,
    private readonly byGram: Postings,
  ) {
    this.tokenLength = tokens.lengths();
    this.tokenMark = new Int32Array(tokens.count);
    this.shared = new Int32Array(tokens.count);
    this.similarity = new Float64Array(tokens.count);
    this.wordMark = new Int32Array(itemCount);
    this.queryMark = new Int32Array(itemCount);
    this.wordScore = new Float64Array(itemCount);
    this.total = new Float64Array(itemCount);
    this.totalsToRank = new Float64Array(itemCount);
  }

  /** What the prefilter is made of, to be kept and given back to `fromTables`. */
  tables(): PrefilterTables {
    return { itemCount: this.itemCount, words: this.tokens, holders: this.holders, gramKeys: this.grams.keysById(), byGram: this.byGram };
  }

  /** The prefilter of these tables; undefined if a piece is there twice. */
  static fromTables(tables: PrefilterTables): TokenPrefilter | undefined {
    const grams = NumberIds.of(tables.gramKeys);
    if (!grams) return undefined;
    return new TokenPrefilter(tables.itemCount, tables.words, tables.holders, grams, tables.byGram);
  }

  /**
   * The items most like the query, in their order, at most `limit`: those
   * that resemble the words most closely (the first items among equals). An
   * item's score for a word is its most similar token's, and its score the sum
   * over the words. With `everyWord`, an item must resemble every word.
   */
  candidates(words: readonly string[], limit: number, everyWord: boolean): number[] {
    const normalized = words.map((word) => word.toLowerCase().replace(notWordPattern, '')).filter((word) => word !== '');
    if (normalized.length === 0) return [];
    // Marks only grow, so no array is cleared between searches; they start again long before they overflow.
    if (this.marks > 0x3fff_0000) {
      this.marks = 0;
      this.tokenMark.fill(0);
      this.wordMark.fill(0);
      this.queryMark.fill(0);
    }
    // An item in the running after word `w` has the query mark `first + w`.
    const first = this.marks + 1;
    this.marks += normalized.length;
    const touched = this.touched;
    const anyWord = this.anyWord;
    anyWord.length = 0;
    normalized.forEach((word, w) => {
      const similar = this.similarTokens(word);
      const wordMark = ++this.marks;
      touched.length = 0;
      for (let s = 0; s < similar.length; s++) {
        const token = similar.data[s];
        const similarity = this.similarity[token];
        for (let h = this.holders.start[token], end = listEnd(this.holders, token); h < end; h++) {
          const item = this.holders.values[h];
          if (this.wordMark[item] === wordMark) {
            if (this.wordScore[item] < similarity) this.wordScore[item] = similarity;
          } else if (w === 0 || !everyWord || this.queryMark[item] === first + w - 1) {
            this.wordMark[item] = wordMark;
            this.wordScore[item] = similarity;
            touched.push(item);
          }
        }
      }
      for (let t = 0; t < touched.length; t++) {
        const item = touched.data[t];
        const known = this.queryMark[item] >= first;
        if (!known) {
          this.total[item] = 0;
          if (!everyWord) anyWord.push(item);
        }
        this.total[item] += this.wordScore[item];
        this.queryMark[item] = everyWord ? first + w : first;
      }
    });
    // Over every word, the items of the last one are those still in the running.
    return this.best(everyWord ? touched : anyWord, limit);
  }

  /** The score of an item the last call of `candidates` gave. */
  scoreOf(item: number): number {
    return this.total[item];
  }

  /** The `limit` items of `matched` with the highest totals, the first among equals, in their order. */
  private best(matched: IntList, limit: number): number[] {
    const items = matched.data.subarray(0, matched.length);
    if (items.length > limit) {
      const scores = this.totalsToRank.subarray(0, items.length);
      for (let m = 0; m < items.length; m++) scores[m] = this.total[items[m]];
      const cut = kthLargest(scores, limit - 1);
      const above: number[] = [];
      const tied = this.tied;
      tied.length = 0;
      for (const item of items) {
        const score = this.total[item];
        if (score > cut) above.push(item);
        else if (score === cut) tied.push(item);
      }
      const kept = Int32Array.from([...above, ...tied.data.subarray(0, tied.length).sort().subarray(0, limit - above.length)]);
      return Array.from(kept.sort());
    }
    return Array.from(Int32Array.from(items).sort());
  }

  /**
   * Tokens like `word` (into `this.similarity`): the share of its three-letter
   * pieces they hold, one more for a prefix, less for a different length.
   * A word too short for pieces finds the tokens it starts, all alike.
   */
  private similarTokens(word: string): IntList {
    const found = this.found;
    found.length = 0;
    const tokenMark = ++this.marks;
    if (word.length < 3) {
      const gram = this.grams.get(prefixKey(word, word.length === 1 ? 1 : 2));
      if (gram < 0) return found;
      for (let g = this.byGram.start[gram], end = listEnd(this.byGram, gram); g < end; g++) {
        const token = this.byGram.values[g];
        this.similarity[token] = 1;
        found.push(token);
      }
      return found;
    }
    const pieces = new Set<string>();
    for (let at = 0; at + 3 <= word.length; at++) pieces.add(word.slice(at, at + 3));
    for (const piece of pieces) {
      const gram = this.grams.get(trigramKey(piece, 0));
      if (gram < 0) continue;
      for (let g = this.byGram.start[gram], end = listEnd(this.byGram, gram); g < end; g++) {
        const token = this.byGram.values[g];
        if (this.tokenMark[token] === tokenMark) this.shared[token]++;
        else {
          this.tokenMark[token] = tokenMark;
          this.shared[token] = 1;
          found.push(token);
        }
      }
    }
    for (let f = 0; f < found.length; f++) {
      const token = found.data[f];
      const shared = this.shared[token];
      // A token that starts with the word holds all its pieces: most tokens are spared the comparison.
      const prefix = shared >= pieces.size && this.tokens.startsWith(token, word);
      this.similarity[token] = shared / pieces.size + (prefix ? 1 : 0) - Math.abs(this.tokenLength[token] - word.length) * 0.01;
    }
    return found;
  }
}

/** The value that would be at `k` (from 0) if `values` were sorted from the largest; reorders `values`. */
function kthLargest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1];
    // Three ways, so that many equal scores do not make it quadratic: larger, equal, smaller.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = values[i];
      if (v > pivot) {
        values[i++] = values[lt];
        values[lt++] = v;
      } else if (v < pivot) {
        values[i] = values[gt];
        values[gt--] = v;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return values[lo];
}

function authorNames(item: CslItem): string {
  const names = (Array.isArray(item.author) ? item.author : []) as CslName[];
  return [authorsShort(item), ...names.map((n) => [n.given, n.family, n.literal].filter(Boolean).join(' '))].join(' ');
}
