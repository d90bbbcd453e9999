import { Composer, CST, isMap, isSeq, Lexer, Parser, type Document, type DocumentOptions, type Node, type ParseOptions, type SchemaOptions, type YAMLMap, type YAMLSeq, type YAMLWarning } from 'yaml';
import { type SidecarReader, sidecarParseOptions } from './sidecar';
import type { Steps } from './steps';

/*
 * A sidecar that cannot be cut into pieces by its lines, read whole in steps;
 * a CSL-YAML library too (see cslYamlSteps.ts), through `composeWholeInSteps`.
 *
 * Cutting by lines is refused when a piece does not parse alone, as while an
 * entry is being typed: an unclosed quote may run on into the next entries,
 * and only the whole file says how far. Parsing the whole file at once with
 * `yaml` holds the event loop for seconds on a large sidecar. So the file is
 * lexed and parsed to its syntax tree in steps, and the tree, which shows
 * exactly where each entry begins and ends, is composed into documents a
 * slice of entries at a time. The entries of a large section are taken from
 * the tree as soon as the parser is done with them, so that the tree, some
 * fifty times the file's size, is never held whole.
 *
 * `yaml` composes a mapping's or a list's entries one after another, each
 * from its own tokens, carrying only the offset where the previous one ended.
 * A slice of entries composed with that offset gives the nodes and errors the
 * whole composition gives for them, in the same order. What would make the
 * slices differ sends the file back to the read at once: several documents
 * or directives, a root that is not a block mapping, tags or anchors on a
 * section or on the root, or a comment-only entry before the last of its
 * collection (`yaml` checks it against the collection's end).
 *
 * `yaml` composes an alias as a node that names its anchor, and resolves it
 * only when values are made, so a slice composes the same with or without
 * the anchor it points to. A sidecar's reader follows aliases itself, and
 * keeps the anchors of every slice it has read; a caller that lets `yaml`
 * make the values, which resolves an alias within its own slice only, has
 * a file with anchors or aliases read at once.
 */

/** Lexemes per step of the lexer and parser: about a millisecond of work once the engine has optimized them, and several before. */
const defaultLexemesPerStep = 1024;

/** Top-level tokens that go with the one document of a sidecar, besides its `...`; others (directives, more documents) are left to the read at once. */
const besideDocument = new Set(['comment', 'newline', 'space', 'byte-order-mark', 'error']);

type BlockCollection = CST.BlockMap | CST.BlockSequence;
type CollectionItem = BlockCollection['items'][number];

/** Where an item's tokens begin. */
function itemStart(item: CollectionItem): number {
  const first = item.start[0] ?? item.key ?? item.sep?.[0] ?? item.value;
  return first ? first.offset : -1;
}

/** An item with nothing but comments or blank lines: `yaml` keeps the collection's comment end from it. */
function commentOnly(item: CollectionItem): boolean {
  return !item.key && !item.sep && !item.value && !item.start.some((t) => t.type === 'anchor' || t.type === 'tag' || t.type === 'seq-item-ind' || t.type === 'explicit-key-ind');
}

/**
 * Items cut into runs of at least `sliceChars` characters; undefined if a
 * comment-only item is not the last of its collection (`ending`: these are
 * its last items).
 */
function slicesOf(items: readonly CollectionItem[], sliceChars: number, ending: boolean): CollectionItem[][] | undefined {
  const slices: CollectionItem[][] = [];
  let current: CollectionItem[] = [];
  let from = -1;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if ((i + 1 < items.length || !ending) && commentOnly(item)) return undefined;
    const start = itemStart(item);
    if (current.length > 0 && start - from >= sliceChars) {
      slices.push(current);
      current = [];
    }
    if (current.length === 0) from = start;
    current.push(item);
  }
  if (current.length > 0) slices.push(current);
  return slices;
}

/** Tokens that may stand before a key without changing what it is. */
const blank = new Set(['comment', 'newline', 'space']);

/** A section that is composed in slices: `people:` with a block mapping, `references:` with a block list. */
function sectionKind(item: CollectionItem): 'people' | 'references' | undefined {
  const { key, value } = item;
  if (!key || !value || !item.start.every((t) => blank.has(t.type))) return undefined;
  if ((value.type !== 'block-map' && value.type !== 'block-seq') || value.items.length === 0) return undefined;
  // Its errors, if any, are the composition's to report.
  const name = CST.isScalar(key) ? CST.resolveAsScalar(key, true, () => undefined)?.value : undefined;
  if (name === 'people' && value.type === 'block-map') return 'people';
  if (name === 'references' && value.type === 'block-seq') return 'references';
  return undefined;
}

/** Thrown where the slices would not give what the whole composition gives. */
class Bail extends Error {}

/** What a slice takes of the document around it: the first, its start and the tokens before it; the last, its end and those after. */
interface Around {
  readonly start: CST.SourceToken[];
  readonly end: CST.SourceToken[] | undefined;
  readonly before: CST.Token[];
  readonly after: CST.Token[];
}

/**
 * Composes a document of one slice of a collection's items, as the whole
 * document's composition would compose them after `offset`.
 */
function composeSlice(collection: BlockCollection, items: CollectionItem[], offset: number, around: Around, options: ComposeOptions): Document {
  const value = { ...collection, offset, items } as BlockCollection;
  const token: CST.Document = { type: 'document', offset, start: around.start, value, end: around.end };
  const composer = new Composer(options);
  const docs = [...composer.compose([...around.before, token, ...around.after])];
  if (docs.length !== 1) throw new Bail();
  return docs[0];
}

/** The end of a composed collection where the next item of its parent goes on from; and, inside it, where its next slice goes on. */
function rangeOf(node: unknown): [number, number, number] {
  const range = (node as Node | null)?.range;
  if (!range) throw new Bail();
  return range;
}

/**
 * Reads a sidecar whole, in steps, into `reader`, as `reader.readWhole()`
 * would at once; false when the file has to be read at once (see above), and
 * then `reader` may hold part of it and is to be let go.
 */
export function* readWholeInSteps(reader: SidecarReader, text: string, sliceChars: number, steps: WholeReadSteps = {}): Steps<boolean> {
  // In file order: a section's slices right after the root slice whose last pair opened it, if it did.
  let sectionOpen = false;
  // The whole document's errors come before its warnings: the slices' warnings wait for the last slice's errors.
  const warnings: YAMLWarning[] = [];
  const read = ({ doc, kind, node }: ComposedSlice): boolean => {
    reader.readParseErrors(doc, 0);
    for (const warning of doc.warnings) warnings.push(warning);
    if (isMap(node) && kind === 'top') sectionOpen = reader.readTopLevel(doc, node, 0).has(node.items[node.items.length - 1]);
    else if (sectionOpen && isMap(node)) reader.readPeople(doc, node, 0);
    else if (sectionOpen && isSeq(node)) reader.readReferences(doc, node, 0);
    return true;
  };
  if (!(yield* composeWholeInSteps(text, read, sidecarParseOptions, sliceChars, steps, 'kept'))) return false;
  reader.readParseWarnings(warnings, 0);
  return true;
}

/** What a document is composed with: `parseDocument`'s options. */
export type ComposeOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * Composes a YAML file whole, in steps, a slice of its root mapping's items
 * or of a section's entries at a time, in file order, handing each slice to
 * `read`; false when the slices would not give what composing the file at
 * once gives (see above), when `read` refuses a slice, or when the file has
 * anchors or aliases and they are to be `refused`.
 */
export function* composeWholeInSteps(text: string, read: (slice: ComposedSlice) => boolean, options: ComposeOptions, sliceChars: number, steps: WholeReadSteps, anchors: 'kept' | 'refused'): Steps<boolean> {
  try {
    return yield* composeWhole(text, new SliceComposer(read, options, sliceChars, steps.entriesTaken ?? defaultEntriesTaken), steps.lexemes ?? defaultLexemesPerStep, anchors === 'kept');
  } catch {
    // Whatever failed here, the read at once fails the same way and says so.
    return false;
  }
}

/** How finely the whole read is cut: lexemes per step, and a section's entries taken from the parser at once, at least. */
export interface WholeReadSteps {
  readonly lexemes?: number;
  readonly entriesTaken?: number;
}

/** Entries taken from the parser at once, at least: a few slices' worth. */
const defaultEntriesTaken = 64;

export interface ComposedSlice {
  readonly doc: Document;
  readonly kind: 'top' | 'people' | 'references';
  readonly node: YAMLMap | YAMLSeq;
}

/** The parser's stack of collections under construction, outermost first; `yaml` keeps it private. */
function parserStack(parser: Parser): readonly CST.Token[] | undefined {
  const stack = (parser as unknown as { stack?: unknown }).stack;
  return Array.isArray(stack) ? (stack as CST.Token[]) : undefined;
}

/** Entries of a section under construction left to the parser: it looks back at the last two. */
const keptByParser = 2;

/**
 * Lexes and parses the file in steps, and composes it a slice at a time.
 * A large section is composed while it is parsed: the entries the parser is
 * done with are taken out of its syntax tree, composed, read and let go, so
 * that the tree of a large sidecar, some fifty times the file's size, is
 * never held whole. False when the file has to be read at once.
 */
function* composeWhole(text: string, composer: SliceComposer, lexemesPerStep: number, anchorsKept: boolean): Steps<boolean> {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  let count = 0;
  for (const lexeme of new Lexer().lex(text)) {
    // No text begins with either outside quotes: such a lexeme is an anchor or an alias.
    if (!anchorsKept && (lexeme[0] === '&' || lexeme[0] === '*') && (CST.tokenType(lexeme) === 'anchor' || CST.tokenType(lexeme) === 'alias')) return false;
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (++count % lexemesPerStep !== 0) continue;
    yield;
    // Only once the document has begun, with nothing but blank lines and comments before it.
    const stack = parserStack(parser);
    if (stack && tokens.every((t) => besideDocument.has(t.type))) yield* composer.takeFromParser(stack, tokens);
  }
  for (const token of parser.end()) tokens.push(token);
  const documents = tokens.filter((t) => t.type === 'document');
  if (documents.length !== 1) return false;
  const doc = documents[0];
  const at = tokens.indexOf(doc);
  // The document's `...` may follow it, once.
  const end = tokens.findIndex((t) => t.type === 'doc-end');
  if (tokens.some((t, i) => i !== at && !besideDocument.has(t.type) && !(i === end && end > at))) return false;
  if (doc.value?.type !== 'block-map') return false;
  yield* composer.finish(doc, doc.value, tokens.slice(0, at), tokens.slice(at + 1));
  return true;
}

/** A people or references section being composed a slice at a time. */
interface OpenSection {
  readonly token: BlockCollection;
  readonly kind: 'people' | 'references';
  /** Where its next slice goes on from, and where it ends so far. */
  inner: number;
  end: number;
}

/**
 * Composes the root mapping's items and its sections' entries in file
 * order, carrying the offsets the whole composition would carry, and hands
 * each composed slice to `read`.
 */
class SliceComposer {
  /** Root items composed so far. */
  private rootDone = 0;
  /** Where the root mapping's next item goes on from; set with the first slice. */
  private offset = -1;
  private section: OpenSection | null = null;
  /** How many top-level tokens stood before the document when slices were first composed while parsing. */
  private beforeSeen: number | undefined;

  constructor(
    private readonly read: (slice: ComposedSlice) => boolean,
    private readonly options: ComposeOptions,
    private readonly sliceChars: number,
    private readonly entriesTaken: number,
  ) {}

  /** While parsing: composes the entries of the section under construction that the parser is done with. */
  *takeFromParser(stack: readonly CST.Token[], before: CST.Token[]): Steps<void> {
    const [doc, root, value] = stack;
    if (stack.length < 3 || doc.type !== 'document' || root.type !== 'block-map' || (value.type !== 'block-map' && value.type !== 'block-seq')) return;
    const item = root.items[root.items.length - 1];
    if (item.value !== undefined || !item.sep) return;
    const done = value.items.length - keptByParser;
    if (done < this.entriesTaken) return;
    if (this.section?.token !== value) {
      const kind = sectionKind({ ...item, value });
      if (!kind) return;
      this.beforeSeen ??= before.length;
      if (this.section) yield* this.closeParsedSection(doc, root, false, []);
      // The root items before it, then its key.
      yield* this.composeRoot(doc, root, root.items.slice(this.rootDone, -1), before, false);
      yield* this.openSection(doc, root, item, value, kind, before);
    }
    const taken = value.items.splice(0, done);
    yield* this.composeEntries(doc, taken, false, false, []);
  }

  /** The section composed while parsing, now parsed to its end: its last entries, still in the tree. */
  private *closeParsedSection(doc: CST.Document, root: CST.BlockMap, closing: boolean, after: CST.Token[]): Steps<void> {
    const section = this.section;
    if (!section || root.items[this.rootDone - 1]?.value !== section.token) throw new Bail();
    const rest = section.token.items;
    // The parser keeps its last entries, so there are some: a slice must carry the document's end.
    if (rest.length === 0) throw new Bail();
    section.token.items = [];
    yield* this.composeEntries(doc, rest, true, closing, after);
    this.closeSection();
  }

  /** Once parsed: composes whatever is left, to the end of the document. */
  *finish(doc: CST.Document, root: CST.BlockMap, before: CST.Token[], after: CST.Token[]): Steps<void> {
    // The tokens before the document went with the first slice: they must be all there are.
    if (this.beforeSeen !== undefined && before.length !== this.beforeSeen) throw new Bail();
    const rest = root.items.slice(this.rootDone);
    if (this.section) yield* this.closeParsedSection(doc, root, rest.length === 0, after);
    if (rest.length > 0 || this.offset < 0) yield* this.composeRoot(doc, root, rest, before, true, after);
  }

  /**
   * Complete root items, a slice at a time, each section among them opened
   * and composed in slices; with `closing`, the document's end goes with the
   * last slice.
   */
  private *composeRoot(doc: CST.Document, root: CST.BlockMap, items: CollectionItem[], before: CST.Token[], closing: boolean, after: CST.Token[] = []): Steps<void> {
    const slices = slicesOf(items, this.sliceChars, closing);
    if (!slices) throw new Bail();
    // A section item ends its slice, and is composed with its section's items left out.
    const units: CollectionItem[][] = [];
    for (const slice of slices) {
      let current: CollectionItem[] = [];
      for (const item of slice) {
        if (sectionKind(item)) {
          if (current.length > 0) units.push(current);
          units.push([item]);
          current = [];
        } else current.push(item);
      }
      if (current.length > 0) units.push(current);
    }
    for (let u = 0; u < units.length; u++) {
      const unit = units[u];
      const last = u === units.length - 1 && closing;
      const kind = unit.length === 1 ? sectionKind(unit[0]) : undefined;
      if (kind) {
        const section = unit[0].value as BlockCollection;
        yield* this.openSection(doc, root, unit[0], section, kind, before);
        yield* this.composeEntries(doc, section.items, true, last, after);
        this.closeSection();
        continue;
      }
      const slice = composeSlice(root, unit, this.rootOffset(root), this.around(doc, before, last, after), this.options);
      this.rootDone += unit.length;
      yield;
      const map = slice.contents;
      // An anchor on the root would name only the first slice's part of it.
      if (!isMap(map) || map.anchor) throw new Bail();
      if (!this.read({ doc: slice, kind: 'top', node: map })) throw new Bail();
      this.offset = rangeOf(map)[1];
    }
  }

  private rootOffset(root: CST.BlockMap): number {
    return this.offset < 0 ? root.offset : this.offset;
  }

  /** What the next slice takes of the document around it: its start if nothing is composed yet, its end if `last`. */
  private around(doc: CST.Document, before: CST.Token[], last: boolean, after: CST.Token[]): Around {
    const first = this.offset < 0;
    return { start: first ? doc.start : [], end: last ? doc.end : undefined, before: first ? before : [], after: last ? after : [] };
  }

  /** Composes a section's key, with its entries left out, as the last item of a root slice of its own. */
  private *openSection(doc: CST.Document, root: CST.BlockMap, item: CollectionItem, section: BlockCollection, kind: 'people' | 'references', before: CST.Token[]): Steps<void> {
    const slice = composeSlice(root, [{ ...item, value: { ...section, items: [] } }], this.rootOffset(root), this.around(doc, before, false, []), this.options);
    this.rootDone++;
    yield;
    const map = slice.contents;
    if (!isMap(map) || map.anchor) throw new Bail();
    const pair = map.items[map.items.length - 1];
    const value = pair?.value as Node | null;
    const empty = kind === 'people' ? isMap(value) : isSeq(value);
    if (!empty || value?.tag || value?.anchor || (pair.key as { value?: unknown } | null)?.value !== kind) throw new Bail();
    if (!this.read({ doc: slice, kind: 'top', node: map })) throw new Bail();
    this.offset = rangeOf(map)[1];
    this.section = { token: section, kind, inner: section.offset, end: section.offset };
  }

  /**
   * A section's entries, a slice at a time: its last ones with `ending`; with
   * `closing`, the document's end goes with the last slice.
   */
  private *composeEntries(doc: CST.Document, items: CollectionItem[], ending: boolean, closing: boolean, after: CST.Token[]): Steps<void> {
    const section = this.section;
    if (!section) throw new Bail();
    const slices = slicesOf(items, this.sliceChars, ending);
    if (!slices) throw new Bail();
    for (let s = 0; s < slices.length; s++) {
      const last = closing && s === slices.length - 1;
      const part = composeSlice(section.token, slices[s], section.inner, this.around(doc, [], last, after), this.options);
      // Each slice's tokens are let go once it is composed.
      slices[s] = [];
      yield;
      const node = part.contents;
      if (section.kind === 'people' ? !isMap(node) : !isSeq(node)) throw new Bail();
      if (!this.read({ doc: part, kind: section.kind, node: node as YAMLMap | YAMLSeq })) throw new Bail();
      [, section.inner, section.end] = rangeOf(node);
    }
  }

  /** The section is over: the root mapping goes on from where it ends. */
  private closeSection(): void {
    if (!this.section) throw new Bail();
    this.offset = this.section.end;
    this.section = null;
  }
}
