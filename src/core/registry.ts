import { DiagnosticBuilder } from './diagnostics';
import { LineMap, LinesLater, SourceWithLineLater, type ForwardLines } from './lineMap';
import { givenBy, keepListReferences, LayeredReferences, leftOutSteps, listReferencesSteps, ReferencesById, type ReferenceLayer } from './referenceLayers';
import type { CslItem, Person, Reference, Registry, SourceLocation } from './model';
import { runNow, type Steps } from './steps';
import { DiagnosticCode, defaultSeverity, type Diagnostic } from './types';

/** What a bibliography file contributes: CSL-JSON items with the line of each id. */
export interface Bibliography {
  readonly uri: string;
  readonly references: readonly Reference[];
  readonly diagnostics: readonly Diagnostic[];
  readonly valid: boolean;
}

const unsafeKeys = new Set(['__proto__', 'constructor', 'prototype']);
/** Levels of nesting kept in a CSL-JSON item; real items nest four or five. */
export const maxJsonDepth = 64;

/**
 * A copy of parsed JSON without keys that would reach an object's prototype,
 * cut below `maxJsonDepth`. A JSON.parse reviver would do the first, but it
 * recurses once per level and overflows the stack on a deeply nested file.
 */
function safeJson(value: unknown, depth: number, cut: { deep: boolean }): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > maxJsonDepth) {
    cut.deep = true;
    return undefined;
  }
  if (Array.isArray(value)) return value.map((v) => safeJson(v, depth + 1, cut));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (!unsafeKeys.has(key)) out[key] = safeJson(v, depth + 1, cut);
  return out;
}

export function parseCslJson(uri: string, text: string): Bibliography {
  const lines = new LineMap(text);
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return unreadableCslJson(uri, text, lines, error as Error);
  }
  const items = Array.isArray(data) ? data : data !== null && typeof data === 'object' && Array.isArray((data as { items?: unknown }).items) ? (data as { items: unknown[] }).items : null;
  if (!items) {
    const diagnostics = new DiagnosticBuilder(uri, lines);
    diagnostics.add(DiagnosticCode.InvalidValue, 'A CSL-JSON bibliography must be a list of items.', { start: 0, end: Math.min(1, text.length) });
    return { uri, references: [], diagnostics: diagnostics.list, valid: false };
  }
  const reader = new CslJsonItems(uri, text, lines);
  for (const raw of items) reader.add(raw);
  return reader.result();
}

function unreadableCslJson(uri: string, text: string, lines: LineMap, error: Error): Bibliography {
  const diagnostics = new DiagnosticBuilder(uri, lines);
  const at = /position (\d+)/.exec(error.message);
  const offset = at ? Number(at[1]) : 0;
  diagnostics.add(DiagnosticCode.UnreadableFile, `The bibliography is not valid CSL-JSON: ${error.message}`, { start: offset, end: Math.min(text.length, offset + 1) });
  return { uri, references: [], diagnostics: diagnostics.list, valid: false };
}

/** Turns the parsed items of a CSL-JSON file into references, in file order, each with the span of its id. */
export class CslJsonItems {
  /** The references by id, in file order: kept with their list for the registries it gives references to (see `keepListReferences`). */
  private readonly byId = new ReferencesById();
  private readonly diagnostics: DiagnosticBuilder;
  /** Ids are found in file order, nearly always: a diagnostic's lines are counted on from one to the next. */
  private readonly lines: ForwardLines;
  /** The references' lines, counted apart from the diagnostics', so that a diagnostic far on leaves them forward still. */
  private readonly sourceLines: LinesLater;
  private searchFrom = 0;
  private misses = 0;
  /** Characters the searches of the whole text may still read. */
  private wideBudget: number;

  constructor(
    private readonly uri: string,
    private readonly text: string,
    lines: LineMap,
  ) {
    this.lines = lines.forward();
    this.sourceLines = new LinesLater(lines.forward());
    this.diagnostics = new DiagnosticBuilder(uri, this.lines);
    this.wideBudget = 8 * text.length;
  }

  /**
   * Adds one parsed item; whether it was kept (it has an id, not seen before).
   * `copied` says the caller already knows it holds no prototype key and nests
   * shallowly, so that it need not be copied; such an item's reference is
   * then made by `inText`, when given, which keeps the item as its text.
   */
  add(raw: unknown, copied = false, inText?: (raw: CslItem, id: string, source: SourceLocation) => Reference): boolean {
    const { diagnostics } = this;
    const id = raw !== null && typeof raw === 'object' && (typeof (raw as CslItem).id === 'string' || typeof (raw as CslItem).id === 'number') ? String((raw as CslItem).id) : '';
    // Items appear in file order, so each id is found after the previous one.
    const quoted = JSON.stringify(id);
    const at = id ? this.findId(quoted) : -1;
    const span = at >= 0 ? { start: at + 1, end: at + quoted.length - 1 } : { start: this.searchFrom, end: this.searchFrom };
    if (at >= 0) this.searchFrom = at + quoted.length;
    if (!id) {
      diagnostics.add(DiagnosticCode.ReferenceWithoutId, 'This bibliography item has no id, so it cannot be cited.', span);
      return false;
    }
    if (this.byId.has(id)) {
      diagnostics.add(DiagnosticCode.DuplicateKey, `Reference "${id}" is defined twice; the first definition is used.`, span);
      return false;
    }
    if (inText && copied) {
      this.byId.add(inText(raw as CslItem, id, new SourceWithLineLater(this.uri, span, this.sourceLines)));
      return true;
    }
    const cut = { deep: false };
    const item = cslItemOf(raw, id, copied, cut);
    if (cut.deep) diagnostics.add(DiagnosticCode.LimitReached, `Reference "${id}" nests more than ${maxJsonDepth} levels deep; the deeper values are left out.`, span);
    this.byId.add({ id, item, source: new SourceWithLineLater(this.uri, span, this.sourceLines) });
    return true;
  }

  result(): Bibliography {
    const references = this.byId.inOrder();
    // The registries this library gives references to read them by this map, rather than each making its own.
    keepListReferences(references, this.byId);
    return { uri: this.uri, references, diagnostics: this.diagnostics.list, valid: true };
  }

  /**
   * Where an id, quoted, is written: first in the stretch after the previous
   * id, where it nearly always is; then anywhere after that, and anywhere
   * before it. An id spelt with escapes is in none of them, and a search of
   * the whole text for each item of a file of such ids would read it once
   * per item: the whole text is searched only within a budget of a few
   * readings, and once many ids were missing, the stretch shrinks too, so
   * that such a file still reads in linear time.
   */
  private findId(quoted: string): number {
    const { text, searchFrom } = this;
    const stretch = this.misses < manyMisses ? idStretch : shortIdStretch;
    const near = text.slice(searchFrom, Math.min(text.length, searchFrom + stretch + quoted.length)).indexOf(quoted);
    if (near >= 0) return searchFrom + near;
    this.misses++;
    if (this.wideBudget <= 0) return -1;
    const later = text.indexOf(quoted, searchFrom);
    this.wideBudget -= (later >= 0 ? later : text.length) - searchFrom;
    if (later >= 0) return later;
    this.wideBudget -= text.length;
    return text.indexOf(quoted);
  }
}

/** The item a reference keeps of parsed JSON whose id is `id`: a safe copy unless `copied`, with the id as a string. */
export function cslItemOf(raw: unknown, id: string, copied: boolean, cut: { deep: boolean }): CslItem {
  const data = (copied ? raw : safeJson(raw, 0, cut)) as CslItem;
  // Most ids are strings already, and the item can be kept as it is.
  return data.id === id ? data : { ...data, id };
}

/** Characters after the previous item's id in which an item's id is looked for first: far more than an item holds. */
const idStretch = 1 << 14;
/** The same, once `manyMisses` ids were not found there: a file of escaped ids. */
const shortIdStretch = 1 << 10;
const manyMisses = 256;

/** What a sidecar or a bibliography gives a registry. */
export interface RegistrySource {
  readonly uri: string;
  readonly stale?: boolean;
  readonly people?: readonly Person[];
  readonly references: readonly Reference[];
  readonly diagnostics: readonly Diagnostic[];
}

function* laterDefinition(code: DiagnosticCode, message: string, source: SourceLocation, lines: ReadonlyMap<string, LineMap>): Steps<Diagnostic> {
  const map = lines.get(source.uri);
  // The entry's line was counted as it was read: a large library's lines are found only when the span's own line cannot be read.
  let range = map?.rangeOnLine(source.span, source.line);
  if (map && !range) {
    // Found in steps: at once they would hold the event loop.
    yield* map.builtSteps();
    range = map.rangeOf(source.span);
  }
  range ??= { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { severity: defaultSeverity[code], code, message, uri: source.uri, span: source.span, range };
}

/**
 * Merges sidecars and bibliographies in order. A key defined twice is a
 * diagnostic at the later definition, and the first stays.
 */
export function mergeRegistry(sources: readonly RegistrySource[], lineMaps: ReadonlyMap<string, LineMap>): Registry {
  return runNow(mergeRegistrySteps(sources, lineMaps));
}

/** Entries merged between two steps: tens of thousands of people, names and references take tens of milliseconds. */
const entriesPerStep = 1024;

/** `mergeRegistry` in steps of a few milliseconds each. */
export function* mergeRegistrySteps(sources: readonly RegistrySource[], lineMaps: ReadonlyMap<string, LineMap>): Steps<Registry> {
  const people = new Map<string, Person>();
  const layers = yield* referenceLayersSteps(sources.filter((source) => source.references.length > 0));
  // Merged here only where a file lists an id twice; otherwise read through each file's own map.
  const merged = new Map<string, Reference>();
  const names = new Map<string, string[]>();
  const diagnostics: Diagnostic[] = [];
  let entries = 0;
  let layer = 0;
  for (const source of sources) {
    diagnostics.push(...source.diagnostics);
    for (const person of source.people ?? []) {
      if (++entries % entriesPerStep === 0) yield;
      const earlier = people.get(person.key);
      if (earlier) {
        diagnostics.push(yield* laterDefinition(DiagnosticCode.DuplicateKey, `Person "${person.key}" is already defined in ${earlier.source.uri}:${earlier.source.line + 1}; that definition is used.`, person.source, lineMaps));
        continue;
      }
      people.set(person.key, person);
      claimName(names, person.name, person.key);
      const { aliases } = person;
      for (let a = 0; a < aliases.length; a++) {
        // A person's own names count once: an alias may repeat the name or another alias.
        if (aliases[a] !== person.name && aliases.indexOf(aliases[a]) === a) claimName(names, aliases[a], person.key);
      }
    }
    if (layers) {
      if (source.references.length === 0) continue;
      const { list, leftOut } = layers[layer];
      const before = layers.slice(0, layer++);
      for (const place of leftOut) {
        const reference = list[place];
        diagnostics.push(yield* laterDefinition(DiagnosticCode.DuplicateKey, referenceDefinedTwice(reference, givenBy(before, reference.id) as Reference), reference.source, lineMaps));
      }
      continue;
    }
    for (const reference of source.references) {
      if (++entries % entriesPerStep === 0) yield;
      const earlier = merged.get(reference.id);
      if (earlier) {
        diagnostics.push(yield* laterDefinition(DiagnosticCode.DuplicateKey, referenceDefinedTwice(reference, earlier), reference.source, lineMaps));
        continue;
      }
      merged.set(reference.id, reference);
    }
  }
  for (const [name, keys] of names) {
    if (keys.length < 2) continue;
    for (const key of keys.slice(1)) {
      const person = people.get(key) as Person;
      diagnostics.push(yield* laterDefinition(DiagnosticCode.SharedAlias, `The name "${name}" belongs to ${keys.map((k) => `"${k}"`).join(' and ')}; in the text it resolves to neither. Use [[key]] to say who is meant.`, person.source, lineMaps));
    }
  }
  return {
    people,
    references: !layers ? merged : layers.length === 0 ? new Map() : layers.length === 1 ? layers[0].byId : new LayeredReferences(layers),
    names,
    sidecars: sources.filter((s) => s.people !== undefined).map((s) => s.uri),
    staleSidecars: sources.filter((s) => s.stale).map((s) => s.uri),
    diagnostics,
  };
}

/**
 * Each file's references as a layer of the registry's, in order; undefined
 * when a file lists an id twice, whose references are then merged into one
 * map. A file named twice is two layers, the second left out whole.
 */
function* referenceLayersSteps(giving: readonly RegistrySource[]): Steps<ReferenceLayer[] | undefined> {
  const layers: ReferenceLayer[] = [];
  for (const { references: list } of giving) {
    const byId = yield* listReferencesSteps(list);
    if (!byId) return undefined;
    const leftOut = layers.length === 0 ? new Int32Array(0) : yield* leftOutSteps(list, byId, layers);
    layers.push({ list, byId, leftOut });
  }
  return layers;
}

function referenceDefinedTwice(reference: Reference, earlier: Reference): string {
  return `Reference "${reference.id}" is already defined in ${earlier.source.uri}:${earlier.source.line + 1}; that definition is used.`;
}

function claimName(names: Map<string, string[]>, name: string, key: string): void {
  const claimed = names.get(name);
  if (claimed) claimed.push(key);
  else names.set(name, [key]);
}

export const emptyRegistry: Registry = { people: new Map(), references: new Map(), names: new Map(), sidecars: [], staleSidecars: [], diagnostics: [] };
