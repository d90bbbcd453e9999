import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq, type YAMLWarning } from 'yaml';
import { DiagnosticBuilder } from './diagnostics';
import { LineMap } from './lineMap';
import type { CslItem, Person, Reference, Sidecar, SourceLocation } from './model';
import { resolvePath } from './paths';
import { DiagnosticCode, type Diagnostic, type Span } from './types';

export const personFields = new Set(['name', 'aliases', 'born', 'died', 'description', 'bio', 'links', 'image', 'implicit']);
const topLevelFields = new Set(['people', 'references', 'bibliography']);
/** Keys that would reach an object's prototype if copied naively. */
export const unsafeKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** The options every sidecar, and every piece of one, is parsed with. */
export const sidecarParseOptions = { uniqueKeys: false, prettyErrors: false, strict: true, logLevel: 'silent' } as const;

/**
 * Bounds on what one sidecar may cost. A real sidecar uses a handful of
 * aliases, nests a few levels and has a few errors; far past these it is an
 * attack (an alias bomb, 20,000 nested brackets) or not a sidecar at all.
 */
export const sidecarLimits = {
  /** Alias uses followed while reading; each `*a` copies its anchor's value. */
  aliases: 1000,
  /**
   * YAML values copied into CSL items through aliases. Values written out in
   * the file cost what the file's size already bounds, so only copies count.
   */
  values: 100_000,
  /** Levels of nesting in a CSL item's value. */
  depth: 64,
  /** Flow brackets `[` `{` open at once; the YAML parser recurses once per level. */
  flowDepth: 500,
  /** Diagnostics reported for one sidecar. */
  diagnostics: 1000,
};

/**
 * Tracks flow bracket depth across chunks of a text, to find where brackets
 * first nest deeper than `max`. Quotes are not tracked: an apostrophe in a
 * plain scalar would throw that off, and only a hostile file has hundreds of
 * unclosed brackets anyway.
 */
export class FlowDepthScan {
  private depth = 0;

  constructor(private readonly max: number) {}

  /** Scans `text[from, to)`; the offset where the depth first passes the bound, or -1. */
  scan(text: string, from: number, to: number): number {
    let depth = this.depth;
    // Brackets are rare in a sidecar: jumping from one to the next is several times faster than reading every character.
    const brackets = /[[\]{}]/g;
    brackets.lastIndex = from;
    // `test` rather than `exec`: no match object for each of a large sidecar's tens of thousands of brackets.
    while (brackets.test(text)) {
      const at = brackets.lastIndex - 1;
      if (at >= to) break;
      const c = text.charCodeAt(at);
      if (c === 0x5b || c === 0x7b) {
        if (++depth > this.max) return at;
      } else if (depth > 0) depth--;
    }
    this.depth = depth;
    return -1;
  }
}

/** Stops adding diagnostics past a bound, and says so once, so a file of garbage cannot flood the Problems view. */
class CappedDiagnostics extends DiagnosticBuilder {
  private capped = false;

  override add(code: DiagnosticCode, message: string, span: Span): void {
    if (this.list.length < sidecarLimits.diagnostics) {
      super.add(code, message, span);
    } else if (!this.capped) {
      this.capped = true;
      super.add(DiagnosticCode.LimitReached, `More than ${sidecarLimits.diagnostics} problems in this sidecar; the rest are not listed.`, span);
    }
  }

  /** A diagnostic with a severity other than its code's default. */
  addWithSeverity(severity: Diagnostic['severity'], code: DiagnosticCode, message: string, span: Span): void {
    this.add(code, message, span);
    const last = this.list[this.list.length - 1];
    if (last.code === code && last.message === message) this.list[this.list.length - 1] = { ...last, severity };
  }
}

/** Adds a document's anchored nodes by name, in document order, found without recursion so a deep document cannot overflow the stack. */
function addAnchorsOf(root: unknown, anchors: Map<string, Node[]>): void {
  const found: Node[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) continue;
    if (node.anchor) found.push(node);
    if (isMap(node) || isSeq(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
  }
  found.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
  // Documents are read in file order, so each name's list stays in it.
  for (const node of found) {
    const name = node.anchor as string;
    const list = anchors.get(name);
    if (list) list.push(node);
    else anchors.set(name, [node]);
  }
}

/** Pieces whose nodes are placed at the file's offsets, and read as if they started at 0. */
const placedInFile = new WeakSet<Document>();

/** Moves the nodes of a piece parsed from the text at `base` to the file's offsets, without recursion. */
function placeInFile(doc: Document, base: number): void {
  placedInFile.add(doc);
  if (base === 0) return;
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node) && !isAlias(node)) continue;
    const range = node.range;
    if (range) node.range = [range[0] + base, range[1] + base, range[2] + base];
    if (isMap(node) || isSeq(node)) for (const item of node.items) stack.push(item);
  }
}

/** True when a parsed piece holds an anchor or an alias anywhere, found without recursion. */
export function hasAnchorsOrAliases(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (isAlias(node)) return true;
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) continue;
    if (node.anchor) return true;
    if (isMap(node) || isSeq(node)) for (const item of node.items) stack.push(item);
  }
  return false;
}

export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
}

/** What one sidecar defines, filled in file order by the readers of its pieces. */
export class SidecarEntries {
  readonly people: Person[] = [];
  readonly references: Reference[] = [];
  readonly bibliographies: { uri: string; span: Span }[] = [];
  readonly topKeys = new Set<string>();
  readonly personKeys = new Set<string>();
  readonly referenceIds = new Set<string>();
}

/** A diagnostic before its range is computed, kept so that the cap applies to the whole list in order. */
interface Finding {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly span: Span;
  readonly severity?: Diagnostic['severity'];
}

/**
 * Reads a sidecar parsed by the `yaml` package, which keeps every node's
 * position, so each diagnostic lands on the line that caused it. It reads the
 * whole file as one document, or its pieces one after another (see
 * sidecarPieces.ts): a piece is parsed on its own, and `base` says where it
 * starts in the file.
 */
export class SidecarReader {
  valid = true;
  readonly whole: Span;
  /** Syntax errors and warnings, which come before every other diagnostic. */
  private readonly problems: Finding[] = [];
  private readonly findings: Finding[] = [];
  private base = 0;
  private doc: Document | undefined;
  /** Anchored nodes by name, in file order, of the documents read so far: an alias in one piece may point into an earlier one. */
  private readonly anchors = new Map<string, Node[]>();
  private aliasesFollowed = 0;
  private valuesCopied = 0;
  private readonly reported = new Set<string>();

  constructor(
    readonly uri: string,
    readonly text: string,
    readonly lines: LineMap,
    readonly entries = new SidecarEntries(),
  ) {
    this.whole = { start: 0, end: Math.min(text.length, lines.lineCount > 1 ? lines.lineStart(1) : text.length) };
  }

  /** The whole file as one document: the path of record for small files, and for whatever cannot be read in pieces. */
  readWhole(): void {
    const { text } = this;
    const tooDeep = new FlowDepthScan(sidecarLimits.flowDepth).scan(text, 0, text.length);
    if (tooDeep >= 0) {
      this.flowTooDeep(tooDeep);
      return;
    }
    let doc: Document;
    try {
      // Aliases are followed by hand below, with a budget; toJS, which expands them all, is never called.
      doc = parseDocument(text, sidecarParseOptions);
    } catch (error) {
      this.add(this.findings, DiagnosticCode.YamlSyntax, `The sidecar could not be read as YAML: ${(error as Error).message}`, this.whole);
      this.valid = false;
      return;
    }
    this.readParseProblems(doc, 0);
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return;
    if (!isMap(root)) {
      this.add(this.findings, DiagnosticCode.InvalidValue, 'A sidecar must be a mapping with the keys people, references and bibliography.', this.span(root, this.whole));
      this.valid = false;
      return;
    }
    this.readTopLevel(doc, root, 0);
  }

  /** The sidecar is refused: brackets nest past the bound at `offset`. */
  flowTooDeep(offset: number): void {
    this.add(this.findings, DiagnosticCode.LimitReached, `Brackets here nest more than ${sidecarLimits.flowDepth} levels deep, so this sidecar is not read.`, { start: offset, end: offset + 1 });
    this.valid = false;
  }

  /** The errors and warnings of a document parsed from the text at `base`. */
  readParseProblems(doc: Document, base: number): void {
    this.readParseErrors(doc, base);
    this.readParseWarnings(doc.warnings, base);
  }

  /** A document's errors; `yaml` lists a document's errors before its warnings, and so do the diagnostics. */
  readParseErrors(doc: Document, base: number): void {
    for (const error of doc.errors) {
      this.valid = false;
      const message = error.code === 'RESOURCE_EXHAUSTION' ? 'This YAML is nested too deeply to be read.' : firstLine(error.message);
      this.add(this.problems, DiagnosticCode.YamlSyntax, message, this.clamped(error.pos, base));
    }
  }

  /** A document's warnings, read after the errors of every piece of it. */
  readParseWarnings(warnings: readonly YAMLWarning[], base: number): void {
    for (const warning of warnings) {
      const span = this.clamped(warning.pos, base);
      // An unknown tag such as !!js/function only names a type: the value is read as plain data, and nothing runs.
      const message = warning.code === 'TAG_RESOLVE_FAILED' ? `Unknown tag ${this.text.slice(span.start, span.end)}: the tag is ignored, and the value read as plain data.` : firstLine(warning.message);
      this.add(this.problems, DiagnosticCode.YamlSyntax, message, span, 'warning');
    }
  }

  /** A problem's place in a document parsed from the text at `base`; the parser may place one at the end of input, one past the last character. */
  private clamped([start, end]: [number, number], base: number): Span {
    const length = this.text.length;
    const from = Math.min(Math.max(0, start + base), length);
    return { start: from, end: Math.min(Math.max(from, end + base), length) };
  }

  /**
   * Top-level keys: the root mapping of the whole file, or of a piece that
   * starts at `base`. Gives the pairs whose people or references it read, so
   * that a section read in slices goes on only if it was.
   */
  readTopLevel(doc: Document, root: YAMLMap, base: number): Set<unknown> {
    this.at(doc, base);
    const sections = new Set<unknown>();
    for (const pair of root.items) {
      const key = scalarText(pair.key);
      const keySpan = this.span(pair.key as Node, this.whole);
      if (key === undefined) continue;
      if (!this.openSection(key, keySpan)) continue;
      if (key === 'people' || key === 'references') {
        sections.add(pair);
        this.readSectionValue(key, pair);
      } else this.readBibliography(pair);
    }
    return sections;
  }

  /**
   * Claims a top-level key; false, with a diagnostic, when its value is not to
   * be read: a key seen before, or not a sidecar key.
   */
  openSection(key: string, keySpan: Span): boolean {
    const { topKeys } = this.entries;
    if (topKeys.has(key)) {
      this.add(this.findings, DiagnosticCode.DuplicateKey, `"${key}" is defined twice in this sidecar; the first definition is used.`, keySpan);
      return false;
    }
    topKeys.add(key);
    if (!topLevelFields.has(key)) {
      this.add(this.findings, DiagnosticCode.UnknownField, `Unknown sidecar key "${key}": expected people, references or bibliography.`, keySpan);
      return false;
    }
    return true;
  }

  /** People of the `people:` mapping, or of a piece of it that starts at `base`. */
  readPeople(doc: Document, map: YAMLMap, base: number): void {
    this.at(doc, base);
    const seen = this.entries.personKeys;
    for (const entry of map.items) {
      const key = scalarText(entry.key);
      const keySpan = this.span(entry.key as Node, this.whole);
      if (key === undefined || key.trim() === '') {
        this.add(this.findings, DiagnosticCode.InvalidValue, 'A person key must be text.', keySpan);
        continue;
      }
      if (seen.has(key)) {
        this.add(this.findings, DiagnosticCode.DuplicateKey, `Person "${key}" is defined twice; the first definition is used.`, keySpan);
        continue;
      }
      seen.add(key);
      const person = this.readPerson(key, keySpan, this.deref(entry.value) as Node | null);
      if (person) this.entries.people.push(person);
    }
  }

  /** References of the `references:` list, or of a piece of it that starts at `base`. */
  readReferences(doc: Document, seq: YAMLSeq, base: number): void {
    this.at(doc, base);
    const seen = this.entries.referenceIds;
    for (const rawItem of seq.items) {
      const span = this.span(rawItem as Node, this.whole);
      const itemNode = this.deref(rawItem);
      if (!isMap(itemNode)) {
        this.add(this.findings, DiagnosticCode.InvalidValue, 'Each reference must be a mapping (a CSL item).', span);
        continue;
      }
      const idPair = itemNode.items.find((p) => scalarText(p.key) === 'id');
      const id = idPair ? scalarText(this.deref(idPair.value))?.trim() : undefined;
      if (!idPair || id === undefined || id === '') {
        this.add(this.findings, DiagnosticCode.ReferenceWithoutId, 'This reference has no id, so it cannot be cited.', span);
        continue;
      }
      const idSpan = this.span(idPair.value as Node, span);
      if (seen.has(id)) {
        this.add(this.findings, DiagnosticCode.DuplicateKey, `Reference "${id}" is defined twice; the first definition is used.`, idSpan);
        continue;
      }
      seen.add(id);
      const item = { ...(this.plainValue(itemNode) as Record<string, unknown>), id } as CslItem;
      this.entries.references.push({ id, item, source: this.location(idSpan) });
    }
  }

  result(): Sidecar {
    const diagnostics = new CappedDiagnostics(this.uri, this.lines);
    for (const { code, message, span, severity } of [...this.problems, ...this.findings]) {
      if (severity) diagnostics.addWithSeverity(severity, code, message, span);
      else diagnostics.add(code, message, span);
    }
    const { people, references, bibliographies } = this.entries;
    return { uri: this.uri, people, references, bibliographies, diagnostics: diagnostics.list, valid: this.valid };
  }

  private at(doc: Document, base: number): void {
    if (this.doc !== doc) {
      if (!placedInFile.has(doc)) {
        const range = doc.range;
        const source = range ? this.text.slice(base + range[0], base + range[2]) : '&';
        // An alias in one piece reaches nodes of an earlier one: both are placed at the file's offsets, so that spans do not depend on which piece is read.
        if (source.includes('&') || source.includes('*')) placeInFile(doc, base);
      }
      if (placedInFile.has(doc)) addAnchorsOf(doc.contents, this.anchors);
    }
    this.doc = doc;
    this.base = placedInFile.has(doc) ? 0 : base;
  }

  private add(list: Finding[], code: DiagnosticCode, message: string, span: Span, severity?: Diagnostic['severity']): void {
    list.push(severity ? { code, message, span, severity } : { code, message, span });
  }

  private span(node: Node | null | undefined, fallback: Span): Span {
    const range = node?.range;
    return range ? { start: range[0] + this.base, end: range[1] + this.base } : fallback;
  }

  private location(span: Span): SourceLocation {
    return { uri: this.uri, span, line: this.lines.lineAt(span.start) };
  }

  private limitReached(what: string, message: string, span: Span): void {
    this.valid = false;
    if (this.reported.has(what)) return;
    this.reported.add(what);
    this.add(this.findings, DiagnosticCode.LimitReached, message, span);
  }

  /** The node an alias stands for, within the alias budget; other nodes as they are. */
  private deref(node: unknown): unknown {
    if (!isAlias(node)) return node;
    if (++this.aliasesFollowed > sidecarLimits.aliases) {
      this.limitReached('aliases', `More than ${sidecarLimits.aliases} aliases are used in this sidecar; the rest are not followed.`, this.span(node, this.whole));
      return null;
    }
    const at = node.range ? node.range[0] + this.base : Number.MAX_SAFE_INTEGER;
    // YAML: an alias refers to the most recent anchor of that name before it.
    const target = (this.anchors.get(node.source) ?? []).filter((n) => (n.range?.[0] ?? 0) < at).pop();
    if (!target) this.add(this.findings, DiagnosticCode.YamlSyntax, `Unknown alias *${node.source}: no anchor &${node.source} before it.`, this.span(node, this.whole));
    return target ?? null;
  }

  /** A YAML value as plain data, without prototype keys, for CSL items. */
  private plainValue(raw: unknown, depth = 0, copied = false): unknown {
    const node = this.deref(raw);
    const copy = copied || isAlias(raw);
    if (copy && ++this.valuesCopied > sidecarLimits.values) {
      this.limitReached('values', `This sidecar expands to more than ${sidecarLimits.values} values; the rest are left out.`, this.span(raw as Node, this.whole));
      return undefined;
    }
    if (depth > sidecarLimits.depth) {
      this.limitReached('depth', `A reference nests more than ${sidecarLimits.depth} levels deep; the deeper values are left out.`, this.span(raw as Node, this.whole));
      return undefined;
    }
    if (isScalar(node)) return node.value;
    if (isSeq(node)) return node.items.map((item) => this.plainValue(item, depth + 1, copy));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = this.deref(pair.key);
        const key = scalarText(keyNode) ?? (isScalar(keyNode) ? String(keyNode.value) : undefined);
        if (key === undefined || unsafeKeys.has(key)) continue;
        out[key] = this.plainValue(pair.value, depth + 1, copy);
      }
      return out;
    }
    return undefined;
  }

  /** The value of `people:` (a mapping of people) or `references:` (a list of CSL items); an empty value holds none. */
  private readSectionValue(key: 'people' | 'references', pair: Pair): void {
    const value = this.deref(pair.value) as Node | null;
    if (value === null || (isScalar(value) && value.value === null)) return;
    const doc = this.doc as Document;
    if (key === 'people' && isMap(value)) this.readPeople(doc, value, this.base);
    else if (key === 'references' && isSeq(value)) this.readReferences(doc, value, this.base);
    else this.add(this.findings, DiagnosticCode.InvalidValue, key === 'people' ? '"people" must map each key to a person.' : '"references" must be a list of CSL items.', this.span(value, this.whole));
  }

  private readPerson(key: string, keySpan: Span, node: Node | null): Person | null {
    const { findings, uri } = this;
    if (!isMap(node)) {
      this.add(findings, DiagnosticCode.InvalidValue, `Person "${key}" must be a mapping with at least a name.`, this.span(node, keySpan));
      return null;
    }
    const fields = new Map<string, Pair>();
    for (const field of node.items) {
      const name = scalarText(field.key);
      if (name === undefined) continue;
      if (!personFields.has(name)) {
        this.add(findings, DiagnosticCode.UnknownField, `Unknown field "${name}" for person "${key}". Known fields: ${[...personFields].join(', ')}.`, this.span(field.key as Node, keySpan));
        continue;
      }
      if (fields.has(name)) {
        this.add(findings, DiagnosticCode.DuplicateKey, `Field "${name}" is given twice for person "${key}"; the first is used.`, this.span(field.key as Node, keySpan));
        continue;
      }
      fields.set(name, { ...field, value: this.deref(field.value) } as Pair);
    }
    const text = (field: string, kind = 'text'): string | undefined => {
      const pair = fields.get(field);
      if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return undefined;
      const value = pair.value as Node;
      if (isScalar(value) && typeof value.value === 'string') return value.value;
      if (isScalar(value) && typeof value.value === 'number' && field !== 'name') return String(value.value);
      this.add(findings, DiagnosticCode.InvalidValue, `"${field}" of person "${key}" must be ${kind}.`, this.span(value, keySpan));
      return undefined;
    };
    const name = text('name');
    if (name === undefined || name.trim() === '') {
      if (!fields.has('name')) this.add(findings, DiagnosticCode.PersonWithoutName, `Person "${key}" has no name.`, keySpan);
      else if (name !== undefined) this.add(findings, DiagnosticCode.PersonWithoutName, `Person "${key}" has an empty name.`, keySpan);
      return null;
    }
    const aliases: string[] = [];
    const aliasPair = fields.get('aliases');
    if (aliasPair && aliasPair.value !== null && !(isScalar(aliasPair.value) && aliasPair.value.value === null)) {
      const value = aliasPair.value as Node;
      if (isSeq(value)) {
        for (const raw of value.items) {
          const item = this.deref(raw);
          const alias = scalarText(item);
          if (alias === undefined || alias.trim() === '') this.add(findings, DiagnosticCode.InvalidValue, `Each alias of person "${key}" must be text.`, this.span(item as Node, keySpan));
          else aliases.push(alias.trim());
        }
      } else {
        this.add(findings, DiagnosticCode.InvalidValue, `"aliases" of person "${key}" must be a list, for example [Lenin, Ульянов].`, this.span(value, keySpan));
      }
    }
    const links: { label: string; url: string }[] = [];
    const linkPair = fields.get('links');
    if (linkPair && linkPair.value !== null && !(isScalar(linkPair.value) && linkPair.value.value === null)) {
      const value = linkPair.value as Node;
      if (isMap(value)) {
        for (const link of value.items) {
          const label = scalarText(this.deref(link.key));
          const url = scalarText(this.deref(link.value));
          if (label === undefined || url === undefined) this.add(findings, DiagnosticCode.InvalidValue, `Each link of person "${key}" must be "label: URL".`, this.span(link.key as Node, keySpan));
          else links.push({ label, url });
        }
      } else {
        this.add(findings, DiagnosticCode.InvalidValue, `"links" of person "${key}" must map labels to URLs.`, this.span(value, keySpan));
      }
    }
    let implicit = true;
    const implicitPair = fields.get('implicit');
    if (implicitPair) {
      const value = implicitPair.value as Node | null;
      if (isScalar(value) && typeof value.value === 'boolean') implicit = value.value;
      else this.add(findings, DiagnosticCode.InvalidValue, `"implicit" of person "${key}" must be true or false.`, this.span(value, keySpan));
    }
    const image = text('image');
    return {
      key,
      name: name.trim(),
      aliases,
      born: text('born', 'a date or year'),
      died: text('died', 'a date or year'),
      description: text('description'),
      bio: text('bio', 'Markdown text'),
      links,
      image: image !== undefined ? resolvePath(uri, image) : undefined,
      implicit,
      source: this.location(keySpan),
    };
  }

  private readBibliography(pair: Pair): void {
    const value = this.deref(pair.value) as Node | null;
    const paths = isSeq(value) ? value.items : [value];
    for (const raw of paths) {
      const item = this.deref(raw);
      const path = scalarText(item);
      if (path === undefined || path.trim() === '') {
        this.add(this.findings, DiagnosticCode.InvalidValue, '"bibliography" must be a path or a list of paths.', this.span(item as Node, this.whole));
        continue;
      }
      this.entries.bibliographies.push({ uri: resolvePath(this.uri, path.trim()), span: this.span(item as Node, this.whole) });
    }
  }
}

/**
 * Reads one sidecar as a single YAML document. The `yaml` package keeps every
 * node's position, so each diagnostic lands on the line that caused it, and
 * the document stays editable with comments intact.
 */
export function parseSidecar(uri: string, text: string): Sidecar {
  const reader = new SidecarReader(uri, text, new LineMap(text));
  reader.readWhole();
  return reader.result();
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
