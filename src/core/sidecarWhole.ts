import { Composer, CST, isMap, isSeq, Lexer, Parser, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { type SidecarReader, sidecarParseOptions } from './sidecar';
import type { Steps } from './steps';

/*
 * A sidecar that cannot be cut into pieces by its lines, read whole in steps.
 *
 * Cutting by lines is refused when a piece does not parse alone, as while an
 * entry is being typed: an unclosed quote may run on into the next entries,
 * and only the whole file says how far. Parsing the whole file at once with
 * `yaml` holds the event loop for seconds on a large sidecar. So the file is
 * lexed and parsed to its syntax tree in steps, and the tree, which shows
 * exactly where each entry begins and ends, is composed into documents a
 * slice of entries at a time.
 *
 * `yaml` composes a mapping's or a list's entries one after another, each
 * from its own tokens, carrying only the offset where the previous one ended.
 * A slice of entries composed with that offset gives the nodes and errors the
 * whole composition gives for them, in the same order. What would make the
 * slices differ sends the file back to the read at once: several documents or
 * directives, a root that is not a block mapping, tags or anchors on a
 * section, anchors and aliases anywhere (an alias may point into another
 * slice), or a comment-only entry before the last of its collection (`yaml`
 * checks it against the collection's end).
 */

/** Lexemes per step of the lexer and parser, about 4 ms of work. */
const lexemesPerStep = 4096;

/** Top-level tokens that go with the one document of a sidecar; others (directives, `...`, more documents) are left to the read at once. */
const besideDocument = new Set(['comment', 'newline', 'space', 'byte-order-mark', 'error']);

type BlockCollection = CST.BlockMap | CST.BlockSequence;
type CollectionItem = BlockCollection['items'][number];

/** The tokens of a whole file, lexed and parsed in steps; undefined at the first anchor or alias. */
function* syntaxTree(text: string): Steps<CST.Token[] | undefined> {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  let count = 0;
  for (const lexeme of new Lexer().lex(text)) {
    // No text begins with either outside quotes: such a lexeme is an anchor or an alias.
    if ((lexeme[0] === '&' || lexeme[0] === '*') && (CST.tokenType(lexeme) === 'anchor' || CST.tokenType(lexeme) === 'alias')) return undefined;
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (++count % lexemesPerStep === 0) yield;
  }
  for (const token of parser.end()) tokens.push(token);
  return tokens;
}

/** Where an item's tokens begin. */
function itemStart(item: CollectionItem): number {
  const first = item.start[0] ?? item.key ?? item.sep?.[0] ?? item.value;
  return first ? first.offset : -1;
}

/** An item with nothing but comments or blank lines: `yaml` keeps the collection's comment end from it. */
function commentOnly(item: CollectionItem): boolean {
  return !item.key && !item.sep && !item.value && !item.start.some((t) => t.type === 'anchor' || t.type === 'tag' || t.type === 'seq-item-ind' || t.type === 'explicit-key-ind');
}

/** The collection's items cut into runs of at least `sliceChars` characters; undefined if a comment-only item is not the last. */
function slicesOf(items: readonly CollectionItem[], sliceChars: number): CollectionItem[][] | undefined {
  const slices: CollectionItem[][] = [];
  let current: CollectionItem[] = [];
  let from = -1;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i + 1 < items.length && commentOnly(item)) return undefined;
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

/**
 * Composes a document of one slice of a collection's items, as the whole
 * document's composition would compose them after `offset`. `before` and
 * `after` are the top-level tokens around the document, given to the first
 * and last slice.
 */
function composeSlice(collection: BlockCollection, items: CollectionItem[], offset: number, doc: CST.Document | null, before: CST.Token[], after: CST.Token[]): Document {
  const value = { ...collection, offset, items } as BlockCollection;
  const token: CST.Document = { type: 'document', offset, start: doc?.start ?? [], value, end: doc?.end };
  const composer = new Composer(sidecarParseOptions);
  const docs = [...composer.compose([...before, token, ...after])];
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
export function* readWholeInSteps(reader: SidecarReader, text: string, sliceChars: number): Steps<boolean> {
  // In file order: a section's slices right after the root slice whose last pair opened it, if it did.
  let sectionOpen = false;
  const read = ({ doc, kind, node }: ComposedSlice): void => {
    reader.readParseProblems(doc, 0);
    if (isMap(node) && kind === 'top') sectionOpen = reader.readTopLevel(doc, node, 0).has(node.items[node.items.length - 1]);
    else if (sectionOpen && isMap(node)) reader.readPeople(doc, node, 0);
    else if (sectionOpen && isSeq(node)) reader.readReferences(doc, node, 0);
  };
  try {
    return yield* composeInSlices(text, sliceChars, read);
  } catch {
    // Whatever failed here, the read at once fails the same way and says so.
    return false;
  }
}

interface ComposedSlice {
  readonly doc: Document;
  readonly kind: 'top' | 'people' | 'references';
  readonly node: YAMLMap | YAMLSeq;
}

/**
 * Composes the whole file's document a slice at a time, in file order,
 * handing each slice to `read` and letting it go; false when the file has to
 * be read at once.
 */
function* composeInSlices(text: string, sliceChars: number, read: (slice: ComposedSlice) => void): Steps<boolean> {
  const tokens = yield* syntaxTree(text);
  if (!tokens) return false;
  const documents = tokens.filter((t) => t.type === 'document');
  if (documents.length !== 1 || tokens.some((t) => t.type !== 'document' && !besideDocument.has(t.type))) return false;
  const doc = documents[0];
  const root = doc.value;
  if (root?.type !== 'block-map') return false;
  const at = tokens.indexOf(doc);
  const before = tokens.slice(0, at);
  const after = tokens.slice(at + 1);
  const rootSlices = slicesOf(root.items, sliceChars);
  if (!rootSlices) return false;
  // Cut further where a root item holds a section: that item ends its slice, with the section's items left out.
  const units: CollectionItem[][] = [];
  for (const slice of rootSlices) {
    let current: CollectionItem[] = [];
    for (const item of slice) {
      current.push(item);
      if (sectionKind(item)) {
        units.push(current);
        current = [];
      }
    }
    if (current.length > 0) units.push(current);
  }
  let offset = root.offset;
  for (let u = 0; u < units.length; u++) {
    const unit = units[u];
    const last = unit[unit.length - 1];
    const kind = sectionKind(last);
    const section = kind ? (last.value as BlockCollection) : undefined;
    const items = section ? [...unit.slice(0, -1), { ...last, value: { ...section, items: [] } } as CollectionItem] : unit;
    const isFirst = u === 0;
    const isLast = u === units.length - 1 && !section;
    const slice = composeSlice(root, items, offset, isFirst || isLast ? { ...doc, start: isFirst ? doc.start : [], end: isLast ? doc.end : undefined } : null, isFirst ? before : [], isLast ? after : []);
    yield;
    const map = slice.contents;
    if (!isMap(map)) throw new Bail();
    read({ doc: slice, kind: 'top', node: map });
    offset = rangeOf(map)[1];
    if (!section || !kind) continue;
    const pair = map.items[map.items.length - 1];
    const value = pair?.value as Node | null;
    const empty = kind === 'people' ? isMap(value) : isSeq(value);
    if (!empty || value?.tag || value?.anchor || (pair.key as { value?: unknown } | null)?.value !== kind) throw new Bail();
    const sectionSlices = slicesOf(section.items, sliceChars);
    if (!sectionSlices) throw new Bail();
    // Each slice's tokens are let go once it is composed: the syntax tree of a large file takes hundreds of megabytes.
    section.items = [];
    let inner = section.offset;
    let end = inner;
    for (let s = 0; s < sectionSlices.length; s++) {
      const closing = u === units.length - 1 && s === sectionSlices.length - 1;
      const part = composeSlice(section, sectionSlices[s], inner, closing ? { ...doc, start: [] } : null, [], closing ? after : []);
      sectionSlices[s] = [];
      yield;
      const node = part.contents;
      if (kind === 'people' ? !isMap(node) : !isSeq(node)) throw new Bail();
      read({ doc: part, kind, node: node as YAMLMap | YAMLSeq });
      [, inner, end] = rangeOf(node);
    }
    offset = end;
  }
  return true;
}
