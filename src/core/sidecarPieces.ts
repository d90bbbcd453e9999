import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { lineMapSteps, type LineMap } from './lineMap';
import type { CslItem, Person, Sidecar } from './model';
import { resolvePath } from './paths';
import { NotQuick, pieceValues, type PieceValues, type RootEntry } from './quickYaml';
import { FlowDepthScan, SidecarEntries, SidecarReader, sidecarLimits, sidecarParseOptions } from './sidecar';
import { runNow, scanChunk, type Steps } from './steps';
import { readWholeInSteps, type WholeReadSteps } from './sidecarWhole';
import type { Span } from './types';

/*
 * A large sidecar read in pieces. The top-level keys split the file into
 * sections; inside `people:` each entry starts a line at the entries'
 * indentation, and inside `references:` each `- ` item does. Pieces of a few
 * entries are parsed on their own, so no single parse holds the event loop for
 * long, and read in file order into one result.
 *
 * Two reads share the pieces. The quick read parses them with js-yaml's event
 * parser, about fifteen times faster than `yaml`'s documents, and gives the
 * people and references that hovers and search need. The precise read parses
 * them with `yaml`, the parser of record, and gives exactly what
 * `parseSidecar` gives for the whole file, diagnostics included.
 *
 * A piece parsed alone means what it means in the whole file only when nothing
 * crosses its edges. So the split is refused, and the file read whole, when
 * it is not clearly safe: directives or several documents, a top-level line
 * that is not a plain `key:`, a key repeated at top level, tabs or unusual
 * indentation where pieces meet. A `---` line before the first key and a
 * `...` line after the last are the one document's markers, and are allowed.
 * A piece with a syntax error also sends the file back to the whole read: an
 * unclosed quote or bracket that crosses a piece's edge shows as an error in
 * that piece. An alias may point into an earlier piece: `yaml` leaves it
 * unresolved, and the reader, which keeps the anchors of every piece it has
 * read, follows it as it would in the whole file.
 */

/**
 * Characters per piece read with `yaml`: 2 to 4 ms each on a quiet machine.
 * Twice as many took up to 20 ms a step, and a collection of a host's heap
 * landing in such a step held the event loop past 50 ms.
 */
export const defaultPieceChars = 2048;
/** Characters of the first piece of a section; the next ones double up to the full size. */
const firstPieceChars = 256;
/** Characters per piece read with js-yaml's events, a few milliseconds each: this many `yaml` pieces. */
export const defaultQuickPieces = 8;

/** A stretch of a sidecar under one top-level key; a people or references section is read in pieces of whole entries. */
export interface SidecarSection {
  kind: 'top' | 'people' | 'references';
  readonly start: number;
  end: number;
  /** Where each entry of a people or references section starts. */
  readonly entries: number[];
  /** The section's key, for a people or references section. */
  readonly keySpan: Span;
}

/** A line that holds only `---` or `...`, and perhaps a comment after it. */
export const documentStartLine = /^---(?:[ \t]+(?:#.*)?)?\r?$/;
export const documentEndLine = /^\.\.\.(?:[ \t]+(?:#.*)?)?\r?$/;

const topKeyPattern = /([\p{L}\p{N}_][\p{L}\p{N}_\-./']*) *:(?=[ \t\r\n]|$)/uy;
/** A top-level key with nothing after it but a comment: its value is the block below. */
const blockValuePattern = / *(?:#.*)?\r?(?=\n|$)/y;

/** The sections of a sidecar that can be read in pieces, or undefined when it must be read whole. */
export function* sidecarSections(text: string): Steps<SidecarSection[] | undefined> {
  const scan = new SectionScan(text);
  return (yield* scan.scanAll()) ? scan.sections() : undefined;
}

/**
 * A scan of a YAML file's lines, a chunk at a time, for where it can be cut
 * into pieces. Kept out of the generators that drive it, which V8 optimizes
 * less well.
 */
export abstract class YamlLineScan {
  lineStart = 0;

  constructor(protected readonly text: string) {}

  /** Scans the whole text, a chunk between steps; false when the file must be read whole. */
  *scanAll(): Steps<boolean> {
    const { text } = this;
    // A lone CR is a line break to YAML but not to this scan.
    for (let cr = text.indexOf('\r'); cr >= 0; cr = text.indexOf('\r', cr + 1)) if (text.charCodeAt(cr + 1) !== 10) return false;
    while (this.lineStart < text.length) {
      if (!this.scan(this.lineStart + scanChunk)) return false;
      yield;
    }
    return true;
  }

  /** Scans the lines that start before `until`; false when the file must be read whole. */
  scan(until: number): boolean {
    const { text } = this;
    for (let lineStart = this.lineStart; lineStart < text.length && lineStart < until; ) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd < 0) lineEnd = text.length;
      let i = lineStart === 0 && text.charCodeAt(0) === 0xfeff ? 1 : lineStart;
      const contentStart = i;
      while (text.charCodeAt(i) === 0x20) i++;
      const c = i < lineEnd ? text.charCodeAt(i) : -1;
      // Blank lines and comments belong to whatever piece they fall in.
      if (c !== -1 && c !== 0x0d && c !== 0x23 && !this.line(lineStart, lineEnd, i, i - contentStart, c)) return false;
      lineStart = lineEnd + 1;
      this.lineStart = lineStart;
    }
    return true;
  }

  /** A line with content: its first character `c` at `i`, after `spaces` spaces; false when the file must be read whole. */
  protected abstract line(lineStart: number, lineEnd: number, i: number, spaces: number, c: number): boolean;
}

/** The line scan of `sidecarSections`. */
class SectionScan extends YamlLineScan {
  private readonly found: SidecarSection[] = [];
  private readonly topKeys = new Set<string>();
  private section: SidecarSection | undefined;
  /** Indentation of the current section's entries; -1 before its first entry. */
  private indent = -1;
  /** The current section's key has nothing after it on its line: its value is on the lines below. */
  private valueBelow = false;
  /** A `---` line started the document, or a `...` line ended it. */
  private started = false;
  private ended = false;

  sections(): SidecarSection[] | undefined {
    if (this.section) this.close(this.text.length);
    return this.found.some((s) => s.kind !== 'top') ? this.found : undefined;
  }

  protected line(lineStart: number, lineEnd: number, i: number, spaces: number, c: number): boolean {
    const { text, section, indent } = this;
    // After the document's end only blank lines and comments may come; anything else is for the whole read to judge.
    if (this.ended) return false;
    if (spaces === 0 && (c === 0x2d || c === 0x2e)) {
      const line = text.slice(i, lineEnd);
      if (c === 0x2d && !section && !this.started && documentStartLine.test(line)) return (this.started = true);
      if (c === 0x2e && section && documentEndLine.test(line)) {
        this.close(lineStart);
        this.section = undefined;
        return (this.ended = true);
      }
    }
    if (c === 0x09) {
      // A tab in the indentation: harmless deep inside an entry, unclear anywhere else.
      return section !== undefined && section.kind !== 'top' && spaces > indent;
    }
    if (spaces === 0 && !(section?.kind === 'references' && indent <= 0 && isItemStart(text, i))) {
      topKeyPattern.lastIndex = i;
      const key = topKeyPattern.exec(text);
      if (!key || this.topKeys.has(key[1])) return false;
      this.topKeys.add(key[1]);
      if (section) this.close(lineStart);
      blockValuePattern.lastIndex = i + key[0].length;
      this.valueBelow = blockValuePattern.test(text) && blockValuePattern.lastIndex === lineEnd;
      const opensBlock = (key[1] === 'people' || key[1] === 'references') && this.valueBelow;
      const start = this.found.length === 0 ? 0 : lineStart;
      this.section = { kind: opensBlock ? (key[1] as 'people' | 'references') : 'top', start, end: text.length, entries: [], keySpan: { start: i, end: i + key[1].length } };
      this.indent = -1;
      return true;
    }
    if (!section) return false;
    // Under a top-level key with nothing after it, list items and keys only: `yaml` may read an indented
    // line of plain text there, and the top-level lines after it, as one key spanning lines.
    if (section.kind === 'top') return !this.valueBelow || c === 0x2d || isPlainKey(text, i);
    if (indent < 0) {
      // The first entry sets the indentation; a section that does not open as expected is read as one piece.
      if (section.kind === 'people' ? isPlainKey(text, i) : isItemStart(text, i)) this.indent = spaces;
      else section.kind = 'top';
    }
    if (spaces === this.indent) {
      if (section.kind === 'people' ? isPlainKey(text, i) : isItemStart(text, i)) section.entries.push(lineStart);
      return true;
    }
    return spaces > this.indent;
  }

  private close(end: number): void {
    const section = this.section as SidecarSection;
    section.end = end;
    if (section.kind !== 'top' && section.entries.length === 0) section.kind = 'top';
    this.found.push(section);
  }
}

/** `-` followed by a space or the end of the line: a block sequence item. */
export function isItemStart(text: string, at: number): boolean {
  if (text.charCodeAt(at) !== 0x2d) return false;
  const next = text.charCodeAt(at + 1);
  return next === 0x20 || next === 0x0a || next === 0x0d || Number.isNaN(next);
}

const entryKeyPattern = new RegExp(topKeyPattern.source, 'uy');

function isPlainKey(text: string, at: number): boolean {
  entryKeyPattern.lastIndex = at;
  return entryKeyPattern.test(text);
}

/**
 * Offsets where the pieces of a section start, then the section's end:
 * entries grouped to about `chars` characters. The first pieces are smaller,
 * because the parsers run slowly until the JIT has compiled them.
 */
export function pieceBounds(starts: readonly number[], end: number, chars: number): number[] {
  const bounds = [starts[0]];
  let target = Math.min(chars, firstPieceChars);
  for (let i = 1; i < starts.length; i++) {
    if (starts[i] - bounds[bounds.length - 1] < target) continue;
    bounds.push(starts[i]);
    target = Math.min(chars, target * 2);
  }
  bounds.push(end);
  return bounds;
}

/** A piece parsed by `yaml`; 'error' when it does not parse alone. */
function parsePiece(text: string, start: number, end: number): Document | 'error' {
  const doc = parseDocument(text.slice(start, end), sidecarParseOptions);
  return doc.errors.length > 0 ? 'error' : doc;
}

/** Pieces parsed by one read and kept for the other, by start offset. */
type ParsedPieces = Map<number, Document>;

function pieceAt(text: string, start: number, end: number, parsed: ParsedPieces): Document | undefined {
  const kept = parsed.get(start);
  parsed.delete(start);
  const doc = kept ?? parsePiece(text, start, end);
  return typeof doc === 'string' ? undefined : doc;
}

/**
 * The precise read of a sidecar's sections: the same result as
 * `parseSidecar`, or undefined when a piece shows the file must be read whole.
 */
function* readPrecisely(uri: string, text: string, lines: LineMap, sections: readonly SidecarSection[], parsed: ParsedPieces, pieceChars: number): Steps<Sidecar | undefined> {
  const reader = new SidecarReader(uri, text, lines);
  for (const section of sections) {
    if (section.kind === 'top') {
      const doc = pieceAt(text, section.start, section.end, parsed);
      yield;
      if (!doc || !isMap(doc.contents)) return undefined;
      reader.readParseProblems(doc, section.start);
      reader.readTopLevel(doc, doc.contents, section.start);
      continue;
    }
    if (!reader.openSection(section.kind, section.keySpan)) return undefined;
    const bounds = pieceBounds(section.entries, section.end, pieceChars);
    for (let b = 0; b + 1 < bounds.length; b++) {
      const doc = pieceAt(text, bounds[b], bounds[b + 1], parsed);
      yield;
      if (!doc) return undefined;
      reader.readParseProblems(doc, bounds[b]);
      if (section.kind === 'people' && isMap(doc.contents)) reader.readPeople(doc, doc.contents, bounds[b]);
      else if (section.kind === 'references' && isSeq(doc.contents)) reader.readReferences(doc, doc.contents, bounds[b]);
      else return undefined;
    }
  }
  return reader.result();
}

// ---------------------------------------------------------------- quick read

/**
 * The items of a piece that holds a YAML list, as the sidecar's quick read
 * builds its references; throws when the piece has to be read by `yaml`.
 */
export function quickListItems(source: string): unknown[] {
  const { items } = pieceValues(source, 0);
  if (!items) throw new NotQuick();
  return items;
}

/** `scalarText` of the precise read, for built values. */
function textOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** A mapping of the quick read's values. */
function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The entries of a people piece. */
function quickPeople(source: string, base: number): RootEntry[] {
  const { entries } = pieceValues(source, base);
  if (!entries) throw new NotQuick();
  return entries;
}

/** The items of a references piece, each with the span of its id. */
function quickReferences(source: string, base: number): PieceValues {
  const values = pieceValues(source, base);
  if (!values.items) throw new NotQuick();
  return values;
}

/** Adds quick-read entries as the precise read would: the first definition of a key wins. */
class QuickEntries {
  constructor(
    private readonly uri: string,
    private readonly lines: LineMap,
    readonly entries: SidecarEntries,
  ) {}

  addPeople(list: readonly RootEntry[]): void {
    const seen = this.entries.personKeys;
    for (const { key: raw, keySpan, value } of list) {
      const key = textOf(raw);
      if (key === undefined || key.trim() === '' || seen.has(key)) continue;
      seen.add(key);
      const person = this.person(key, keySpan, value);
      if (person) this.entries.people.push(person);
    }
  }

  addReferences({ items, idSpans }: PieceValues): void {
    const seen = this.entries.referenceIds;
    if (!items) return;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const idSpan = idSpans[i];
      if (!isMapping(item) || !idSpan) continue;
      const id = textOf(item.id)?.trim();
      if (id === undefined || id === '' || seen.has(id)) continue;
      seen.add(id);
      // The quick read's values are fresh objects, each read once: the item keeps its own.
      item.id = id;
      this.entries.references.push({ id, item: item as CslItem, source: { uri: this.uri, span: idSpan, line: this.lines.lineAt(idSpan.start) } });
    }
  }

  /** `readPerson` of the precise read, without its diagnostics. */
  private person(key: string, keySpan: Span, value: unknown): Person | null {
    if (!isMapping(value)) return null;
    const text = (field: string): string | undefined => {
      const v = value[field];
      return typeof v === 'string' ? v : typeof v === 'number' && field !== 'name' ? String(v) : undefined;
    };
    const name = text('name');
    if (name === undefined || name.trim() === '') return null;
    const aliases: string[] = [];
    const aliasList = value.aliases;
    if (Array.isArray(aliasList)) {
      for (const item of aliasList) {
        const alias = textOf(item);
        if (alias !== undefined && alias.trim() !== '') aliases.push(alias.trim());
      }
    }
    const links: { label: string; url: string }[] = [];
    const linkMap = value.links;
    if (isMapping(linkMap)) {
      for (const label of Object.keys(linkMap)) {
        const url = textOf(linkMap[label]);
        if (url !== undefined) links.push({ label, url });
      }
    }
    const implicit = value.implicit;
    const image = text('image');
    return {
      key,
      name: name.trim(),
      aliases,
      born: text('born'),
      died: text('died'),
      description: text('description'),
      bio: text('bio'),
      links,
      image: image !== undefined ? resolvePath(this.uri, image) : undefined,
      implicit: typeof implicit === 'boolean' ? implicit : true,
      source: { uri: this.uri, span: keySpan, line: this.lines.lineAt(keySpan.start) },
    };
  }
}

/**
 * The quick read of a sidecar's sections: the people, references and
 * bibliographies the precise read gives, without diagnostics. Pieces it
 * reads with `yaml` (top-level keys, and entries with tags, anchors or
 * aliases) are kept in `parsed` for the precise read.
 *
 * A piece that does not parse alone, as while an entry is being typed, is
 * left out: the read is then not `complete`, and not `valid`, so that a last
 * good version of the file serves instead where there is one.
 */
function* readQuickly(uri: string, text: string, lines: LineMap, sections: readonly SidecarSection[], parsed: ParsedPieces, pieceChars: number, quickPieces: number): Steps<{ sidecar: Sidecar; complete: boolean }> {
  const entries = new SidecarEntries();
  const quick = new QuickEntries(uri, lines, entries);
  // Reads, into the same entries, what the events do not reproduce; its diagnostics are the precise read's business.
  const reader = new SidecarReader(uri, text, lines, entries);
  let complete = true;
  /** Reads a piece with `yaml`. */
  const precisely = (start: number, end: number, kind: SidecarSection['kind']): void => {
    const doc = parsePiece(text, start, end);
    if (doc === 'error') {
      complete = false;
      return;
    }
    parsed.set(start, doc);
    const root = doc.contents;
    if (kind === 'top' && isMap(root)) reader.readTopLevel(doc, root, start);
    else if (kind === 'people' && isMap(root)) reader.readPeople(doc, root, start);
    else if (kind === 'references' && isSeq(root)) reader.readReferences(doc, root, start);
    else complete = false;
  };
  for (const section of sections) {
    if (section.kind === 'top') {
      precisely(section.start, section.end, 'top');
      yield;
      continue;
    }
    entries.topKeys.add(section.kind);
    const bounds = pieceBounds(section.entries, section.end, pieceChars);
    // A quick piece is a run of whole `yaml` pieces, so that the ones it cannot take are read as the precise read will read them.
    const quickBounds = bounds.filter((_, b) => b % quickPieces === 0 || b === bounds.length - 1);
    /** Reads a stretch of whole entries quickly; false when it holds what only `yaml` reads right, anchors and aliases among it, or what js-yaml refuses. */
    const quickly = (start: number, end: number): boolean => {
      try {
        const source = text.slice(start, end);
        if (section.kind === 'people') quick.addPeople(quickPeople(source, start));
        else quick.addReferences(quickReferences(source, start));
        return true;
      } catch {
        return false;
      }
    };
    for (let q = 0, b = 0; q + 1 < quickBounds.length; q++) {
      const end = quickBounds[q + 1];
      if (quickly(quickBounds[q], end)) while (bounds[b] < end) b++;
      else {
        // Its smaller pieces, each quickly if it can be and else with `yaml`: an alias or two in a large file leave the rest to the quick read.
        for (; bounds[b] < end; b++) {
          if (!quickly(bounds[b], bounds[b + 1])) precisely(bounds[b], bounds[b + 1], section.kind);
          yield;
        }
      }
      yield;
    }
  }
  const { people, references, bibliographies } = entries;
  return { sidecar: { uri, people, references, bibliographies, diagnostics: [], valid: complete && reader.valid }, complete };
}

// ---------------------------------------------------------------- loading

export interface SidecarStepsOptions {
  /** The quick read is ready; not called when the file is read only whole. */
  quick?(sidecar: Sidecar, lines: LineMap): void;
  /** Characters per piece read with `yaml`, at least; an entry is never split. */
  readonly pieceChars?: number;
  /** `yaml` pieces per piece of the quick read. */
  readonly quickPieces?: number;
  /** How finely a file that does not parse in pieces is read whole (see sidecarWhole.ts). */
  readonly wholeReadSteps?: WholeReadSteps;
}

/**
 * Reads a sidecar in steps of a few milliseconds each. The result equals
 * `parseSidecar(uri, text)`; the quick read comes first, through `listener`.
 * A file that cannot be split is read whole, in one step, as `parseSidecar`
 * reads it.
 */
export function* sidecarSteps(uri: string, text: string, options: SidecarStepsOptions = {}): Steps<{ sidecar: Sidecar; lines: LineMap }> {
  const pieceChars = options.pieceChars ?? defaultPieceChars;
  const quickPieces = options.quickPieces ?? defaultQuickPieces;
  const lines = yield* lineMapSteps(text);
  const flow = new FlowDepthScan(sidecarLimits.flowDepth);
  for (let from = 0; from < text.length; from += scanChunk) {
    const tooDeep = flow.scan(text, from, Math.min(text.length, from + scanChunk));
    if (tooDeep >= 0) {
      const reader = new SidecarReader(uri, text, lines);
      reader.flowTooDeep(tooDeep);
      return { sidecar: reader.result(), lines };
    }
    yield;
  }
  const sections = yield* sidecarSections(text);
  if (sections) {
    const parsed: ParsedPieces = new Map();
    let quick: { sidecar: Sidecar; complete: boolean } | undefined;
    try {
      quick = yield* readQuickly(uri, text, lines, sections, parsed, pieceChars, quickPieces);
    } catch {
      // The quick read only saves time: whatever goes wrong in it, the precise read still gives the sidecar.
      quick = undefined;
    }
    if (quick) {
      options.quick?.(quick.sidecar, lines);
      // A piece that does not parse alone may be cut where the whole file would not be: only the whole file tells.
      const precise = quick.complete ? yield* readPrecisely(uri, text, lines, sections, parsed, pieceChars) : undefined;
      if (precise) return { sidecar: precise, lines };
    }
  }
  const reader = new SidecarReader(uri, text, lines);
  if (yield* readWholeInSteps(reader, text, pieceChars, options.wholeReadSteps)) return { sidecar: reader.result(), lines };
  const atOnce = new SidecarReader(uri, text, lines);
  atOnce.readWhole();
  return { sidecar: atOnce.result(), lines };
}

/** The quick read of a sidecar, at once; undefined when it can only be read whole. */
export function quickSidecar(uri: string, text: string, options: Omit<SidecarStepsOptions, 'quick'> = {}): Sidecar | undefined {
  let quick: Sidecar | undefined;
  const steps = sidecarSteps(uri, text, { ...options, quick: (sidecar) => (quick = sidecar) });
  // Stop once the quick read is there: the precise read is what parseSidecar gives.
  for (let next = steps.next(); !next.done && !quick; next = steps.next());
  return quick;
}

/** The precise read of a sidecar in pieces, at once: the same result as `parseSidecar`. */
export function parseSidecarInPieces(uri: string, text: string, options: Omit<SidecarStepsOptions, 'quick'> = {}): Sidecar {
  return runNow(sidecarSteps(uri, text, options)).sidecar;
}
