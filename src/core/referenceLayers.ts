import type { Reference } from './model';
import type { Steps } from './steps';

/*
 * A registry's references, kept as each file's own map rather than merged
 * into one. A registry is merged again whenever any of its files changes,
 * and merging a library's 50,000 references into a new map took 15 to 50 ms
 * after each edit of a sidecar beside it. Each list of references is mapped
 * by id once, in a table of typed arrays (`ReferencesById`), by its reader
 * or by its first merge, and every registry it gives references to reads
 * that map.
 */

/** Entries looked up between two steps. */
const entriesPerStep = 1024;
/** Entries checked between two steps against the few references found left out. */
const scannedPerStep = 1 << 14;

/** Each list's references by id, when no id is there twice. */
const listMaps = new WeakMap<readonly Reference[], ReadonlyMap<string, Reference>>();
/** Lists that hold an id twice, which have no map of their own. */
const repeatingLists = new WeakSet<readonly Reference[]>();

/** Keeps a reader's map of the list it made, whose ids it knows to be distinct. */
export function keepListReferences(list: readonly Reference[], byId: ReadonlyMap<string, Reference>): void {
  listMaps.set(list, byId);
}

/** The list's references by id, made once; undefined when an id is there twice. */
export function* listReferencesSteps(list: readonly Reference[]): Steps<ReadonlyMap<string, Reference> | undefined> {
  const known = listMaps.get(list);
  if (known || repeatingLists.has(list)) return known;
  const byId = new ReferencesById(list.length);
  for (let i = 0; i < list.length; i++) {
    if (!byId.add(list[i])) {
      repeatingLists.add(list);
      return undefined;
    }
    if (i % addedPerStep === addedPerStep - 1) yield;
  }
  listMaps.set(list, byId);
  return byId;
}

/** References added to a `ReferencesById` between two steps. */
const addedPerStep = 1 << 13;

/**
 * What the two maps below share of `ReadonlyMap`: their references in an
 * order of their own, kept as an array.
 */
abstract class ReferencesInOrder implements ReadonlyMap<string, Reference> {
  abstract readonly size: number;
  abstract get(id: string): Reference | undefined;
  /** The references in order, as an array: copied in one move, where spreading an iterator reads them one by one. */
  abstract inOrder(): readonly Reference[];

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  values(): MapIterator<Reference> {
    return this.inOrder().values();
  }

  *keys(): MapIterator<string> {
    for (const reference of this.inOrder()) yield reference.id;
  }

  *entries(): MapIterator<[string, Reference]> {
    for (const reference of this.inOrder()) yield [reference.id, reference];
  }

  [Symbol.iterator](): MapIterator<[string, Reference]> {
    return this.entries();
  }

  forEach(callback: (reference: Reference, id: string, map: ReadonlyMap<string, Reference>) => void, thisArg?: unknown): void {
    for (const reference of this.inOrder()) callback.call(thisArg, reference, reference.id, this);
  }
}

/** A registry's entries in its order: as an array where its map keeps one (50,000 references spread from an array's iterator took 6 to 11 ms). */
export function entriesInOrder<T>(map: ReadonlyMap<string, T>): Iterable<T> {
  return map instanceof ReferencesInOrder ? (map.inOrder() as readonly unknown[] as readonly T[]) : map.values();
}

/**
 * References by id, in the order they were added, in a table of typed
 * arrays: a library's 50,000 took some 20 ms to put in a `Map`, and take 2
 * to 3 ms here, looked up as fast. Each id is hashed once, when added, and
 * its hash kept to place it again when the table grows.
 */
export class ReferencesById extends ReferencesInOrder {
  private readonly list: Reference[] = [];
  private hashes: Int32Array;
  /** Open addressing: a reference's place in `list` plus one; 0 for an empty slot. */
  private slots: Int32Array;

  constructor(expected = 0) {
    super();
    let size = 16;
    while (size < 2 * expected) size *= 2;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(Math.max(8, expected));
  }

  get size(): number {
    return this.list.length;
  }

  /** Adds a reference whose id is not here yet; false, adding nothing, when it is. */
  add(reference: Reference): boolean {
    const hash = hashOf(reference.id);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; this.slots[slot] !== 0; slot = (slot + 1) & mask) {
      const at = this.slots[slot] - 1;
      if (this.hashes[at] === hash && this.list[at].id === reference.id) return false;
    }
    const at = this.list.length;
    this.list.push(reference);
    if (at === this.hashes.length) {
      const hashes = new Int32Array(2 * at);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[at] = hash;
    if (2 * this.list.length > this.slots.length) this.grow();
    else this.slots[slot] = at + 1;
    return true;
  }

  get(id: string): Reference | undefined {
    const hash = hashOf(id);
    const { slots, hashes, list } = this;
    const mask = slots.length - 1;
    for (let slot = hash & mask; slots[slot] !== 0; slot = (slot + 1) & mask) {
      const at = slots[slot] - 1;
      if (hashes[at] === hash && list[at].id === id) return list[at];
    }
    return undefined;
  }

  /** The references in the order they were added: a reader's list of them. */
  inOrder(): readonly Reference[] {
    return this.list;
  }

  private grow(): void {
    this.slots = new Int32Array(2 * this.slots.length);
    const mask = this.slots.length - 1;
    for (let at = 0; at < this.list.length; at++) {
      let slot = this.hashes[at] & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = at + 1;
    }
  }
}

/** FNV-1a over an id's UTF-16 code units, as a 32-bit integer, as the table keeps it (the empty id's too). */
function hashOf(id: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let k = 0; k < id.length; k++) hash = Math.imul(hash ^ id.charCodeAt(k), 0x01000193);
  return hash;
}

/** One file's references in a registry: its list, the list's map, and those the registry leaves out. */
export interface ReferenceLayer {
  readonly list: readonly Reference[];
  readonly byId: ReadonlyMap<string, Reference>;
  /** Places in `list`, in increasing order, of the references whose ids an earlier file gives. */
  readonly leftOut: Int32Array;
}

/**
 * The places in `list` of the references whose ids the maps of `earlier`
 * give. The side with fewer references is read: a sidecar's few ids are
 * looked up in a library's map, not the other way round.
 */
export function* leftOutSteps(list: readonly Reference[], byId: ReadonlyMap<string, Reference>, earlier: readonly ReferenceLayer[]): Steps<Int32Array> {
  const places: number[] = [];
  let read = 0;
  if (list.length <= earlier.reduce((sum, layer) => sum + layer.list.length, 0)) {
    for (let i = 0; i < list.length; i++) {
      if (givenBy(earlier, list[i].id)) places.push(i);
      if (++read % entriesPerStep === 0) yield;
    }
    return Int32Array.from(places);
  }
  const shadowed = new Set<Reference>();
  for (const layer of earlier) {
    for (const { id } of layer.list) {
      const reference = byId.get(id);
      if (reference) shadowed.add(reference);
      if (++read % entriesPerStep === 0) yield;
    }
  }
  if (shadowed.size === 0) return new Int32Array(0);
  for (let i = 0; i < list.length && places.length < shadowed.size; i++) {
    if (shadowed.has(list[i])) places.push(i);
    if (i % scannedPerStep === scannedPerStep - 1) yield;
  }
  return Int32Array.from(places);
}

/** The reference the first of these layers gives for `id`. */
export function givenBy(layers: readonly ReferenceLayer[], id: string): Reference | undefined {
  for (let k = 0; k < layers.length; k++) {
    const reference = layers[k].byId.get(id);
    if (reference) return reference;
  }
  return undefined;
}

/**
 * The references of several files, read through each file's map in turn: the
 * same entries, in the same order, as one map merged from the files, where a
 * reference whose id an earlier file gives is left out.
 */
export class LayeredReferences extends ReferencesInOrder {
  readonly size: number;
  /** The references in order, listed when first read in order: a search, completion and an export each read them all. */
  private listed: readonly Reference[] | undefined;

  constructor(readonly layers: readonly ReferenceLayer[]) {
    super();
    this.size = layers.reduce((sum, { list, leftOut }) => sum + list.length - leftOut.length, 0);
  }

  get(id: string): Reference | undefined {
    return givenBy(this.layers, id);
  }

  /** The references in the registry's order. */
  inOrder(): readonly Reference[] {
    if (this.listed) return this.listed;
    // The stretches between the references left out, joined in one move: read one by one, a library's took a few milliseconds.
    const stretches: (readonly Reference[])[] = [];
    for (const { list, leftOut } of this.layers) {
      let from = 0;
      for (const place of leftOut) {
        if (place > from) stretches.push(list.slice(from, place));
        from = place + 1;
      }
      if (from === 0) stretches.push(list);
      else if (from < list.length) stretches.push(list.slice(from));
    }
    let listed: Reference[] = [];
    // Joined a few thousand at a time: a call takes only so many arguments.
    for (let k = 0; k < stretches.length; k += 4096) listed = listed.concat(...stretches.slice(k, k + 4096));
    this.listed = listed;
    return listed;
  }
}
