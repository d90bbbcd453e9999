import { isMap, isScalar, isSeq, parseDocument, type YAMLError } from 'yaml';
import { cslYamlOf, cslYamlParseOptions, readCslYamlAtOnce, type CslYamlRead } from './bibliography';
import { lineMapSteps, type LineMap } from './lineMap';
import type { Bibliography } from './registry';
import { hasAnchorsOrAliases } from './sidecar';
import { defaultPieceChars, defaultQuickPieces, documentEndLine, documentStartLine, isItemStart, pieceBounds, quickListItems, YamlLineScan } from './sidecarPieces';
import { composeWholeInSteps, type ComposedSlice, type WholeReadSteps } from './sidecarWhole';
import { runNow, type Steps } from './steps';

/*
 * A large CSL-YAML library read in pieces. `yaml`, the parser of record,
 * takes about a fifth of a millisecond for each item, so ten thousand read at
 * once would hold the event loop for two seconds. The list is cut where its
 * items start, each a `- ` line at the list's indentation, and pieces of a few
 * items are parsed on their own, in file order.
 *
 * The split is made only in the layouts reference managers and Pandoc write:
 * the list at the top level, or under a lone `references:` key, with at most a
 * `---` line before and a `...` line after. Anything else is read whole. A
 * piece parsed alone means what it means in the whole file only when nothing
 * crosses its edges: a piece with an error (an unclosed quote or bracket that
 * crosses an edge shows as one), an anchor or an alias sends the file back to
 * the whole read too, which then says what is wrong. The whole read runs in
 * steps too, a slice of items at a time, where its root is a mapping and it
 * has no anchors or aliases.
 *
 * As for sidecars, a quick read from js-yaml's events, some fifteen times
 * faster, can serve the references first, while `yaml` reads on.
 */

export interface CslYamlStepsOptions {
  /**
   * Called once with a quick read, from js-yaml's events, before the read
   * with `yaml` (the parser of record) goes on: the same references, without
   * any prototype key; not called when the file is read whole.
   */
  readonly quick?: (bibliography: Bibliography, lines: LineMap) => void;
  /** How finely a library that does not parse in pieces is read whole (see sidecarWhole.ts). */
  readonly wholeReadSteps?: WholeReadSteps;
}

/** Reads a CSL-YAML library in steps of a few milliseconds each, with the same result as `parseCslYaml`, and the file's line map. */
export function* cslYamlSteps(uri: string, text: string, options: CslYamlStepsOptions = {}): Steps<{ bibliography: Bibliography; lines: LineMap }> {
  const lines = yield* lineMapSteps(text);
  const list = yield* cslYamlList(text);
  if (list && options.quick) {
    const quick = yield* itemsInPieces(text, pieceBounds(list.starts, list.end, defaultPieceChars * defaultQuickPieces), quickListItems);
    if (quick) options.quick(yield* cslYamlOf(uri, text, lines, { items: quick }), lines);
  }
  const items = list && (yield* itemsInPieces(text, pieceBounds(list.starts, list.end, defaultPieceChars), preciseListItems));
  if (items) return { bibliography: yield* cslYamlOf(uri, text, lines, { items }), lines };
  // Not laid out to be cut, or a piece does not parse alone, as while an item is being typed: read whole, in steps where the slices allow.
  const whole = (yield* readWholeInSteps(text, options.wholeReadSteps)) ?? readCslYamlAtOnce(text);
  return { bibliography: yield* cslYamlOf(uri, text, lines, whole), lines };
}

/**
 * A library read whole in steps, to what `readCslYamlAtOnce` gives: its root
 * mapping's entries and the items of its `references:` list composed a slice
 * at a time, as sidecars are (see sidecarWhole.ts); undefined where only the
 * read at once can tell, as for a list at the root or a key given twice.
 */
function* readWholeInSteps(text: string, steps: WholeReadSteps = {}): Steps<CslYamlRead | undefined> {
  let error: YAMLError | undefined;
  const rootKeys = new Set<unknown>();
  let references: unknown;
  /** The items of a `references:` list composed in slices of its own. */
  let sliced: unknown[] | undefined;
  const read = ({ doc, kind, node }: ComposedSlice): boolean => {
    error ??= doc.errors[0];
    // A `people:` mapping's keys would be checked for repeats a slice at a time only.
    if (kind === 'people') return false;
    if (kind === 'references') {
      sliced ??= [];
      for (const item of doc.toJS(cslYamlParseOptions) as unknown[]) sliced.push(item);
      return true;
    }
    if (!isMap(node)) return false;
    // Each slice checks its own keys only: one repeated across slices is for the read at once to report.
    for (const pair of node.items) {
      if (!isScalar(pair.key) || rootKeys.has(pair.key.value)) return false;
      rootKeys.add(pair.key.value);
    }
    // The `references:` key, and its list when its items do not come in slices of their own.
    const value = (doc.toJS(cslYamlParseOptions) as Record<string, unknown> | null)?.references;
    if (value !== undefined) references = value;
    return true;
  };
  // `yaml` makes the values, and would resolve an alias within its own slice only.
  if (!(yield* composeWholeInSteps(text.replace(/^\uFEFF/, ''), read, cslYamlParseOptions, defaultPieceChars, steps, 'refused'))) return undefined;
  if (error) return { error };
  return { data: { references: sliced ?? references } };
}

/** The stepped read, at once: the same result as `parseCslYaml`. */
export function parseCslYamlInPieces(uri: string, text: string): Bibliography {
  return runNow(cslYamlSteps(uri, text)).bibliography;
}

/** The whole read's limit on aliases; a piece has none, but its values are made as the whole read makes them. */
const parseOptions = { maxAliasCount: 100 } as const;

/** Where the items of the library's list start, and where it ends; undefined when it must be read whole. */
function* cslYamlList(text: string): Steps<{ starts: readonly number[]; end: number } | undefined> {
  const scan = new ListScan(text);
  return (yield* scan.scanAll()) ? scan.list() : undefined;
}

/** The items of the pieces between `bounds`, each read by `read`; undefined when one cannot stand for its part of the whole file. */
function* itemsInPieces(text: string, bounds: readonly number[], read: (source: string) => unknown[] | undefined): Steps<unknown[] | undefined> {
  const items: unknown[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    let piece: unknown[] | undefined;
    try {
      piece = read(text.slice(bounds[b], bounds[b + 1]));
    } catch {
      return undefined;
    }
    if (!piece) return undefined;
    for (const item of piece) items.push(item);
    yield;
  }
  return items;
}

/** A piece's items as `yaml` reads them; undefined for an error, an anchor or an alias. */
function preciseListItems(source: string): unknown[] | undefined {
  const doc = parseDocument(source);
  if (doc.errors.length > 0 || !isSeq(doc.contents)) return undefined;
  if ((source.includes('&') || source.includes('*')) && hasAnchorsOrAliases(doc.contents)) return undefined;
  return doc.toJS(parseOptions) as unknown[];
}

/** A line that holds only `references:`, and perhaps a comment after it. */
const referencesKey = /^references[ \t]*:(?:[ \t]+(?:#.*)?)?\r?$/;

/** The line scan of `cslYamlList`. */
class ListScan extends YamlLineScan {
  private part: 'head' | 'list' | 'tail' = 'head';
  private seenStart = false;
  private seenKey = false;
  private seenEnd = false;
  /** The items' indentation. */
  private indent = -1;
  private readonly starts: number[] = [];
  private end = -1;

  /** Where the items start, and where the list ends; undefined when there is no list to cut. */
  list(): { starts: readonly number[]; end: number } | undefined {
    if (this.part === 'head') return undefined;
    return { starts: this.starts, end: this.part === 'list' ? this.text.length : this.end };
  }

  protected line(lineStart: number, lineEnd: number, i: number, spaces: number, c: number): boolean {
    const { text } = this;
    // An item's piece starts at its line, after a byte order mark.
    const start = lineStart === 0 && text.charCodeAt(0) === 0xfeff ? 1 : lineStart;
    if (this.part === 'list') {
      // A tab in the indentation: harmless deep inside an item, unclear anywhere else.
      if (spaces > this.indent) return true;
      if (c !== 0x09 && spaces === this.indent && isItemStart(text, i)) {
        this.starts.push(start);
        return true;
      }
      this.part = 'tail';
      this.end = lineStart;
    }
    if (c === 0x09) return false;
    if (this.part === 'tail') {
      // After the list only the end of the document may come: anything else is for the whole read to judge.
      if (spaces > 0 || this.seenEnd || !documentEndLine.test(text.slice(i, lineEnd))) return false;
      this.seenEnd = true;
      return true;
    }
    if (isItemStart(text, i)) {
      this.part = 'list';
      this.indent = spaces;
      this.starts.push(start);
      return true;
    }
    if (spaces > 0) return false;
    const line = text.slice(i, lineEnd);
    if (!this.seenStart && !this.seenKey && documentStartLine.test(line)) {
      this.seenStart = true;
      return true;
    }
    if (!this.seenKey && referencesKey.test(line)) {
      this.seenKey = true;
      return true;
    }
    return false;
  }
}
