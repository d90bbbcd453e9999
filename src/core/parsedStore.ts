import { asciiJson } from './ascii';
import { LineMap } from './lineMap';
import { ItemReference, ItemsInText, itemPlacesOf, type ItemSource } from './cslJsonSteps';
import type { CslItem, Person, Reference, Sidecar, SourceLocation } from './model';
import type { Bibliography } from './registry';
import { searchTablesSteps, type RecordedSearchTables } from './search';
import { decodeNumbers, encodeNumbers, unzigzag, zigzag } from './searchTables';
import type { Steps } from './steps';
import { DiagnosticCode, type Diagnostic, type Span } from './types';

/**
 * Where parsed sidecars are kept from one session to the next. The precise
 * read of a large sidecar takes seconds; when its text is the one read last
 * time, even in an earlier session, the record of that read serves at once,
 * exact positions and diagnostics included. The extension keeps the records
 * in its global storage; the core says what a record holds and checks it on
 * the way back, so a record that is stale, truncated or garbled is a miss.
 */
export interface ParsedStore {
  /**
   * Starts a digest of a file's text, the same from one session to the next,
   * that changes whenever what the parser makes of the text may. It is fed
   * the text a piece at a time: hashing a library of 18 MB at once holds the
   * event loop for 30 to 50 ms.
   */
  digester(): TextDigester;
  /** The record last written for the file, if any. */
  read(uri: string): Promise<string | undefined>;
  write(uri: string, record: string): Promise<void>;
}

export interface TextDigester {
  update(piece: string): void;
  /**
   * Feeds bytes of the text's UTF-8 instead of the text: the digest must be
   * the one `update` gives the text they encode. Where a digester takes them,
   * a file read from disk is digested from its bytes, which spares encoding
   * its text again: 20 ms of the 30 ms a library of 18 MB took.
   */
  updateBytes?(chunk: Uint8Array): void;
  digest(): string;
}

/** Characters hashed in one step. */
const digestChunk = 1 << 20;

/** Where a piece of `text` of about `size` characters from `from` ends: a high surrogate at its end goes with the low one after it. */
function pieceEnd(text: string, from: number, size: number): number {
  const end = Math.min(text.length, from + size);
  const last = text.charCodeAt(end - 1);
  return end < text.length && last >= 0xd800 && last <= 0xdbff ? end + 1 : end;
}

/** Bytes digested in one step: hashing them takes about as long as encoding and hashing `digestChunk` characters. */
const digestByteChunk = 1 << 21;

/**
 * The store's digest of `text`, fed a chunk a step, never splitting a
 * surrogate pair, so that it is the digest of the whole text. `utf8`, when
 * given, is the text's UTF-8, byte for byte: a digester that takes bytes is
 * fed those instead.
 */
export function* digestSteps(store: Pick<ParsedStore, 'digester'>, text: string, utf8?: Uint8Array): Steps<string> {
  const digester = store.digester();
  if (utf8 && digester.updateBytes) {
    for (let at = 0; at < utf8.byteLength; at += digestByteChunk) {
      digester.updateBytes(utf8.subarray(at, Math.min(utf8.byteLength, at + digestByteChunk)));
      yield;
    }
    return digester.digest();
  }
  for (let at = 0; at < text.length; ) {
    const end = pieceEnd(text, at, digestChunk);
    digester.update(text.slice(at, end));
    at = end;
    yield;
  }
  return digester.digest();
}

/** Bumped whenever the layout of a record changes: older records are then misses. */
const recordFormat = 7;

/**
 * The record of a large bibliography, which the next session serves without
 * parsing the file, with the tables of the citation search over its
 * references (read alone, as when it is a text's only library), which take
 * several times longer to build than to read back.
 *
 * A CSL-JSON library read in pieces is parsed faster than its items would
 * read back from a record, so its record holds each reference's id and
 * places (where its id and its item are written, the line of its id), and
 * each item is parsed from its place in the file when it is first read;
 * undefined for such a library too small for the search's prefilter, whose
 * build is quick. Any other library's record holds its references as a
 * sidecar's does (see `sidecarRecord`): BibTeX takes seconds to parse, and
 * a CSL-YAML library's precise read as long, where the record reads back in
 * tens of milliseconds.
 */
export function* libraryRecord(bibliography: Bibliography, digest: string, length: number, store: Pick<ParsedStore, 'digester'>): Steps<string | undefined> {
  const places = libraryPlaces(bibliography);
  if (!places) {
    const { uri, references, diagnostics, valid } = bibliography;
    return yield* entriesRecord('library entries', { uri, people: [], references, bibliographies: [], diagnostics, valid }, digest, length, store);
  }
  const { references } = yield* searchTablesSteps(bibliography);
  if (references === undefined) return undefined;
  yield;
  const body = `${places}\n${references}`;
  const header: LibraryRecordHeader = {
    format: recordFormat,
    kind: 'library',
    uri: bibliography.uri,
    digest,
    length,
    references: bibliography.references.length,
    diagnostics: bibliography.diagnostics,
    body: yield* digestSteps(store, body),
  };
  return `${asciiJson(header)}\n${body}`;
}

interface LibraryRecordHeader {
  readonly format: number;
  readonly kind: 'library';
  readonly uri: string;
  readonly digest: string;
  readonly length: number;
  /** How many references the record holds the places of. */
  readonly references: number;
  readonly diagnostics: readonly Diagnostic[];
  /** The store's digest of everything after the header, which is read only when asked for and must be what was written. */
  readonly body: string;
}

/** Numbers kept for each reference of a library: see `libraryPlaces`. */
const placeNumbers = 5;

/**
 * The ids of a CSL-JSON library's references as a JSON list, a tab, and for
 * each reference, as digits: the gap from the previous item's end to its
 * item's start, the item's length, where its id starts from the item's start,
 * the id's length, and its line from the previous one. Undefined when the
 * items' places are not known, or not in order.
 */
function libraryPlaces(bibliography: Bibliography): string | undefined {
  const items = itemPlacesOf(bibliography);
  const { references, uri } = bibliography;
  if (!items || items.length !== 2 * references.length) return undefined;
  const numbers = new Float64Array(placeNumbers * references.length);
  for (let r = 0, previousEnd = 0, previousLine = 0; r < references.length; r++) {
    const start = items[2 * r];
    const end = items[2 * r + 1];
    const { source } = references[r];
    if (start < previousEnd || source.uri !== uri) return undefined;
    numbers.set([start - previousEnd, end - start, zigzag(source.span.start - start), source.span.end - source.span.start, zigzag(source.line - previousLine)], placeNumbers * r);
    previousEnd = end;
    previousLine = source.line;
  }
  return `${asciiJson(references.map((reference) => reference.id))}\t${encodeNumbers(numbers)}`;
}

/** What a library's record gives back: the library, and the tables of its search. */
export interface RecordedLibrary {
  readonly tables: RecordedSearchTables;
  readonly bibliography: Bibliography;
}

/** References made from a record between two steps. */
const placesPerStep = 4096;

/**
 * What a library's record holds, if the record is of this file and of this
 * very text (by digest and length), and what follows its header is what was
 * written (by its own digest); undefined otherwise. Places that do not
 * fit the text (an item that is not braced, an id not written where it
 * says) make the whole record a miss.
 */
export function* recordedLibrary(record: string, uri: string, digest: string, text: string, store: Pick<ParsedStore, 'digester'>): Steps<RecordedLibrary | undefined> {
  const headerEnd = record.indexOf('\n');
  const placesEnd = headerEnd < 0 ? -1 : record.indexOf('\n', headerEnd + 1);
  if (placesEnd < 0) return undefined;
  let header: Partial<LibraryRecordHeader> | Partial<EntriesRecordHeader>;
  try {
    header = JSON.parse(record.slice(0, headerEnd)) as Partial<LibraryRecordHeader> | Partial<EntriesRecordHeader>;
  } catch {
    return undefined;
  }
  if (!isObject(header)) return undefined;
  if (header.kind === 'library entries') {
    const back = yield* recordedEntries('library entries', record, uri, digest, text, store, { header, next: headerEnd + 1 });
    if (!back || back.sidecar.people.length > 0) return undefined;
    const { references, diagnostics, valid } = back.sidecar;
    return { tables: back.tables, bibliography: { uri, references, diagnostics, valid } };
  }
  if (header.format !== recordFormat || header.kind !== 'library' || header.uri !== uri || header.digest !== digest || header.length !== text.length) return undefined;
  const { references: count, diagnostics } = header;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || !Array.isArray(diagnostics) || typeof header.body !== 'string') return undefined;
  if ((yield* digestSteps(store, record.slice(headerEnd + 1))) !== header.body) return undefined;
  // The search checks the tables as it reads them, and builds afresh from the references if they do not read back.
  const tables: RecordedSearchTables = { references: record.slice(placesEnd + 1) };
  yield;
  const references = yield* referencesAt(record.slice(headerEnd + 1, placesEnd), count, uri, text);
  return references && { tables, bibliography: { uri, references, diagnostics, valid: true } };
}

/** The references `libraryPlaces` wrote, each item parsed from `text` when first read; undefined if the places do not fit the text. */
function* referencesAt(placesText: string, count: number, uri: string, text: string): Steps<Reference[] | undefined> {
  const tab = placesText.indexOf('\t');
  if (tab < 0) return undefined;
  let ids: unknown;
  try {
    ids = JSON.parse(placesText.slice(0, tab));
  } catch {
    return undefined;
  }
  const numbers = decodeNumbers(placesText.slice(tab + 1), placeNumbers * count);
  if (!Array.isArray(ids) || ids.length !== count || !numbers) return undefined;
  const references: Reference[] = [];
  const places = new Int32Array(2 * count);
  const items = new ItemsInText(text, places);
  for (let r = 0, previousEnd = 0, previousLine = 0; r < count; r++) {
    const id: unknown = ids[r];
    const at = placeNumbers * r;
    const start = previousEnd + numbers[at];
    const end = start + numbers[at + 1];
    const span = { start: start + unzigzag(numbers[at + 2]), end: 0 };
    span.end = span.start + numbers[at + 3];
    const line = previousLine + unzigzag(numbers[at + 4]);
    if (typeof id !== 'string' || end - start < 2 || end > text.length || text.charCodeAt(start) !== 0x7b || text.charCodeAt(end - 1) !== 0x7d || span.start < 0 || span.end > text.length || line < 0) return undefined;
    // An id is written where it says, quoted, unless the parse found it nowhere (an id spelt with escapes) and gave it an empty span.
    if (span.end > span.start && !quotedAt(text, span, id)) return undefined;
    places[2 * r] = start;
    places[2 * r + 1] = end;
    references.push(new ItemReference(id, { uri, span, line }, items, r));
    previousEnd = end;
    previousLine = line;
    if (r % placesPerStep === placesPerStep - 1) yield;
  }
  return references;
}

/** Whether `id` is written at `span` of `text`, quoted, as `CslJsonItems` finds it. */
function quotedAt(text: string, span: Span, id: string): boolean {
  if (text.charCodeAt(span.start - 1) !== 0x22 || text.charCodeAt(span.end) !== 0x22) return false;
  // Most ids need no escapes in JSON, and are compared as they are.
  if (span.end - span.start === id.length && text.startsWith(id, span.start)) return !escapedInJson(id);
  return text.slice(span.start - 1, span.end + 1) === JSON.stringify(id);
}

/**
 * Whether a JSON string must escape some character of `text`: a quote, a
 * backslash or a control character. Any other character, a lone surrogate
 * included, reads back as itself when written as it is. A loop: with
 * `JSON.stringify` the check took a twentieth of a served library's time.
 */
function escapedInJson(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

/** A key that would reach an object's prototype once the record's objects are copied. */
const unsafeKey = /"(?:__proto__|constructor|prototype)"\s*:/;

/** Entries made or read between two steps. */
const entriesPerStep = 256;

interface EntriesRecordHeader {
  readonly format: number;
  readonly kind: EntriesKind;
  readonly uri: string;
  readonly digest: string;
  readonly length: number;
  readonly people: number;
  readonly references: number;
  readonly bibliographies: Sidecar['bibliographies'];
  readonly diagnostics: readonly Diagnostic[];
  readonly valid: boolean;
  /** The store's digest of every line after the header: the detail lines and the tables are read only when asked for, and must be what was written. */
  readonly body: string;
}

/**
 * The record of a sidecar read from a text of `length` characters with this
 * digest: a header line; then, `entriesPerStep` entries at a time, a line of
 * what a registry needs of them (a person's key, names and whether mentions
 * by name count; a reference's id; where each is defined) and a line of the
 * rest (a person's dates, description, bio, links and image; a reference's
 * item); and a last line with the tables of the people and citation
 * searches over them, which take longer to build than the entries take to
 * read. The lines of the rest are parsed only when an entry's detail is first
 * read: parsing them took 35 to 55 ms of a 100 ms read back of 10,000 people
 * and 10,000 references. Undefined for a sidecar that must not be kept: one
 * served from its last good version, or one with values left out for
 * nesting too deep, which JSON would not give back as they are.
 */
export function sidecarRecord(sidecar: Sidecar, digest: string, length: number, store: Pick<ParsedStore, 'digester'>): Steps<string | undefined> {
  return entriesRecord('sidecar', sidecar, digest, length, store);
}

/** What a record of entries is of: a sidecar, or a library's references kept as a sidecar's are. */
type EntriesKind = 'sidecar' | 'library entries';

function* entriesRecord(kind: EntriesKind, sidecar: Sidecar, digest: string, length: number, store: Pick<ParsedStore, 'digester'>): Steps<string | undefined> {
  if (sidecar.stale === true || sidecar.diagnostics.some((d) => d.code === DiagnosticCode.LimitReached)) return undefined;
  const { uri } = sidecar;
  if (![...sidecar.people, ...sidecar.references].every((entry) => entry.source.uri === uri)) return undefined;
  const lines: string[] = [];
  const place = ({ source }: Person | Reference): number[] => [source.span.start, source.span.end, source.line];
  const chunked = function* <T extends Person | Reference>(list: readonly T[], needed: (entry: T) => unknown[], rest: (entry: T) => unknown): Steps<void> {
    for (let from = 0; from < list.length; from += entriesPerStep) {
      const chunk = list.slice(from, from + entriesPerStep);
      lines.push(asciiJson(chunk.map((entry) => [...needed(entry), ...place(entry)])));
      lines.push(asciiJson(chunk.map(rest)));
      yield;
    }
  };
  yield* chunked(
    sidecar.people,
    (person) => [person.key, person.name, person.aliases, person.implicit],
    ({ born, died, description, bio, links, image }): PersonDetails => ({ born, died, description, bio, links, image }),
  );
  yield* chunked(sidecar.references, (reference) => [reference.id], (reference) => reference.item);
  const tables: RecordedSearchTables = yield* searchTablesSteps(sidecar);
  yield;
  // Each a step of its own: the tables' text and the body are megabytes, a few milliseconds each to make.
  // ASCII already (their words are escaped): scanning megabytes again for characters past it took some 10 ms.
  lines.push(JSON.stringify(tables));
  yield;
  const body = lines.join('\n');
  yield;
  const header: EntriesRecordHeader = {
    format: recordFormat,
    kind,
    uri,
    digest,
    length,
    people: sidecar.people.length,
    references: sidecar.references.length,
    bibliographies: sidecar.bibliographies,
    diagnostics: sidecar.diagnostics,
    valid: sidecar.valid,
    body: yield* digestSteps(store, body),
  };
  return `${asciiJson(header)}\n${body}`;
}

/**
 * The sidecar a record holds, with the line map of `text`, if the record is
 * of this file and of this very text (by digest and length); undefined for
 * any other record, or one that does not read back whole. Everything after
 * the header is checked against its digest here; the detail lines are
 * parsed when first read.
 */
export function recordedSidecar(record: string, uri: string, digest: string, text: string, store: Pick<ParsedStore, 'digester'>): Steps<{ sidecar: Sidecar; lines: LineMap; tables: RecordedSearchTables } | undefined> {
  return recordedEntries('sidecar', record, uri, digest, text, store);
}

/**
 * A record of entries read back; `read` is its header when the caller has
 * parsed it already, with where the line after it starts.
 */
function* recordedEntries(kind: EntriesKind, record: string, uri: string, digest: string, text: string, store: Pick<ParsedStore, 'digester'>, read?: { header: unknown; next: number }): Steps<{ sidecar: Sidecar; lines: LineMap; tables: RecordedSearchTables } | undefined> {
  // Records are written from sanitized reads and never hold such keys; one that does was not written here.
  if (unsafeKey.test(record)) return undefined;
  const lineReader = new RecordLines(record, read?.next ?? 0);
  const header = (read ? read.header : lineReader.next()) as Partial<EntriesRecordHeader> | undefined;
  if (!isObject(header) || header.format !== recordFormat || header.kind !== kind || header.uri !== uri || header.digest !== digest || header.length !== text.length) return undefined;
  const { people: peopleCount, references: referenceCount, bibliographies, diagnostics, valid } = header;
  if (typeof peopleCount !== 'number' || typeof referenceCount !== 'number' || !Array.isArray(bibliographies) || !Array.isArray(diagnostics) || typeof valid !== 'boolean' || typeof header.body !== 'string') return undefined;
  if ((yield* digestSteps(store, record.slice(lineReader.offset))) !== header.body) return undefined;
  const people = yield* entriesOf(lineReader, peopleCount, (needed, rest, index) => personAt(needed, uri, rest, index));
  const references = people && (yield* entriesOf(lineReader, referenceCount, (needed, rest, index) => referenceAt(needed, uri, rest, index)));
  const tables = references && tablesOf(lineReader.next());
  if (!people || !references || !tables || !lineReader.done) return undefined;
  return { sidecar: { uri, people, references, bibliographies, diagnostics, valid }, lines: new LineMap(text), tables };
}

/**
 * The next `count` entries of a record, each made by `make` from its needed
 * values and its place in a detail line; undefined as soon as one cannot be.
 */
function* entriesOf<T>(lineReader: RecordLines, count: number, make: (needed: unknown, rest: DetailLine, index: number) => T | undefined): Steps<T[] | undefined> {
  const made: T[] = [];
  while (made.length < count) {
    const needed = lineReader.next();
    const restLine = lineReader.nextText();
    if (!Array.isArray(needed) || needed.length !== Math.min(entriesPerStep, count - made.length) || restLine === undefined) return undefined;
    const rest = new DetailLine(restLine);
    for (let index = 0; index < needed.length; index++) {
      const entry = make(needed[index], rest, index);
      if (entry === undefined) return undefined;
      made.push(entry);
    }
    yield;
  }
  return made;
}

/** The lines of a record, one at a time; undefined past the end, or for a line that is not JSON. */
class RecordLines {
  constructor(
    private readonly record: string,
    private at = 0,
  ) {}

  /** Where the next line starts. */
  get offset(): number {
    return this.at;
  }

  get done(): boolean {
    return this.at >= this.record.length;
  }

  /** The next line, parsed. */
  next(): unknown {
    const line = this.nextText();
    if (line === undefined) return undefined;
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return undefined;
    }
  }

  /** The next line, as it is written. */
  nextText(): string | undefined {
    if (this.done) return undefined;
    const end = this.record.indexOf('\n', this.at);
    const line = this.record.slice(this.at, end < 0 ? this.record.length : end);
    this.at = end < 0 ? this.record.length : end + 1;
    return line;
  }
}

/** A line of entries' details, parsed when one of them is first read. */
class DetailLine implements ItemSource {
  private entries: unknown[] | undefined;

  constructor(private text: string) {}

  entry(index: number): unknown {
    if (!this.entries) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(this.text);
      } catch {
        parsed = [];
      }
      this.entries = Array.isArray(parsed) ? parsed : [];
      // The line is a slice of the whole record, which it would keep alive: once every line is parsed, the record can go.
      this.text = '';
    }
    return this.entries[index];
  }

  item(index: number, id: string): CslItem {
    const raw = this.entry(index);
    // The detail lines were checked against their digest: an item that is not one was not written here, and its id stands in.
    return isObject(raw) && raw.id === id ? (raw as CslItem) : { id };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A place as three numbers, `start, end, line`, into a source; undefined for anything else. */
function sourceOf(start: unknown, end: unknown, line: unknown, uri: string): SourceLocation | undefined {
  if (typeof start !== 'number' || typeof end !== 'number' || typeof line !== 'number') return undefined;
  return { uri, span: { start, end }, line };
}

/** The person of a record line's entry, `[key, name, aliases, implicit, start, end, line]`; undefined for anything else. */
function personAt(needed: unknown, uri: string, rest: DetailLine, index: number): Person | undefined {
  if (!Array.isArray(needed) || needed.length !== 7) return undefined;
  const [key, name, aliases, implicit, start, end, line] = needed as unknown[];
  const source = sourceOf(start, end, line, uri);
  if (!source || typeof key !== 'string' || typeof name !== 'string' || typeof implicit !== 'boolean') return undefined;
  if (!Array.isArray(aliases) || !aliases.every((alias) => typeof alias === 'string')) return undefined;
  return new RecordedPerson(key, name, aliases, implicit, source, rest, index);
}

/** The reference of a record line's entry, `[id, start, end, line]`; undefined for anything else. */
function referenceAt(needed: unknown, uri: string, rest: DetailLine, index: number): Reference | undefined {
  if (!Array.isArray(needed) || needed.length !== 4) return undefined;
  const [id, start, end, line] = needed as unknown[];
  const source = sourceOf(start, end, line, uri);
  if (!source || typeof id !== 'string') return undefined;
  return new ItemReference(id, source, rest, index);
}

/** What a person's detail line holds: everything a registry does not need. */
interface PersonDetails {
  readonly born?: string;
  readonly died?: string;
  readonly description?: string;
  readonly bio?: string;
  readonly links: Person['links'];
  readonly image?: string;
}

/** A person's details as the parser makes them, optional fields present even when undefined, which JSON leaves out. */
function personDetailsOf(raw: unknown): PersonDetails {
  if (!isObject(raw)) return { links: [] };
  const { born, died, description, bio, links, image } = raw;
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const validLinks = Array.isArray(links) && links.every((link) => isObject(link) && typeof link.label === 'string' && typeof link.url === 'string');
  return { born: text(born), died: text(died), description: text(description), bio: text(bio), links: validLinks ? (links as Person['links']) : [], image: text(image) };
}

/**
 * A person of a sidecar served from its record, whose details are parsed
 * when first read. A class with getters, as for a library's references:
 * objects with getters of their own are slow to make by the ten thousand.
 */
class RecordedPerson implements Person {
  readonly #rest: DetailLine;
  readonly #index: number;
  #details: PersonDetails | undefined;

  constructor(
    readonly key: string,
    readonly name: string,
    readonly aliases: readonly string[],
    readonly implicit: boolean,
    readonly source: SourceLocation,
    rest: DetailLine,
    index: number,
  ) {
    this.#rest = rest;
    this.#index = index;
  }

  #read(): PersonDetails {
    return (this.#details ??= personDetailsOf(this.#rest.entry(this.#index)));
  }

  get born(): string | undefined {
    return this.#read().born;
  }

  get died(): string | undefined {
    return this.#read().died;
  }

  get description(): string | undefined {
    return this.#read().description;
  }

  get bio(): string | undefined {
    return this.#read().bio;
  }

  get links(): Person['links'] {
    return this.#read().links;
  }

  get image(): string | undefined {
    return this.#read().image;
  }

  /** Written out as a parsed person is. */
  toJSON(): Person {
    return plainPerson(this);
  }
}

/** A person's fields as a plain object, in the parser's order. */
function plainPerson(person: Person): Person {
  const { key, name, aliases, born, died, description, bio, links, image, implicit, source } = person;
  return { key, name, aliases, born, died, description, bio, links, image, implicit, source };
}

/** The tables line; the searches check the tables themselves when they read them. */
function tablesOf(raw: unknown): RecordedSearchTables | undefined {
  if (!isObject(raw) || !optionalText(raw.people) || !optionalText(raw.references)) return undefined;
  return { people: raw.people, references: raw.references };
}

function optionalText(value: unknown): value is string | undefined {
  return value === undefined || typeof value === 'string';
}
