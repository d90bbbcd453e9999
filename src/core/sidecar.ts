import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { DiagnosticBuilder } from './diagnostics';
import { LineMap } from './lineMap';
import type { CslItem, Person, Reference, Sidecar, SourceLocation } from './model';
import { resolvePath } from './paths';
import { DiagnosticCode, type Diagnostic, type Span } from './types';

const personFields = new Set(['name', 'aliases', 'born', 'died', 'description', 'bio', 'links', 'image', 'implicit']);
const topLevelFields = new Set(['people', 'references', 'bibliography']);
/** Keys that would reach an object's prototype if copied naively. */
const unsafeKeys = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Bounds on what one sidecar may cost. A real sidecar uses a handful of
 * aliases, nests a few levels and has a few errors; far past these it is an
 * attack (an alias bomb, 20,000 nested brackets) or not a sidecar at all.
 */
export const sidecarLimits = {
  /** Alias uses followed while reading; each `*a` copies its anchor's value. */
  aliases: 1000,
  /** YAML values copied into CSL items, counting every copy an alias makes. */
  values: 100_000,
  /** Levels of nesting in a CSL item's value. */
  depth: 64,
  /** Flow brackets `[` `{` open at once; the YAML parser recurses once per level. */
  flowDepth: 500,
  /** Diagnostics reported for one sidecar. */
  diagnostics: 1000,
};

/**
 * Where flow brackets first nest deeper than `max`, or -1. Quotes are not
 * tracked: an apostrophe in a plain scalar would throw that off, and only a
 * hostile file has hundreds of unclosed brackets anyway.
 */
function flowDepthExceeded(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return -1;
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

/** Anchored nodes by name, in document order, found without recursion so a deep document cannot overflow the stack. */
function anchorsOf(root: unknown): Map<string, Node[]> {
  const anchors = new Map<string, Node[]>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) continue;
    if (node.anchor) {
      const list = anchors.get(node.anchor);
      if (list) list.push(node);
      else anchors.set(node.anchor, [node]);
    }
    if (isMap(node) || isSeq(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
  }
  for (const list of anchors.values()) list.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
  return anchors;
}

function nodeSpan(node: Node | null | undefined, fallback: Span): Span {
  const range = node?.range;
  return range ? { start: range[0], end: range[1] } : fallback;
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
}

/**
 * Reads one sidecar. The `yaml` package keeps every node's position, so each
 * diagnostic lands on the line that caused it, and the document stays editable
 * with comments intact.
 */
export function parseSidecar(uri: string, text: string): Sidecar {
  const lines = new LineMap(text);
  const diagnostics = new CappedDiagnostics(uri, lines);
  const whole: Span = { start: 0, end: Math.min(text.length, lines.lineCount > 1 ? lines.lineStart(1) : text.length) };
  const people: Person[] = [];
  const references: Reference[] = [];
  const bibliographies: { uri: string; span: Span }[] = [];
  let valid = true;

  const tooDeep = flowDepthExceeded(text, sidecarLimits.flowDepth);
  if (tooDeep >= 0) {
    diagnostics.add(DiagnosticCode.LimitReached, `Brackets here nest more than ${sidecarLimits.flowDepth} levels deep, so this sidecar is not read.`, { start: tooDeep, end: tooDeep + 1 });
    return { uri, people, references, bibliographies, diagnostics: diagnostics.list, valid: false };
  }
  let doc: Document;
  try {
    // Aliases are followed by hand below, with a budget; toJS, which expands them all, is never called.
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true, logLevel: 'silent' });
  } catch (error) {
    diagnostics.add(DiagnosticCode.YamlSyntax, `The sidecar could not be read as YAML: ${(error as Error).message}`, whole);
    return { uri, people, references, bibliographies, diagnostics: diagnostics.list, valid: false };
  }
  // The parser may place an error at the end of input, one past the last character.
  const clamp = ([start, end]: [number, number]): Span => {
    const from = Math.min(Math.max(0, start), text.length);
    return { start: from, end: Math.min(Math.max(from, end), text.length) };
  };
  for (const error of doc.errors) {
    valid = false;
    const { start, end } = clamp(error.pos);
    const message = error.code === 'RESOURCE_EXHAUSTION' ? 'This YAML is nested too deeply to be read.' : firstLine(error.message);
    diagnostics.add(DiagnosticCode.YamlSyntax, message, { start, end });
  }
  for (const warning of doc.warnings) {
    const { start, end } = clamp(warning.pos);
    // An unknown tag such as !!js/function only names a type: the value is read as plain data, and nothing runs.
    const message = warning.code === 'TAG_RESOLVE_FAILED' ? `Unknown tag ${text.slice(start, end)}: the tag is ignored, and the value read as plain data.` : firstLine(warning.message);
    diagnostics.addWithSeverity('warning', DiagnosticCode.YamlSyntax, message, { start, end });
  }

  let anchors: Map<string, Node[]> | undefined;
  let aliasesFollowed = 0;
  let valuesCopied = 0;
  const reported = new Set<string>();
  const limitReached = (what: string, message: string, span: Span): void => {
    valid = false;
    if (reported.has(what)) return;
    reported.add(what);
    diagnostics.add(DiagnosticCode.LimitReached, message, span);
  };
  /** The node an alias stands for, within the alias budget; other nodes as they are. */
  const deref = (node: unknown): unknown => {
    if (!isAlias(node)) return node;
    if (++aliasesFollowed > sidecarLimits.aliases) {
      limitReached('aliases', `More than ${sidecarLimits.aliases} aliases are used in this sidecar; the rest are not followed.`, nodeSpan(node, whole));
      return null;
    }
    anchors ??= anchorsOf(doc.contents);
    const at = node.range?.[0] ?? Number.MAX_SAFE_INTEGER;
    // YAML: an alias refers to the most recent anchor of that name before it.
    const target = (anchors.get(node.source) ?? []).filter((n) => (n.range?.[0] ?? 0) < at).pop();
    if (!target) diagnostics.add(DiagnosticCode.YamlSyntax, `Unknown alias *${node.source}: no anchor &${node.source} before it.`, nodeSpan(node, whole));
    return target ?? null;
  };
  /** A YAML value as plain data, without prototype keys, for CSL items. */
  const plainValue = (raw: unknown, depth = 0): unknown => {
    const node = deref(raw);
    if (++valuesCopied > sidecarLimits.values) {
      limitReached('values', `This sidecar expands to more than ${sidecarLimits.values} values; the rest are left out.`, nodeSpan(raw as Node, whole));
      return undefined;
    }
    if (depth > sidecarLimits.depth) {
      limitReached('depth', `A reference nests more than ${sidecarLimits.depth} levels deep; the deeper values are left out.`, nodeSpan(raw as Node, whole));
      return undefined;
    }
    if (isScalar(node)) return node.value;
    if (isSeq(node)) return node.items.map((item) => plainValue(item, depth + 1));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = deref(pair.key);
        const key = scalarText(keyNode) ?? (isScalar(keyNode) ? String(keyNode.value) : undefined);
        if (key === undefined || unsafeKeys.has(key)) continue;
        out[key] = plainValue(pair.value, depth + 1);
      }
      return out;
    }
    return undefined;
  };

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    return { uri, people, references, bibliographies, diagnostics: diagnostics.list, valid };
  }
  if (!isMap(root)) {
    diagnostics.add(DiagnosticCode.InvalidValue, 'A sidecar must be a mapping with the keys people, references and bibliography.', nodeSpan(root, whole));
    return { uri, people, references, bibliographies, diagnostics: diagnostics.list, valid: false };
  }

  const location = (span: Span): SourceLocation => ({ uri, span, line: lines.lineAt(span.start) });
  const seenTop = new Set<string>();
  for (const pair of root.items) {
    const key = scalarText(pair.key);
    const keySpan = nodeSpan(pair.key as Node, whole);
    if (key === undefined) continue;
    if (seenTop.has(key)) {
      diagnostics.add(DiagnosticCode.DuplicateKey, `"${key}" is defined twice in this sidecar; the first definition is used.`, keySpan);
      continue;
    }
    seenTop.add(key);
    if (!topLevelFields.has(key)) {
      diagnostics.add(DiagnosticCode.UnknownField, `Unknown sidecar key "${key}": expected people, references or bibliography.`, keySpan);
      continue;
    }
    if (key === 'people') readPeople(pair);
    else if (key === 'references') readReferences(pair);
    else readBibliography(pair);
  }
  return { uri, people, references, bibliographies, diagnostics: diagnostics.list, valid };

  function readPeople(pair: Pair): void {
    const value = deref(pair.value) as Node | null;
    if (value === null || (isScalar(value) && value.value === null)) return;
    if (!isMap(value)) {
      diagnostics.add(DiagnosticCode.InvalidValue, '"people" must map each key to a person.', nodeSpan(value, whole));
      return;
    }
    const seen = new Set<string>();
    for (const entry of value.items) {
      const key = scalarText(entry.key);
      const keySpan = nodeSpan(entry.key as Node, whole);
      if (key === undefined || key.trim() === '') {
        diagnostics.add(DiagnosticCode.InvalidValue, 'A person key must be text.', keySpan);
        continue;
      }
      if (seen.has(key)) {
        diagnostics.add(DiagnosticCode.DuplicateKey, `Person "${key}" is defined twice; the first definition is used.`, keySpan);
        continue;
      }
      seen.add(key);
      const person = readPerson(key, keySpan, deref(entry.value) as Node | null);
      if (person) people.push(person);
    }
  }

  function readPerson(key: string, keySpan: Span, node: Node | null): Person | null {
    if (!isMap(node)) {
      diagnostics.add(DiagnosticCode.InvalidValue, `Person "${key}" must be a mapping with at least a name.`, nodeSpan(node, keySpan));
      return null;
    }
    const fields = new Map<string, Pair>();
    for (const field of (node).items) {
      const name = scalarText(field.key);
      if (name === undefined) continue;
      if (!personFields.has(name)) {
        diagnostics.add(DiagnosticCode.UnknownField, `Unknown field "${name}" for person "${key}". Known fields: ${[...personFields].join(', ')}.`, nodeSpan(field.key as Node, keySpan));
        continue;
      }
      if (fields.has(name)) {
        diagnostics.add(DiagnosticCode.DuplicateKey, `Field "${name}" is given twice for person "${key}"; the first is used.`, nodeSpan(field.key as Node, keySpan));
        continue;
      }
      fields.set(name, { ...field, value: deref(field.value) } as Pair);
    }
    const text = (field: string, kind = 'text'): string | undefined => {
      const pair = fields.get(field);
      if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return undefined;
      const value = pair.value as Node;
      if (isScalar(value) && typeof value.value === 'string') return value.value;
      if (isScalar(value) && typeof value.value === 'number' && field !== 'name') return String(value.value);
      diagnostics.add(DiagnosticCode.InvalidValue, `"${field}" of person "${key}" must be ${kind}.`, nodeSpan(value, keySpan));
      return undefined;
    };
    const name = text('name');
    if (name === undefined || name.trim() === '') {
      if (!fields.has('name')) diagnostics.add(DiagnosticCode.PersonWithoutName, `Person "${key}" has no name.`, keySpan);
      else if (name !== undefined) diagnostics.add(DiagnosticCode.PersonWithoutName, `Person "${key}" has an empty name.`, keySpan);
      return null;
    }
    const aliases: string[] = [];
    const aliasPair = fields.get('aliases');
    if (aliasPair && aliasPair.value !== null && !(isScalar(aliasPair.value) && aliasPair.value.value === null)) {
      const value = aliasPair.value as Node;
      if (isSeq(value)) {
        for (const raw of value.items) {
          const item = deref(raw);
          const alias = scalarText(item);
          if (alias === undefined || alias.trim() === '') diagnostics.add(DiagnosticCode.InvalidValue, `Each alias of person "${key}" must be text.`, nodeSpan(item as Node, keySpan));
          else aliases.push(alias.trim());
        }
      } else {
        diagnostics.add(DiagnosticCode.InvalidValue, `"aliases" of person "${key}" must be a list, for example [Lenin, Ульянов].`, nodeSpan(value, keySpan));
      }
    }
    const links: { label: string; url: string }[] = [];
    const linkPair = fields.get('links');
    if (linkPair && linkPair.value !== null && !(isScalar(linkPair.value) && linkPair.value.value === null)) {
      const value = linkPair.value as Node;
      if (isMap(value)) {
        for (const link of value.items) {
          const label = scalarText(deref(link.key));
          const url = scalarText(deref(link.value));
          if (label === undefined || url === undefined) diagnostics.add(DiagnosticCode.InvalidValue, `Each link of person "${key}" must be "label: URL".`, nodeSpan(link.key as Node, keySpan));
          else links.push({ label, url });
        }
      } else {
        diagnostics.add(DiagnosticCode.InvalidValue, `"links" of person "${key}" must map labels to URLs.`, nodeSpan(value, keySpan));
      }
    }
    let implicit = true;
    const implicitPair = fields.get('implicit');
    if (implicitPair) {
      const value = implicitPair.value as Node | null;
      if (isScalar(value) && typeof value.value === 'boolean') implicit = value.value;
      else diagnostics.add(DiagnosticCode.InvalidValue, `"implicit" of person "${key}" must be true or false.`, nodeSpan(value, keySpan));
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
      source: location(keySpan),
    };
  }

  function readReferences(pair: Pair): void {
    const value = deref(pair.value) as Node | null;
    if (value === null || (isScalar(value) && value.value === null)) return;
    if (!isSeq(value)) {
      diagnostics.add(DiagnosticCode.InvalidValue, '"references" must be a list of CSL items.', nodeSpan(value, whole));
      return;
    }
    const seen = new Set<string>();
    for (const rawItem of value.items) {
      const span = nodeSpan(rawItem as Node, whole);
      const itemNode = deref(rawItem);
      if (!isMap(itemNode)) {
        diagnostics.add(DiagnosticCode.InvalidValue, 'Each reference must be a mapping (a CSL item).', span);
        continue;
      }
      const idPair = itemNode.items.find((p) => scalarText(p.key) === 'id');
      const id = idPair ? scalarText(deref(idPair.value))?.trim() : undefined;
      if (!idPair || id === undefined || id === '') {
        diagnostics.add(DiagnosticCode.ReferenceWithoutId, 'This reference has no id, so it cannot be cited.', span);
        continue;
      }
      const idSpan = nodeSpan(idPair.value as Node, span);
      if (seen.has(id)) {
        diagnostics.add(DiagnosticCode.DuplicateKey, `Reference "${id}" is defined twice; the first definition is used.`, idSpan);
        continue;
      }
      seen.add(id);
      const item = { ...(plainValue(itemNode) as Record<string, unknown>), id } as CslItem;
      references.push({ id, item, source: location(idSpan) });
    }
  }

  function readBibliography(pair: Pair): void {
    const value = deref(pair.value) as Node | null;
    const paths = isSeq(value) ? value.items : [value];
    for (const raw of paths) {
      const item = deref(raw);
      const path = scalarText(item);
      if (path === undefined || path.trim() === '') {
        diagnostics.add(DiagnosticCode.InvalidValue, '"bibliography" must be a path or a list of paths.', nodeSpan(item as Node, whole));
        continue;
      }
      bibliographies.push({ uri: resolvePath(uri, path.trim()), span: nodeSpan(item as Node, whole) });
    }
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
