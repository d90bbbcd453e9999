import { parseDocument } from 'yaml';
import { bibtexGap, bibtexNameCharacter, commandCharacters, plainBibtexEntry, plainStringDefinition, type BibtexEntry, type PlainBibtexOptions } from './bibtexPlain';
import { firstStartingFrom } from './bounds';
import { DiagnosticBuilder } from './diagnostics';
import { LineMap, lineMapSteps } from './lineMap';
import type { CslDate, CslItem, CslName, Reference } from './model';
import { parseCslJson, type Bibliography } from './registry';
import { runNow, type Steps } from './steps';
import { DiagnosticCode } from './types';

/**
 * Library files as reference managers export them: CSL-JSON (`.json`),
 * CSL-YAML (`.yaml`, `.yml`: a list, or a mapping with `references:` as
 * Pandoc writes it) and BibTeX/BibLaTeX (`.bib`, `.bibtex`, `.biblatex`),
 * all read into CSL items.
 */
export function parseBibliography(uri: string, text: string): Bibliography {
  const format = bibliographyFormat(uri);
  if (format === 'bibtex') return parseBibtex(uri, text);
  if (format === 'csl-yaml') return parseCslYaml(uri, text);
  return parseCslJson(uri, text);
}

/** How a bibliography file is read, by its extension; anything unknown is read as CSL-JSON. */
export function bibliographyFormat(uri: string): 'bibtex' | 'csl-yaml' | 'csl-json' {
  const extension = /\.([^./\\]+)$/.exec(uri.toLowerCase())?.[1] ?? '';
  if (extension === 'bib' || extension === 'bibtex' || extension === 'biblatex') return 'bibtex';
  if (extension === 'yaml' || extension === 'yml') return 'csl-yaml';
  return 'csl-json';
}

export const bibliographyExtensions: readonly string[] = ['json', 'yaml', 'yml', 'bib', 'bibtex', 'biblatex'];

export function parseCslYaml(uri: string, text: string): Bibliography {
  return runNow(cslYamlOf(uri, text, new LineMap(text), readCslYamlAtOnce(text)));
}

/** How a CSL-YAML library is composed and its values made: `yaml`'s defaults, with few aliases, errors without their context, and no warnings printed. */
export const cslYamlParseOptions = { maxAliasCount: 100, prettyErrors: false, logLevel: 'error' } as const;

/**
 * A CSL-YAML library's text read whole: its data, or the first error that
 * stops the read, placed in the text as read, without its byte order mark.
 */
export type CslYamlRead = { readonly data: unknown } | { readonly error: { readonly message: string; readonly pos?: readonly [number, number] } };

/** The read of a whole CSL-YAML library at once, as `yaml.parse` reads it. */
export function readCslYamlAtOnce(text: string): CslYamlRead {
  try {
    const doc = parseDocument(text.replace(/^\uFEFF/, ''), cslYamlParseOptions);
    if (doc.errors.length > 0) return { error: doc.errors[0] };
    return { data: doc.toJS(cslYamlParseOptions) };
  } catch (error) {
    // Too many aliases, or nesting too deep for the stack.
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** The bibliography of a CSL-YAML library: from its items read in pieces, or from a read of the whole text. */
export function* cslYamlOf(uri: string, text: string, lines: LineMap, read: { readonly items: readonly unknown[] } | CslYamlRead): Steps<Bibliography> {
  const diagnostics = new DiagnosticBuilder(uri, lines);
  if ('error' in read) {
    const { message, pos } = read.error;
    // The read leaves a byte order mark out.
    const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    const span = pos ? { start: Math.min(text.length, pos[0] + bom), end: Math.min(text.length, Math.max(pos[0] + 1, pos[1]) + bom) } : { start: 0, end: Math.min(1, text.length) };
    diagnostics.add(DiagnosticCode.YamlSyntax, `The bibliography is not valid YAML: ${message.split('\n')[0]}`, span);
    return { uri, references: [], diagnostics: diagnostics.list, valid: false };
  }
  let items: readonly unknown[] | null;
  if ('items' in read) items = read.items;
  else {
    const { data } = read;
    items = Array.isArray(data) ? data : data !== null && typeof data === 'object' && Array.isArray((data as { references?: unknown }).references) ? (data as { references: unknown[] }).references : null;
  }
  if (!items) {
    diagnostics.add(DiagnosticCode.InvalidValue, 'A CSL-YAML bibliography must be a list of items, or a mapping with a references: list.', { start: 0, end: Math.min(1, text.length) });
    return { uri, references: [], diagnostics: diagnostics.list, valid: false };
  }
  const references: Reference[] = [];
  const seen = new Set<string>();
  const ids = yield* KeyPlaces.of(text, /\bid:\s*["']?(.*?)["']?\s*$/gm);
  let from = 0;
  for (let k = 0; k < items.length; k++) {
    if (k % 256 === 255) yield;
    const raw = items[k];
    const rawId = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : '';
    const span = id ? ids.keySpan(id, from) : { start: from, end: from };
    if (!id) {
      diagnostics.add(DiagnosticCode.ReferenceWithoutId, 'This bibliography item has no id, so it cannot be cited.', span);
      continue;
    }
    from = span.end;
    if (seen.has(id)) {
      diagnostics.add(DiagnosticCode.DuplicateKey, `Reference "${id}" is defined twice; the first definition is used.`, span);
      continue;
    }
    seen.add(id);
    references.push({ id, item: { ...(raw as CslItem), id }, source: { uri, span, line: lines.lineAt(span.start) } });
  }
  return { uri, references, diagnostics: diagnostics.list, valid: true };
}

/** The part of @retorquere/bibtex-parser used here (its own types need a newer module resolution than this project's). */
interface Library {
  readonly errors: readonly unknown[];
  readonly entries: readonly BibtexEntry[];
  /** The `@string` macros defined, by name. */
  readonly strings: Readonly<Record<string, string>>;
}
interface BibtexModule {
  /** `strings`: macros by name, taken as written; or BibTeX text read before `input`, for its `@string` and `@preamble` definitions. */
  parse(input: string, options: BibtexParserOptions & { strings?: Readonly<Record<string, string>> | string }): Library;
}

/** What the parser hands over of a command it does not know: a macro's `content` is its name. */
interface UnknownNode {
  readonly type: string;
  readonly content?: unknown;
}

export interface BibtexParserOptions {
  readonly english: boolean;
  /** What the parser renders a command it does not know as. */
  readonly unsupported: (node: UnknownNode) => string;
}

/**
 * A command the parser does not know renders as nothing, as LaTeX would
 * fail on it, but for the symbols of `commandCharacters` it lacks, which
 * render as their characters: dropped, `D{\textquotesingle}Errico` lost its
 * apostrophe.
 */
function unknownCommand(node: UnknownNode): string {
  const name = node.content;
  return node.type === 'macro' && typeof name === 'string' && Object.hasOwn(commandCharacters, name) ? commandCharacters[name] : '';
}

/** How every read here calls the parser: titles kept in the case written (the citation style decides), and `unknownCommand`. */
export const bibtexParserOptions: BibtexParserOptions = { english: false, unsupported: unknownCommand };
let bibtexModule: BibtexModule | undefined;

/** The BibTeX parser is large: it is loaded when a `.bib` file is first read, not at activation. */
function bibtexParser(): BibtexModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see above
  bibtexModule ??= require('@retorquere/bibtex-parser') as BibtexModule;
  return bibtexModule;
}

/**
 * Loads the BibTeX parser in two steps. A module is evaluated whole, in one
 * turn, and the parser's took 40 to 65 ms from the bundle in a new process,
 * over half of it the LaTeX-to-Unicode tables of `unicode2latex`, which the
 * parser imports. Loaded first, on their own, they leave the parser the rest.
 * The bundle and the tests resolve `unicode2latex` as the parser's ES module
 * build imports it, so both steps load the one module.
 */
function* bibtexParserSteps(): Steps<void> {
  if (bibtexModule) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see above
  require('unicode2latex');
  yield;
  bibtexParser();
  yield;
}

/** BibTeX entry types to CSL types, as Pandoc and Better BibTeX map them. */
const bibtexTypes: Record<string, string> = {
  article: 'article-journal',
  book: 'book',
  mvbook: 'book',
  booklet: 'pamphlet',
  collection: 'book',
  mvcollection: 'book',
  proceedings: 'book',
  mvproceedings: 'book',
  reference: 'book',
  inbook: 'chapter',
  bookinbook: 'chapter',
  incollection: 'chapter',
  inreference: 'entry-encyclopedia',
  inproceedings: 'paper-conference',
  conference: 'paper-conference',
  manual: 'report',
  techreport: 'report',
  report: 'report',
  mastersthesis: 'thesis',
  phdthesis: 'thesis',
  thesis: 'thesis',
  unpublished: 'manuscript',
  online: 'webpage',
  electronic: 'webpage',
  www: 'webpage',
  periodical: 'periodical',
  patent: 'patent',
  misc: 'document',
};

/**
 * BibLaTeX names languages as babel does; CSL wants a language code, and a
 * CSL processor title-cases only English titles (or those with no language).
 */
const babelLanguages: Record<string, string> = {
  english: 'en',
  american: 'en-US',
  british: 'en-GB',
  german: 'de',
  ngerman: 'de',
  austrian: 'de-AT',
  french: 'fr',
  russian: 'ru',
  italian: 'it',
  spanish: 'es',
  portuguese: 'pt',
  dutch: 'nl',
  polish: 'pl',
  czech: 'cs',
  swedish: 'sv',
  danish: 'da',
  norwegian: 'nb',
  finnish: 'fi',
  greek: 'el',
  latin: 'la',
  hebrew: 'he',
  ukrainian: 'uk',
};

/** Plain fields copied under their CSL name. */
const bibtexFields: Record<string, string> = {
  volume: 'volume',
  edition: 'edition',
  doi: 'DOI',
  url: 'URL',
  isbn: 'ISBN',
  issn: 'ISSN',
  note: 'note',
  abstract: 'abstract',
  series: 'collection-title',
  chapter: 'chapter-number',
  shorttitle: 'title-short',
  volumes: 'number-of-volumes',
  pagetotal: 'number-of-pages',
  eventtitle: 'event-title',
  venue: 'event-place',
  version: 'version',
};

function cslName(creator: { name?: string; lastName?: string; firstName?: string; prefix?: string; suffix?: string }): CslName {
  if (creator.name !== undefined) return { literal: creator.name };
  const name: Record<string, string> = {};
  if (creator.lastName) name.family = creator.lastName;
  if (creator.firstName) name.given = creator.firstName;
  if (creator.prefix) name['non-dropping-particle'] = creator.prefix;
  if (creator.suffix) name.suffix = creator.suffix;
  return name;
}

/** `1953`, `1953-04`, `1953-04-02` and the range `1917/1921` as CSL date-parts. */
export function cslDate(value: string): CslDate {
  const parts = value.split('/').map((side) => side.trim().split('-').filter(Boolean).map(Number));
  if (parts.every((p) => p.length > 0 && p.every((n) => Number.isInteger(n)))) return { 'date-parts': parts };
  return { literal: value };
}

const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

function monthNumber(value: string): number | undefined {
  const numeric = Number(value);
  if (Number.isInteger(numeric) && numeric >= 1 && numeric <= 12) return numeric;
  return months[value.trim().slice(0, 3).toLowerCase()];
}

export function bibtexEntryToCsl(entry: BibtexEntry): CslItem {
  const fields = entry.fields;
  const text = (name: string): string | undefined => {
    const value = fields[name];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('; ');
    return undefined;
  };
  const item: Record<string, unknown> = { id: entry.key, type: bibtexTypes[entry.type.toLowerCase()] ?? 'document' };
  const title = text('title');
  const subtitle = text('subtitle');
  if (title) item.title = subtitle ? `${title}: ${subtitle}` : title;
  for (const role of ['author', 'editor', 'translator', 'director'] as const) {
    const creators = fields[role];
    if (Array.isArray(creators) && creators.length > 0) item[role] = (creators as { name?: string }[]).map(cslName);
  }
  if (Array.isArray(fields.bookauthor)) item['container-author'] = (fields.bookauthor as { name?: string }[]).map(cslName);
  const container = text('journaltitle') ?? text('journal') ?? text('booktitle') ?? text('maintitle');
  if (container) item['container-title'] = container;
  const date = text('date');
  const year = text('year');
  if (date) item.issued = cslDate(date);
  else if (year) {
    const month = text('month');
    const monthValue = month ? monthNumber(month) : undefined;
    const issued = cslDate(year);
    item.issued = monthValue !== undefined && 'date-parts' in issued && issued['date-parts']?.length === 1 ? { 'date-parts': [[...(issued['date-parts'][0] as number[]), monthValue]] } : issued;
  }
  const urldate = text('urldate');
  if (urldate) item.accessed = cslDate(urldate);
  const publisher = text('publisher') ?? text('school') ?? text('institution') ?? text('organization');
  if (publisher) item.publisher = publisher;
  const place = text('location') ?? text('address');
  if (place) item['publisher-place'] = place;
  const pages = text('pages');
  if (pages) item.page = pages;
  const number = text('number') ?? text('issue');
  if (number) item[item.type === 'article-journal' ? 'issue' : 'number'] = number;
  const genre = text('type');
  if (genre) item.genre = genre;
  else if (entry.type.toLowerCase() === 'phdthesis') item.genre = 'PhD thesis';
  else if (entry.type.toLowerCase() === 'mastersthesis') item.genre = 'Master’s thesis';
  const language = text('langid') ?? text('language');
  if (language) item.language = babelLanguages[language.toLowerCase()] ?? language;
  for (const [field, csl] of Object.entries(bibtexFields)) {
    const value = text(field);
    if (value !== undefined && item[csl] === undefined) item[csl] = value;
  }
  return composed(item) as CslItem;
}

/** The parser writes accents as combining marks (`c` + caron); composed letters match what people type and search for. */
function composed(value: unknown): unknown {
  // ASCII is composed already, and most of a library is: normalizing every string took about as long as reading its plain entries.
  if (typeof value === 'string') return asciiOnly.test(value) ? value : value.normalize('NFC');
  if (Array.isArray(value)) return value.map(composed);
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) copy[key] = composed(field);
    return copy;
  }
  return value;
}

const asciiOnly = /^[\x00-\x7f]*$/;

/** A BibTeX library read at once, as in steps: its plain entries without the parser, with the result of `parseBibtexWhole`. */
export function parseBibtex(uri: string, text: string): Bibliography {
  return runNow(bibtexSteps(uri, text)).bibliography;
}

/** A BibTeX library read whole by the parser, which every other reading of it must agree with. */
export function parseBibtexWhole(uri: string, text: string): Bibliography {
  return runNow(bibtexOf(uri, text, new LineMap(text), undefined));
}

/**
 * Where the keys of a library's entries are written, found in one pass of
 * `pattern`, whose first group is a key: the entry headers (`@type{key,`) of
 * BibTeX, the `id:` lines of CSL-YAML. A pattern for each key, run over the
 * whole text, would be compiled thousands of times for a large library, and
 * past that V8 runs every pattern compiled afterwards, in the whole
 * extension host, many times slower.
 */
class KeyPlaces {
  /** For each key, where it is written, in order. */
  private readonly byKey = new Map<string, number[]>();

  /** The places of the keys `pattern` finds in `text`, found in steps: one pass over a large library takes 10 to 20 ms. */
  static *of(text: string, pattern: RegExp): Steps<KeyPlaces> {
    const found = new KeyPlaces();
    let count = 0;
    for (const match of text.matchAll(pattern)) {
      const key = match[1];
      const at = match.index + match[0].lastIndexOf(key);
      const places = found.byKey.get(key);
      if (places) places.push(at);
      else found.byKey.set(key, [at]);
      if (++count % matchesPerStep === 0) yield;
    }
    return found;
  }

  /** The first place `key` is written at or after `from`, or else the first anywhere; `from` itself when nowhere. */
  keySpan(key: string, from: number): { start: number; end: number } {
    const places = this.byKey.get(key);
    if (!places) return { start: from, end: from };
    const next = firstStartingFrom(places, from, (place) => place);
    const start = places[next < places.length ? next : 0];
    return { start, end: start + key.length };
  }
}

/** Entries read by the parser between two steps: it takes a sixth to a third of a millisecond for each. */
const bibtexEntriesPerStep = 8;

/** Matches of a pattern over a whole library taken between two steps, a millisecond or two. */
const matchesPerStep = 2048;

/** Plain entries read between two steps, each in a few microseconds without the parser. */
const plainEntriesPerStep = 64;

/**
 * Reads a BibTeX library in steps of a few milliseconds each, with the same
 * result as `parseBibtex`, and the file's line map. The parser takes a
 * sixth to a third of a millisecond an entry, so a library of thousands read at once would
 * hold the event loop for seconds. The text is cut where entries start, at
 * the start of a line. A plain entry is read without the parser
 * (`plainBibtexEntry`); the others are read a few at a time, each piece
 * after the preambles and the `@string` definitions before it that it uses,
 * as written (`Definitions`). An entry that inherits through `crossref` is
 * read with the entries it inherits from, wherever they are in the file,
 * appended to its piece. A file with `xdata`, one whose inheritance cannot
 * be followed plainly, one with a preamble that is not a piece of its own,
 * and one in which any piece has an error, is read whole, so that the result
 * never depends on where it was cut.
 */
export function* bibtexSteps(uri: string, text: string): Steps<{ bibliography: Bibliography; lines: LineMap }> {
  const lines = yield* lineMapSteps(text);
  const pieces = sharedData.test(text) ? undefined : yield* bibtexPieces(text);
  if (!pieces) yield* bibtexParserSteps();
  return { bibliography: yield* bibtexOf(uri, text, lines, pieces), lines };
}

/** The library read piece by piece, or undefined when it must be read whole: the whole read then says what is wrong, if anything. */
function* bibtexPieces(text: string): Steps<Library | undefined> {
  const starts: number[] = [];
  for (const match of text.matchAll(/^[ \t]*@/gm)) {
    if (starts.push(match.index) % matchesPerStep === 0) yield;
  }
  const parents = inherits.test(text) ? new CrossrefParents(text, starts) : null;
  if (parents?.childKeyTwice) return undefined;
  const entries: BibtexEntry[] = [];
  // The macros as the parser renders them, enough to count a parent's entries or check a definition read alone; a piece is read with their definitions as written.
  let strings: Record<string, string> = {};
  if (!Definitions.preamblesStartPieces(text, starts)) return undefined;
  // A macro BibTeX has built in, such as a month's, has its own value unless an `@string` may define it.
  const mayBeDefined = namesMaybeDefined(text);
  const builtInMacros = (name: string): boolean => !mayBeDefined.has(name);
  const definitions = new Definitions(text, builtInMacros);
  // Whether a plain reading asked for a macro while the batch waiting to be read may define it.
  let macroWaiting = false;
  const plainOptions = {
    builtInMacros,
    macro: (name: string): string | undefined => {
      if (!batch?.defines) return definitions.plainValue(name);
      macroWaiting = true;
      return undefined;
    },
  };
  // The entries that are not plain, consecutive in the file, waiting to be read together by the parser, and whether they may define a macro.
  let batch: { from: number; to: number; count: number; defines: boolean } | undefined;
  function* readBatch(): Steps<boolean> {
    if (!batch) return true;
    // Loading the parser takes steps of its own, the first time, and a library of plain entries never needs it.
    yield* bibtexParserSteps();
    const { from, to } = batch;
    batch = undefined;
    let source = text.slice(from, to);
    // The entries a piece's own inherit from come after its own, and are read where they stand.
    let borrowed: string[] = [];
    if (parents) {
      const appended = parents.for(source, from, to, strings);
      if (!appended) return false;
      source += appended.text;
      borrowed = appended.keys;
    }
    let piece: Library;
    try {
      piece = bibtexParser().parse(source, { ...bibtexParserOptions, strings: definitions.for(source) });
    } catch {
      return false;
    }
    if (piece.errors.length > 0) return false;
    const own = piece.entries.length - borrowed.length;
    // A comment left open in the piece swallows what was appended without an error; read whole, it swallows more.
    if (own < 0 || borrowed.some((key, k) => piece.entries[own + k].key.toLowerCase() !== key)) return false;
    for (let e = 0; e < own; e++) entries.push(piece.entries[e]);
    strings = { ...strings, ...piece.strings };
    if (!definitions.addFrom(text, from, to, starts, strings)) return false;
    yield;
    return true;
  }
  let plainSinceStep = 0;
  for (let k = 0; k < starts.length || k === 0; k++) {
    // The first piece takes whatever comes before the first entry at a line start.
    const from = k === 0 ? 0 : starts[k];
    const to = k + 1 < starts.length ? starts[k + 1] : text.length;
    const piece = text.slice(from, to);
    macroWaiting = false;
    let plain = plainBibtexEntry(piece, plainOptions);
    if (!plain && macroWaiting) {
      // A macro the batch may define is known once the batch is read.
      if (!(yield* readBatch())) return undefined;
      plain = plainBibtexEntry(piece, plainOptions);
    }
    if (plain) {
      if (!(yield* readBatch())) return undefined;
      entries.push(plain);
      if (++plainSinceStep === plainEntriesPerStep) {
        plainSinceStep = 0;
        yield;
      }
      continue;
    }
    if (batch) batch.to = to;
    else batch = { from, to, count: 0, defines: false };
    if (mayDefineInPiece.test(piece)) batch.defines = true;
    if (++batch.count === bibtexEntriesPerStep && !(yield* readBatch())) return undefined;
  }
  if (!(yield* readBatch())) return undefined;
  return { errors: [], entries, strings };
}

/**
 * Where an `@string` may define a macro: an `@`, then `string` as the
 * parser reads a directive, with whitespace and comments between. Every
 * `@` is tried: a match of text that is no definition, in a value, must not
 * hide one after it.
 */
const mayDefineMacro = new RegExp(String.raw`@(?=${bibtexGap}string(?!${bibtexNameCharacter}))`, 'giu');

/** Whether a text may define a macro (`mayDefineMacro`). */
const mayDefineInPiece = new RegExp(mayDefineMacro.source, 'iu');

/** Where a preamble may be: an `@`, then `preamble` as the parser reads a directive. */
const mayBePreamble = new RegExp(String.raw`@(?=${bibtexGap}preamble(?!${bibtexNameCharacter}))`, 'giu');

/** A piece that starts with a definition: the macro's name, or `preamble`. */
const definitionHead = new RegExp(String.raw`^[ \t]*@${bibtexGap}(?:string${bibtexGap}[{(]${bibtexGap}(${bibtexNameCharacter}+)${bibtexGap}=|(preamble)(?!${bibtexNameCharacter}))`, 'iu');

/** The name an `@string` at an `@` would define, as the parser reads it. */
const definedName = new RegExp(String.raw`@(?=${bibtexGap}string${bibtexGap}[{(]${bibtexGap}(${bibtexNameCharacter}*))`, 'giu');

/** The names, in upper case, of the macros an `@string` may define somewhere in `text`. */
function namesMaybeDefined(text: string): Set<string> {
  return new Set(Array.from(text.matchAll(definedName), ([, name]) => name.toUpperCase()));
}

/**
 * The `@string` and `@preamble` definitions of the pieces read so far, as
 * written, for the pieces after them. The parser's own record of a macro is
 * its rendering: handed to the parser again, it would be read as LaTeX a
 * second time (`50\% off` would end at its `%`), and a verbatim field such
 * as `url` would get the rendering, not the text. A preamble's
 * `\newcommand`s hold for every entry after it.
 */
class Definitions {
  /** Each definition's text, in the order of the file. */
  private readonly texts: string[] = [];
  /** Where each macro's definitions are in `texts`, by its name in upper case, as the parser keys it. */
  private readonly byName = new Map<string, number[]>();
  /** Where the preambles are in `texts`: every piece after one is read with it. */
  private readonly preambles: number[] = [];
  /** Each macro's value as last defined, where the definition is plain (`plainStringDefinition`); undefined where it is not. */
  private readonly values = new Map<string, string | undefined>();
  /** Where the text may define a macro or a preamble (`mayDefineMacro`, `mayBePreamble`), in order. */
  private readonly mayDefine: number[];
  /** How a definition's value reads the macros in it: those defined plainly before it, and BibTeX's own where none is defined. */
  private readonly plainOptions: PlainBibtexOptions;

  constructor(text: string, builtInMacros: (name: string) => boolean) {
    this.mayDefine = [...text.matchAll(mayDefineMacro), ...text.matchAll(mayBePreamble)].map((match) => match.index).sort((a, b) => a - b);
    this.plainOptions = { builtInMacros, macro: (name) => this.values.get(name) };
  }

  /** The value of macro `name` as written, where its last definition so far is plain. */
  plainValue(name: string): string | undefined {
    return this.values.get(name);
  }

  /** Whether every preamble in `text` starts a piece: one inside another piece would be lost to the pieces after it. */
  static preamblesStartPieces(text: string, starts: readonly number[]): boolean {
    for (const preamble of text.matchAll(mayBePreamble)) {
      const k = firstStartingFrom(starts, preamble.index + 1, (at) => at) - 1;
      if (k < 0 || text.slice(starts[k], preamble.index).trim() !== '') return false;
    }
    return true;
  }

  /**
   * Keeps the definitions among the pieces starting at `starts` within
   * `[from, to)`, once these have been read; `strings` are the macros as
   * rendered up to their end, for a definition that uses another. A
   * definition is its piece up to any other `@`, when the parser reads that
   * alone as the one definition, without an error: it then leaves the
   * parser where the next piece begins. False when a preamble cannot be
   * kept so, or when anything else in the pieces may define a macro: the
   * library is then read whole.
   */
  addFrom(text: string, from: number, to: number, starts: readonly number[], strings: Readonly<Record<string, string>>): boolean {
    const kept = new Set<number>();
    for (let k = firstStartingFrom(starts, from, (at) => at); k < starts.length && starts[k] < to; k++) {
      const piece = text.slice(starts[k], k + 1 < starts.length ? starts[k + 1] : text.length);
      const definition = definitionHead.exec(piece);
      if (!definition) continue;
      const [, name, preamble] = definition;
      const other = piece.indexOf('@', piece.indexOf('@') + 1);
      const written = other < 0 ? piece : piece.slice(0, other);
      // A definition of one plain value is read alone as it was in its piece; any other is read alone to be sure.
      const macro = preamble ? undefined : name.toUpperCase();
      const plain = macro === undefined ? undefined : plainStringDefinition(written, this.plainOptions);
      if (plain === undefined && !Definitions.readsAlone(written, macro, strings)) {
        if (preamble) return false;
        continue;
      }
      if (macro === undefined) this.preambles.push(this.texts.length);
      else {
        const places = this.byName.get(macro);
        if (places) places.push(this.texts.length);
        else this.byName.set(macro, [this.texts.length]);
        this.values.set(macro, plain?.value);
      }
      kept.add(starts[k] + written.indexOf('@'));
      this.texts.push(written);
    }
    // A definition not kept, as one after an entry on its line or one the head does not match, would be lost to the pieces after it.
    for (let k = firstStartingFrom(this.mayDefine, from, (at) => at); k < this.mayDefine.length && this.mayDefine[k] < to; k++) {
      if (!kept.has(this.mayDefine[k])) return false;
    }
    return true;
  }

  /** Whether the parser reads `written` alone as the definition of macro `name`, or of none for a preamble, without an error. */
  private static readsAlone(written: string, name: string | undefined, strings: Readonly<Record<string, string>>): boolean {
    let alone: Library;
    try {
      alone = bibtexParser().parse(written, { ...bibtexParserOptions, strings });
    } catch {
      return false;
    }
    const defines = Object.keys(alone.strings);
    return alone.errors.length === 0 && alone.entries.length === 0 && (name === undefined ? defines.length === 0 : defines.length === 1 && defines[0] === name);
  }

  /**
   * The definitions a piece may use, as text to read before it: the
   * preambles, the definitions of the words it holds, and those of the words
   * in those definitions, in the order of the file, so that each macro has
   * the value it has there. A macro used but not kept here is unresolved:
   * the parser's error sends the library to be read whole.
   */
  for(source: string): string | undefined {
    if (this.texts.length === 0) return undefined;
    const wanted = new Set<string>();
    const places = [...this.preambles];
    const pending = [source, ...places.map((place) => this.texts[place])];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      for (const [word] of next.matchAll(/[^\s=#,{}()"%]+/g)) {
        const name = word.toUpperCase();
        const defined = this.byName.get(name);
        if (!defined || wanted.has(name)) continue;
        wanted.add(name);
        for (const place of defined) {
          places.push(place);
          pending.push(this.texts[place]);
        }
      }
    }
    if (places.length === 0) return undefined;
    return places
      .sort((a, b) => a - b)
      .map((place) => this.texts[place])
      .join('\n');
  }
}

/** A `crossref` field's name and its `=`, with whitespace and comments between, as the parser reads them. */
const inheritance = new RegExp(String.raw`\bcrossref${bibtexGap}=`, 'gi');

/** Whether a text has a `crossref` field (`inheritance`). */
const inherits = new RegExp(inheritance.source, 'i');

/** Whether a text has an `xdata` field, as `inheritance` finds a `crossref`. */
const sharedData = new RegExp(String.raw`\bxdata${bibtexGap}=`, 'i');

/** A `crossref` field's value after its `=`: a key in braces or in quotes. */
const crossrefValue = new RegExp(String.raw`${bibtexGap}(?:\{[ \t\r\n]*([^{} \t\r\n,]+)[ \t\r\n]*\}|"[ \t\r\n]*([^"{} \t\r\n,]+)[ \t\r\n]*")`, 'y');

/**
 * An entry's header after its `@`, as the parser reads it: its type, then
 * its key (the first group) and the comma after it, with whitespace and
 * comments between.
 */
const entryHeader = String.raw`${bibtexGap}${bibtexNameCharacter}+${bibtexGap}[{(]${bibtexGap}((?:${bibtexNameCharacter}|[\[\]*"])+)${bibtexGap},`;

/** Every entry header: every `@` is tried, so that a header matched in a value does not hide one after it. */
const anyEntryHeader = new RegExp(`@(?=${entryHeader})`, 'gu');

/** An entry header at a line start, from the line's start. */
const entryHeaderAt = new RegExp(`[ \\t]*@${entryHeader}`, 'uy');

/**
 * The entries that entries inherit from through `crossref`, as text to append
 * to a piece: each entry that starts a line, from its `@` to the next one.
 * Undefined when that cannot be done plainly: a key not given in braces or
 * quotes, a parent that is not such an entry or is defined twice, or a
 * parent's text that holds more than one entry or a macro.
 */
class CrossrefParents {
  /** Each entry that starts a line, by its key in lower case: the offsets of its text, one pair per definition. */
  private readonly byKey = new Map<string, number[]>();
  /** Whether each parent's text holds one entry, read alone (`isOneEntry`), by its start. */
  private readonly oneEntry = new Map<number, boolean>();
  /**
   * Whether an entry that inherits has its key given to another entry too.
   * The parser lets only the last entry of a key inherit, where the library
   * keeps the first; read in pieces, each would inherit.
   */
  readonly childKeyTwice: boolean;

  constructor(
    private readonly text: string,
    starts: readonly number[],
  ) {
    // A key whose entry header is written more than once, at a line start or not, is not followed.
    const headers = new Map<string, number>();
    for (const match of text.matchAll(anyEntryHeader)) {
      const key = match[1].toLowerCase();
      headers.set(key, (headers.get(key) ?? 0) + 1);
    }
    const inheriting = Array.from(text.matchAll(inheritance), (match) => match.index);
    let childKeyTwice = false;
    for (let k = 0; k < starts.length; k++) {
      entryHeaderAt.lastIndex = starts[k];
      const key = entryHeaderAt.exec(text)?.[1].toLowerCase();
      const end = k + 1 < starts.length ? starts[k + 1] : text.length;
      if (key !== undefined && headers.get(key) !== 1 && !childKeyTwice) {
        const next = firstStartingFrom(inheriting, starts[k], (at) => at);
        childKeyTwice = next < inheriting.length && inheriting[next] < end;
      }
      if (key === undefined || headers.get(key) !== 1) continue;
      const places = this.byKey.get(key);
      if (places) places.push(starts[k], end);
      else this.byKey.set(key, [starts[k], end]);
    }
    this.childKeyTwice = childKeyTwice;
  }

  /** The parents of the entries in `source` (the text's `[from, to)`), and theirs, that lie outside it. */
  for(source: string, from: number, to: number, strings: Readonly<Record<string, string>>): { text: string; keys: string[] } | undefined {
    const parts: string[] = [];
    const parentKeys: string[] = [];
    const seen = new Set<number>();
    const pending = [source];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const keys = crossrefKeys(next);
      if (!keys) return undefined;
      for (const key of keys) {
        const places = this.byKey.get(key.toLowerCase());
        if (!places || places.length !== 2) return undefined;
        const [start, end] = places;
        if ((start >= from && start < to) || seen.has(start)) continue;
        seen.add(start);
        if (!this.isOneEntry(start, end, strings)) return undefined;
        const parent = this.text.slice(start, end);
        parts.push(parent);
        pending.push(parent);
        parentKeys.push(key.toLowerCase());
      }
    }
    return { text: parts.length > 0 ? `\n${parts.join('\n')}` : '', keys: parentKeys };
  }

  /** Whether the parser finds one entry in a parent's text, read alone, without errors or macros. */
  private isOneEntry(start: number, end: number, strings: Readonly<Record<string, string>>): boolean {
    let one = this.oneEntry.get(start);
    if (one === undefined) {
      try {
        const alone = bibtexParser().parse(this.text.slice(start, end), { ...bibtexParserOptions, strings });
        one = alone.errors.length === 0 && alone.entries.length === 1 && Object.keys(alone.strings).length === 0;
      } catch {
        one = false;
      }
      this.oneEntry.set(start, one);
    }
    return one;
  }
}

/** The keys that `crossref` fields in `source` name, or undefined when one is not given plainly in braces or quotes. */
function crossrefKeys(source: string): string[] | undefined {
  const keys: string[] = [];
  for (const match of source.matchAll(inheritance)) {
    crossrefValue.lastIndex = match.index + match[0].length;
    const found = crossrefValue.exec(source);
    if (!found) return undefined;
    keys.push(found[1] ?? found[2]);
  }
  return keys;
}

/** The bibliography of a library: read from `pieces` when given, otherwise by the parser over the whole text. */
function* bibtexOf(uri: string, text: string, lines: LineMap, pieces: Library | undefined): Steps<Bibliography> {
  const diagnostics = new DiagnosticBuilder(uri, lines);
  let library: Library;
  try {
    // Titles are kept as written: a CSL style, not the parser, decides their case.
    library = pieces ?? bibtexParser().parse(text, bibtexParserOptions);
  } catch (error) {
    diagnostics.add(DiagnosticCode.UnreadableFile, `The bibliography is not valid BibTeX: ${(error as Error).message.split('\n')[0]}`, { start: 0, end: Math.min(1, text.length) });
    return { uri, references: [], diagnostics: diagnostics.list, valid: false };
  }
  for (const problem of library.errors) {
    const message = (problem as { error?: string }).error ?? JSON.stringify(problem);
    diagnostics.add(DiagnosticCode.UnreadableFile, `BibTeX: ${message}`, { start: 0, end: Math.min(1, text.length) });
  }
  const references: Reference[] = [];
  const seen = new Set<string>();
  const headers = yield* KeyPlaces.of(text, /@\w+\s*[{(]\s*([^\s,]+)\s*,/g);
  let from = 0;
  for (let k = 0; k < library.entries.length; k++) {
    const entry = library.entries[k];
    const span = headers.keySpan(entry.key, from);
    from = span.end;
    if (seen.has(entry.key)) {
      diagnostics.add(DiagnosticCode.DuplicateKey, `Reference "${entry.key}" is defined twice; the first definition is used.`, span);
      continue;
    }
    seen.add(entry.key);
    references.push({ id: entry.key, item: bibtexEntryToCsl(entry), source: { uri, span, line: lines.lineAt(span.start) } });
    if (k % 256 === 255) yield;
  }
  return { uri, references, diagnostics: diagnostics.list, valid: library.errors.length === 0 };
}
