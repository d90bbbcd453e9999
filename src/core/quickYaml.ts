import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';
import { isScalar, Schema, type ScalarTag } from 'yaml';
import { sidecarLimits, unsafeKeys } from './sidecar';
import type { Span } from './types';

/*
 * The values of one piece of a large YAML file, for the quick read of
 * sidecars and CSL-YAML libraries. Most pieces are written in one plain block
 * style, which `BlockValues` reads straight from the characters; any piece it
 * does not take is read from js-yaml's events. Both give the same values,
 * typed by `yaml`'s core schema, so that the quick read agrees with the
 * precise read.
 */

/** js-yaml's events carry scalars as text; `yaml`'s own core schema types plain ones, so both reads agree on every value. */
const coreTags = (new Schema({ schema: 'core' }).tags as ScalarTag[]).filter((tag) => tag.default === true && tag.test !== undefined);
const coreOptions = { intAsBigInt: false };
const ignoreError = (): void => {};
/** Any plain scalar a core tag matches: most are strings, which one test then settles. */
const coreTyped = new RegExp(coreTags.map((tag) => `(?:${(tag.test as RegExp).source})`).join('|'));

/**
 * The first characters of the scalars a core tag matches (numbers, `.inf`,
 * `.nan`, `~`, true, false, null): most keys and words start with none of them.
 */
const typedFirst = new Uint8Array(128);
for (const c of '+-.0123456789~tTfFnN') typedFirst[c.charCodeAt(0)] = 1;

function resolvePlainScalar(source: string): unknown {
  const first = source.charCodeAt(0);
  // The empty scalar is null.
  if (source.length > 0 && !(first < 128 && typedFirst[first] === 1)) return source;
  if (!coreTyped.test(source)) return source;
  for (const tag of coreTags) {
    if (!tag.test?.test(source)) continue;
    const value: unknown = tag.resolve(source, ignoreError, coreOptions);
    return isScalar(value) ? value.value : value;
  }
  return source;
}

/**
 * Something a reader does not reproduce (a tag, an anchor or an alias, a
 * repeated key, deep nesting): the piece goes to the next one, js-yaml's
 * events and then `yaml`, whose reader keeps anchors for the pieces after it.
 */
export class NotQuick extends Error {}

/** Deepest node the quick read builds; deeper, a CSL item reaches the depth limit, which `yaml`'s read reports. */
const quickDepth = sidecarLimits.depth - 4;

/** A key of the mapping a piece holds, where it is written, and its value. */
export interface RootEntry {
  readonly key: unknown;
  /** The span `yaml` gives the key: quotes included. */
  readonly keySpan: Span;
  readonly value: unknown;
}

/**
 * A piece's values, as plain data: mappings are plain objects. A mapping
 * with a key repeated, or a key that a plain object would not keep in its
 * place, is not reproduced (the precise read decides what it means), and
 * neither are tags.
 */
export interface PieceValues {
  /** The entries of the piece's mapping, keys in order and repeats kept; undefined when it holds a list. */
  readonly entries: RootEntry[] | undefined;
  /** The items of the piece's list; undefined when it holds a mapping. */
  readonly items: unknown[] | undefined;
  /** For each item of the list that is a mapping, the span of its `id` when that is a scalar on one line other than null. */
  readonly idSpans: (Span | undefined)[];
}

/** The values of a piece of YAML whose first character is at `base` in its file. */
export function pieceValues(source: string, base: number): PieceValues {
  return blockValues(source, base) ?? new EventValues(source, base);
}

/** The values of a piece read from its characters; undefined when it is not in the block style this reads. */
export function blockValues(source: string, base: number): PieceValues | undefined {
  try {
    return new BlockValues(source, base);
  } catch (error) {
    if (error instanceof NotQuick) return undefined;
    throw error;
  }
}

/** The values of a piece built from js-yaml's events. */
export function eventValues(source: string, base: number): PieceValues {
  return new EventValues(source, base);
}

/**
 * A key read from YAML, checked for a plain object: throws for a key that is
 * not text, that a plain object would move to the front (a whole number), or
 * that is already there or reaches its prototype.
 */
function objectKey(key: unknown, object: Record<string, unknown>): string {
  if (typeof key !== 'string') throw new NotQuick();
  const first = key.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39 && /^(?:0|[1-9][0-9]*)$/.test(key)) throw new NotQuick();
  // Values are never undefined, so anything found is a repeat or a member of Object.prototype.
  if (object[key] !== undefined || unsafeKeys.has(key)) throw new NotQuick();
  return key;
}

// ---------------------------------------------------------------- js-yaml's events

/** Builds values from js-yaml's events for one piece. */
class EventValues implements PieceValues {
  readonly entries: RootEntry[] | undefined;
  readonly items: unknown[] | undefined;
  readonly idSpans: (Span | undefined)[] = [];
  private readonly events: readonly Event[];
  private at = 1;
  /** The span of the `id` of the list's item being read. */
  private idSpan: Span | undefined;

  constructor(
    private readonly source: string,
    private readonly base: number,
  ) {
    const events = (this.events = parseEvents(source, { maxDepth: sidecarLimits.depth + 8 }));
    if (events.length < 3 || events[0].type !== EVENT_ID.DOCUMENT || events[events.length - 1].type !== EVENT_ID.POP) throw new NotQuick();
    const root = events[1];
    if (root.type === EVENT_ID.MAPPING) {
      checkNode(root);
      this.at = 2;
      this.entries = [];
      while (events[this.at].type !== EVENT_ID.POP) {
        const keySpan = this.scalarSpan(this.at);
        const key = this.value(1);
        this.entries.push({ key, keySpan, value: this.value(1) });
      }
      this.at++;
    } else if (root.type === EVENT_ID.SEQUENCE) {
      checkNode(root);
      this.at = 2;
      this.items = [];
      while (events[this.at].type !== EVENT_ID.POP) {
        this.idSpan = undefined;
        this.items.push(this.value(1));
        this.idSpans.push(this.idSpan);
      }
      this.at++;
    } else {
      throw new NotQuick();
    }
    if (this.at !== events.length - 1) throw new NotQuick();
  }

  /** The span `yaml` gives a scalar: quotes included. */
  private scalarSpan(index: number): Span {
    const event = this.events[index];
    if (event.type !== EVENT_ID.SCALAR || event.valueStart < 0) throw new NotQuick();
    const quoted = event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
    if (!quoted && event.style !== SCALAR_STYLE.PLAIN) throw new NotQuick();
    return quoted ? { start: event.valueStart - 1 + this.base, end: event.valueEnd + 1 + this.base } : { start: event.valueStart + this.base, end: event.valueEnd + this.base };
  }

  /** The node that starts at the current event, which it moves past. */
  private value(depth: number): unknown {
    const event = this.events[this.at++];
    if (event.type === EVENT_ID.ALIAS) throw new NotQuick();
    if (event.type === EVENT_ID.SCALAR) {
      checkNode(event);
      const text = getScalarValue(this.source, event);
      return event.style === SCALAR_STYLE.PLAIN ? resolvePlainScalar(text) : text;
    }
    if (event.type !== EVENT_ID.SEQUENCE && event.type !== EVENT_ID.MAPPING) throw new NotQuick();
    checkNode(event);
    if (depth > quickDepth) throw new NotQuick();
    const { events } = this;
    if (event.type === EVENT_ID.SEQUENCE) {
      const items: unknown[] = [];
      while (events[this.at].type !== EVENT_ID.POP) items.push(this.value(depth + 1));
      this.at++;
      return items;
    }
    const map: Record<string, unknown> = {};
    while (events[this.at].type !== EVENT_ID.POP) {
      if (events[this.at].type !== EVENT_ID.SCALAR) throw new NotQuick();
      const key = objectKey(this.value(depth + 1), map);
      const valueAt = this.at;
      const value = this.value(depth + 1);
      map[key] = value;
      if (depth === 1 && this.items && key === 'id' && value !== null && typeof value !== 'object') this.idSpan = this.scalarSpan(valueAt);
    }
    this.at++;
    return map;
  }
}

function checkNode(event: { anchorStart: number; tagStart: number }): void {
  if (event.anchorStart >= 0) throw new NotQuick();
  if (event.tagStart >= 0) throw new NotQuick();
}

// ---------------------------------------------------------------- the plain block style

const SPACE = 0x20;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const COLON = 0x3a;
const QUESTION = 0x3f;
const DASH = 0x2d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const PIPE = 0x7c;
const GREATER = 0x3e;

/** Characters that cannot start a plain scalar, and those that end one inside brackets. */
const indicators = new Uint8Array(128);
for (const c of ",[]{}#&*!|>'\"%@`") indicators[c.charCodeAt(0)] = 1;
const flowIndicators = new Uint8Array(128);
for (const c of ',[]{}') flowIndicators[c.charCodeAt(0)] = 1;

/**
 * What js-yaml refuses or YAML reads in ways this reader does not follow: control
 * characters, tabs, lone CRs, the byte-order mark, NEL and the Unicode line
 * separators, noncharacters, and surrogates (checked for pairs where found).
 */
const unusualCharacter = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]/g;

function hasUnusualCharacters(source: string): boolean {
  unusualCharacter.lastIndex = 0;
  for (let match = unusualCharacter.exec(source); match; match = unusualCharacter.exec(source)) {
    const at = match.index;
    const c = source.charCodeAt(at);
    if (c === CR && source.charCodeAt(at + 1) === LF) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = source.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        unusualCharacter.lastIndex = at + 2;
        continue;
      }
    }
    return true;
  }
  return false;
}

/** Plain keys read lately, by a hash of their first and last characters and length. */
const recentKeys: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);

/** The characters YAML's one-letter escapes stand for, in double quotes. */
const escapes: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', t: '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029' };
const hexDigits: Record<string, number> = { x: 2, u: 4, U: 8 };

/** The text of a double-quoted scalar on one line; throws for an escape YAML does not have. */
function unescapeDoubleQuoted(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('\\'); at >= 0; at = text.indexOf('\\', from)) {
    out += text.slice(from, at);
    const letter = text.charAt(at + 1);
    const digits = hexDigits[letter];
    if (digits !== undefined) {
      const hex = text.slice(at + 2, at + 2 + digits);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) throw new NotQuick();
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw new NotQuick();
      out += String.fromCodePoint(code);
      from = at + 2 + digits;
    } else {
      const escaped = Object.hasOwn(escapes, letter) ? escapes[letter] : undefined;
      if (escaped === undefined) throw new NotQuick();
      out += escaped;
      from = at + 2;
    }
  }
  return out + text.slice(from);
}

/**
 * Reads a piece written in the block style most sidecars and libraries are
 * written in, straight from its characters: js-yaml's parse and the values
 * built from its events were most of a large sidecar's quick read. It takes
 * block mappings and sequences, plain and quoted keys, plain scalars (over
 * several lines too), quoted scalars on one line, lists and mappings in
 * brackets on one line, literal and folded blocks, and comments; anything
 * else throws `NotQuick`, and the piece is read from the events.
 */
class BlockValues implements PieceValues {
  readonly entries: RootEntry[] | undefined;
  readonly items: unknown[] | undefined;
  readonly idSpans: (Span | undefined)[] = [];
  /** Where the current line starts; lines are read one after the other. */
  private line = 0;
  /** The span of the `id` of the list's item being read. */
  private idSpan: Span | undefined;

  constructor(
    private readonly source: string,
    private readonly base: number,
  ) {
    if (hasUnusualCharacters(source)) throw new NotQuick();
    const indent = this.nextContentLine();
    if (indent < 0) throw new NotQuick();
    if (this.isEntry(this.line + indent)) {
      this.items = [];
      this.sequence(indent, 0, this.items);
    } else {
      this.entries = [];
      this.mapping(indent, this.line + indent, 0);
    }
    if (this.nextContentLine() >= 0) throw new NotQuick();
  }

  /** Where the current line's text ends: before its LF, or its CR LF. */
  private lineEnd(): number {
    const { source } = this;
    let end = source.indexOf('\n', this.line);
    if (end < 0) end = source.length;
    return end > this.line && source.charCodeAt(end - 1) === CR ? end - 1 : end;
  }

  private nextLine(): void {
    const end = this.source.indexOf('\n', this.line);
    this.line = end < 0 ? this.source.length : end + 1;
  }

  /** Moves past blank and comment lines; the indentation of the line it stops at, or -1 at the end. */
  private nextContentLine(): number {
    const { source } = this;
    while (this.line < source.length) {
      let at = this.line;
      while (source.charCodeAt(at) === SPACE) at++;
      const c = source.charCodeAt(at);
      if (at < source.length && c !== LF && c !== CR && c !== HASH) {
        // A document marker at the margin ends the document.
        if (at === this.line && (source.startsWith('---', at) || source.startsWith('...', at))) throw new NotQuick();
        return at - this.line;
      }
      this.nextLine();
    }
    return -1;
  }

  /** Whether a sequence entry starts at `at`: a dash, then a space or the line's end. */
  private isEntry(at: number): boolean {
    const { source } = this;
    if (source.charCodeAt(at) !== DASH) return false;
    const next = source.charCodeAt(at + 1);
    return next === SPACE || next === LF || next === CR || at + 1 === source.length;
  }

  /** The collection whose first line is the current line, indented by `indent`. */
  private block(indent: number, depth: number): unknown {
    return this.isEntry(this.line + indent) ? this.sequence(indent, depth, []) : this.mapping(indent, this.line + indent, depth);
  }

  /** A sequence indented by `indent`, its items added to `items`. */
  private sequence(indent: number, depth: number, items: unknown[]): unknown[] {
    if (depth > quickDepth) throw new NotQuick();
    const { source } = this;
    for (;;) {
      if (depth === 0) this.idSpan = undefined;
      const dash = this.line + indent;
      let at = dash + 1;
      while (source.charCodeAt(at) === SPACE) at++;
      const end = this.lineEnd();
      // An entry whose value starts on the next line: rare, and left to the events.
      if (at >= end || source.charCodeAt(at) === HASH) throw new NotQuick();
      if (this.isEntry(at)) {
        items.push(this.sequence(at - this.line, depth + 1, []));
      } else if (this.keyEnd(at, end) >= 0) {
        items.push(this.mapping(at - this.line, at, depth + 1));
      } else {
        items.push(this.inlineValue(at, end, depth + 1, indent));
      }
      if (depth === 0) this.idSpans.push(this.idSpan);
      const next = this.nextContentLine();
      if (next > indent) throw new NotQuick();
      if (next < indent || !this.isEntry(this.line + indent)) return items;
    }
  }

  /**
   * Whether a plain scalar cannot start at `at`: an indicator, or `-`, `?` or
   * `:` before a space, the line's end or, inside brackets, a bracket or comma.
   */
  private cannotStartPlain(at: number, end: number, inBrackets: boolean): boolean {
    const { source } = this;
    const c = source.charCodeAt(at);
    if (c < 128 && indicators[c] === 1) return true;
    if (c !== DASH && c !== QUESTION && c !== COLON) return false;
    const next = source.charCodeAt(at + 1);
    return at + 1 === end || next === SPACE || (inBrackets && next < 128 && flowIndicators[next] === 1);
  }

  /**
   * Where the colon after a key that starts at `at` is: a plain key, or a
   * quoted one, then a colon before a space or the line's end; -1 when the
   * line holds no key.
   */
  private keyEnd(at: number, end: number): number {
    const { source } = this;
    const first = source.charCodeAt(at);
    if (first === QUOTE || first === APOSTROPHE) {
      let colon = this.quotedEnd(at, end);
      while (source.charCodeAt(colon) === SPACE) colon++;
      return source.charCodeAt(colon) === COLON && (colon + 1 === end || source.charCodeAt(colon + 1) === SPACE) ? colon : -1;
    }
    if (first < 128 && indicators[first]) return -1;
    for (let i = at; i < end; i++) {
      const c = source.charCodeAt(i);
      if (c === COLON) {
        const next = source.charCodeAt(i + 1);
        if (i + 1 === end || next === SPACE) return i;
      } else if (c === HASH && source.charCodeAt(i - 1) === SPACE) {
        return -1;
      }
    }
    return -1;
  }

  /**
   * A mapping indented by `indent`, whose first key starts at `first` on the
   * current line; at the piece's root, its entries go to `entries`.
   */
  private mapping(indent: number, first: number, depth: number): Record<string, unknown> {
    if (depth > quickDepth) throw new NotQuick();
    const { source } = this;
    const map: Record<string, unknown> = {};
    for (let at = first; ; ) {
      const end = this.lineEnd();
      const colon = this.keyEnd(at, end);
      if (colon < 0) throw new NotQuick();
      let keyEnd = colon;
      while (source.charCodeAt(keyEnd - 1) === SPACE) keyEnd--;
      const c = source.charCodeAt(at);
      const quoted = c === QUOTE || c === APOSTROPHE;
      if (keyEnd === at || (!quoted && this.cannotStartPlain(at, end, false)) || keyEnd - at > 1000) throw new NotQuick();
      const key = quoted ? this.quotedText(at, keyEnd) : this.plainKey(at, keyEnd);
      let value: unknown;
      let valueAt = colon + 1;
      while (source.charCodeAt(valueAt) === SPACE) valueAt++;
      if (valueAt >= end || (source.charCodeAt(valueAt) === HASH && valueAt > colon + 1)) {
        // Nothing after the colon: the value is the block below, or null.
        this.nextLine();
        const next = this.nextContentLine();
        if (next > indent) value = this.block(next, depth + 1);
        else if (next === indent && this.isEntry(this.line + indent)) value = this.sequence(indent, depth + 1, []);
        else value = resolvePlainScalar('');
      } else if (source.charCodeAt(valueAt) === PIPE || source.charCodeAt(valueAt) === GREATER) {
        // An id in a block has no span on one line: the precise read reports it.
        if (depth === 1 && this.items && key === 'id') throw new NotQuick();
        value = this.blockScalar(valueAt, end, indent);
      } else {
        value = this.inlineValue(valueAt, end, depth + 1, indent);
        if (depth === 1 && this.items && key === 'id' && value !== null && typeof value !== 'object') {
          if (this.continued) throw new NotQuick();
          this.idSpan = { start: valueAt + this.base, end: this.valueEnd + this.base };
        }
      }
      if (depth === 0) this.entries?.push({ key, keySpan: { start: at + this.base, end: keyEnd + this.base }, value });
      else map[objectKey(key, map)] = value;
      const next = this.nextContentLine();
      if (next > indent) throw new NotQuick();
      if (next < indent) return map;
      at = this.line + indent;
      // An entry at a mapping's own indentation is an error to YAML.
      if (this.isEntry(at)) throw new NotQuick();
    }
  }

  /**
   * A plain key: the same string as the last time it was read, where it is
   * one of the few keys a file repeats. A key cut from the text is a new
   * string, which must be looked up among the engine's own before it can
   * name a property; that lookup, for every key, cost more than reading it.
   */
  private plainKey(at: number, end: number): unknown {
    const { source } = this;
    const slot = (source.charCodeAt(at) * 31 + source.charCodeAt(end - 1) * 7 + end - at) & (recentKeys.length - 1);
    const recent = recentKeys[slot];
    if (recent !== undefined && recent.length === end - at && source.startsWith(recent, at)) return recent;
    const key = resolvePlainScalar(source.slice(at, end));
    // A string cut from a text can hold on to the whole text: the one kept from file to file is a copy.
    if (typeof key === 'string') recentKeys[slot] = (' ' + key).slice(1);
    return key;
  }

  /** Where the last scalar `inlineValue` read ends. */
  private valueEnd = 0;

  /** Whether the last plain scalar `inlineValue` read went on past its first line. */
  private continued = false;

  /**
   * A node that starts at `at` on the current line, the value of a node
   * indented by `parent`: a scalar, or a list or mapping in brackets, which
   * is all the rest of the line but for a comment. Moves to the line after it.
   */
  private inlineValue(at: number, end: number, depth: number, parent: number): unknown {
    this.continued = false;
    const { source } = this;
    const c = source.charCodeAt(at);
    let value: unknown;
    let after: number;
    if (c === QUOTE || c === APOSTROPHE) {
      after = this.quotedEnd(at, end);
      value = this.quotedText(at, after);
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      value = this.flowNode(at, end, depth);
      after = this.flowEnd;
    } else {
      after = this.plainEnd(at, end);
      value = source.slice(at, after);
    }
    this.valueEnd = after;
    // Only a comment may follow, after a space.
    let rest = after;
    while (source.charCodeAt(rest) === SPACE) rest++;
    if (rest < end && !(source.charCodeAt(rest) === HASH && rest > after)) throw new NotQuick();
    this.nextLine();
    if (typeof value !== 'string' || c === QUOTE || c === APOSTROPHE) return value;
    // A plain scalar goes on over the lines indented past its parent's, unless a comment ended it.
    return resolvePlainScalar(rest < end ? value : this.plainLines(value, parent));
  }

  /**
   * The rest of a plain scalar whose first line is `first`: the lines
   * indented past `parent` that follow, folded as YAML folds them (a line
   * break is a space, and each blank line between two lines a line break).
   */
  private plainLines(first: string, parent: number): string {
    const { source } = this;
    let text = first;
    let blank = 0;
    while (this.line < source.length) {
      let at = this.line;
      const end = this.lineEnd();
      while (at < end && source.charCodeAt(at) === SPACE) at++;
      if (at === end) {
        blank++;
        this.nextLine();
        continue;
      }
      if (at - this.line <= parent) break;
      // A line that starts a comment, or what could be a node of its own, is refused here.
      const lineEnd = this.plainEnd(at, end);
      if (lineEnd < end) {
        let rest = lineEnd;
        while (source.charCodeAt(rest) === SPACE) rest++;
        if (rest < end) throw new NotQuick();
      }
      text += blank === 0 ? ' ' : '\n'.repeat(blank);
      text += source.slice(at, lineEnd);
      blank = 0;
      this.continued = true;
      this.nextLine();
    }
    // Blank lines read after the last line are not part of the scalar: the next line is read as if they were skipped.
    return text;
  }

  /** The end of a plain scalar in a block, trailing spaces left out. */
  private plainEnd(at: number, end: number): number {
    const { source } = this;
    if (this.cannotStartPlain(at, end, false)) throw new NotQuick();
    let stop = end;
    for (let i = at + 1; i < end; i++) {
      const c = source.charCodeAt(i);
      if (c === COLON) {
        // A key inside a value is an error to YAML.
        if (i + 1 === end || source.charCodeAt(i + 1) === SPACE) throw new NotQuick();
      } else if (c === HASH && source.charCodeAt(i - 1) === SPACE) {
        stop = i;
        break;
      }
    }
    while (source.charCodeAt(stop - 1) === SPACE) stop--;
    return stop;
  }

  /** The end of a quoted scalar on one line, its closing quote included. */
  private quotedEnd(at: number, end: number): number {
    const { source } = this;
    const quote = source.charCodeAt(at);
    for (let i = at + 1; i < end; i++) {
      const c = source.charCodeAt(i);
      if (c === quote) {
        if (quote === APOSTROPHE && source.charCodeAt(i + 1) === APOSTROPHE) i++;
        else return i + 1;
      } else if (c === BACKSLASH && quote === QUOTE) {
        i++;
      }
    }
    throw new NotQuick();
  }

  private quotedText(at: number, after: number): string {
    const text = this.source.slice(at + 1, after - 1);
    if (this.source.charCodeAt(at) === APOSTROPHE) return text.includes("''") ? text.replaceAll("''", "'") : text;
    return text.includes('\\') ? unescapeDoubleQuoted(text) : text;
  }

  /** Where the last node `flowNode` read ends. */
  private flowEnd = 0;

  /** A node inside brackets, on one line from `at`: a list, a mapping, or a scalar; it ends at `flowEnd`. */
  private flowNode(at: number, end: number, depth: number): unknown {
    const { source } = this;
    const c = source.charCodeAt(at);
    if (c === OPEN_BRACKET) return this.flowSequence(at, end, depth);
    if (c === OPEN_BRACE) return this.flowMapping(at, end, depth);
    if (c === QUOTE || c === APOSTROPHE) {
      this.flowEnd = this.quotedEnd(at, end);
      return this.quotedText(at, this.flowEnd);
    }
    if (this.cannotStartPlain(at, end, true)) throw new NotQuick();
    let stop = at + 1;
    for (; stop < end; stop++) {
      const d = source.charCodeAt(stop);
      if (d < 128 && flowIndicators[d]) break;
      // A colon could make a pair, and a hash a comment.
      if (d === COLON || (d === HASH && source.charCodeAt(stop - 1) === SPACE)) throw new NotQuick();
    }
    this.flowEnd = stop;
    while (source.charCodeAt(stop - 1) === SPACE) stop--;
    return resolvePlainScalar(source.slice(at, stop));
  }

  /** Where the first entry after the opening bracket at `at` starts, or -1 when the closing `close` follows at once. */
  private flowStart(at: number, close: number): number {
    const { source } = this;
    let i = at + 1;
    while (source.charCodeAt(i) === SPACE) i++;
    if (source.charCodeAt(i) !== close) return i;
    this.flowEnd = i + 1;
    return -1;
  }

  /** Moves past the spaces from `at`, then a comma or the closing `close`: where the next entry starts, or -1 after the closing one. */
  private flowSeparator(at: number, close: number): number {
    const { source } = this;
    while (source.charCodeAt(at) === SPACE) at++;
    const c = source.charCodeAt(at);
    if (c === close) {
      this.flowEnd = at + 1;
      return -1;
    }
    if (c !== COMMA) throw new NotQuick();
    at++;
    while (source.charCodeAt(at) === SPACE) at++;
    // An empty entry or a comma before the bracket: left to the events.
    if (source.charCodeAt(at) === COMMA || source.charCodeAt(at) === close) throw new NotQuick();
    return at;
  }

  /** A bracketed list on one line from `at`. */
  private flowSequence(at: number, end: number, depth: number): unknown[] {
    if (depth > quickDepth) throw new NotQuick();
    const list: unknown[] = [];
    for (let i = this.flowStart(at, CLOSE_BRACKET); i >= 0; ) {
      if (i >= end) throw new NotQuick();
      list.push(this.flowNode(i, end, depth + 1));
      i = this.flowSeparator(this.flowEnd, CLOSE_BRACKET);
    }
    return list;
  }

  /** A mapping in braces on one line from `at`, each key plain or quoted and followed by a colon and a space. */
  private flowMapping(at: number, end: number, depth: number): Record<string, unknown> {
    const { source } = this;
    if (depth > quickDepth) throw new NotQuick();
    const map: Record<string, unknown> = {};
    for (let i = this.flowStart(at, CLOSE_BRACE); i >= 0; ) {
      if (i >= end) throw new NotQuick();
      const c = source.charCodeAt(i);
      let key: unknown;
      let colon: number;
      if (c === QUOTE || c === APOSTROPHE) {
        colon = this.quotedEnd(i, end);
        key = this.quotedText(i, colon);
        while (source.charCodeAt(colon) === SPACE) colon++;
      } else {
        if (this.cannotStartPlain(i, end, true)) throw new NotQuick();
        colon = i + 1;
        for (; colon < end; colon++) {
          const d = source.charCodeAt(colon);
          if (d === COLON) break;
          if ((d < 128 && flowIndicators[d]) || (d === HASH && source.charCodeAt(colon - 1) === SPACE)) throw new NotQuick();
        }
        let keyEnd = colon;
        while (source.charCodeAt(keyEnd - 1) === SPACE) keyEnd--;
        key = resolvePlainScalar(source.slice(i, keyEnd));
      }
      // A key with no colon, or one not followed by a space (JSON's `"a":1`), is left to the events.
      if (source.charCodeAt(colon) !== COLON || source.charCodeAt(colon + 1) !== SPACE) throw new NotQuick();
      let valueAt = colon + 2;
      while (source.charCodeAt(valueAt) === SPACE) valueAt++;
      const name = objectKey(key, map);
      map[name] = this.flowNode(valueAt, end, depth + 1);
      i = this.flowSeparator(this.flowEnd, CLOSE_BRACE);
    }
    return map;
  }

  /**
   * A literal (`|`, `|-`) or folded (`>`, `>-`) block whose header is at
   * `at`, the value of a key in a mapping indented by `indent`. Its lines are
   * indented as its first one is; a folded block whose lines are indented
   * further, or a block that keeps its trailing blank lines, is left to the
   * events.
   */
  private blockScalar(at: number, end: number, indent: number): string {
    const { source } = this;
    const folded = source.charCodeAt(at) === GREATER;
    let header = at + 1;
    const strip = source.charCodeAt(header) === DASH;
    if (strip) header++;
    while (source.charCodeAt(header) === SPACE) header++;
    if (header < end) throw new NotQuick();
    this.nextLine();
    let first = this.line;
    while (source.charCodeAt(first) === SPACE) first++;
    const lines = first - this.line;
    // A block that is empty or starts with a blank line is left to the events.
    if (lines <= indent || first >= source.length || source.charCodeAt(first) === LF || source.charCodeAt(first) === CR) throw new NotQuick();
    let text = '';
    let blank = 0;
    let started = false;
    while (this.line < source.length) {
      let at = this.line;
      const lineEnd = this.lineEnd();
      while (at < lineEnd && source.charCodeAt(at) === SPACE) at++;
      if (at === lineEnd) {
        // Blank lines count only when more text follows; a blank line with spaces past the indentation is text.
        if (at - this.line > lines) throw new NotQuick();
        blank++;
      } else if (at - this.line < lines) {
        break;
      } else {
        if (folded && at - this.line > lines) throw new NotQuick();
        // Between two lines of a folded block, a line break is a space, and each blank line a line break.
        if (started) text += folded && blank === 0 ? ' ' : '\n'.repeat(folded ? blank : blank + 1);
        else if (blank > 0) throw new NotQuick();
        text += source.slice(this.line + lines, lineEnd);
        blank = 0;
        started = true;
      }
      this.nextLine();
    }
    return strip ? text : text + '\n';
  }
}
