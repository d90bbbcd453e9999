import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { DiagnosticBuilder } from './diagnostics';
import { LineMap } from './lineMap';
import type { CslItem, Person, Reference, Sidecar, SourceLocation } from './model';
import { resolvePath } from './paths';
import { DiagnosticCode, type Span } from './types';

const personFields = new Set(['name', 'aliases', 'born', 'died', 'description', 'bio', 'links', 'image', 'implicit']);
const topLevelFields = new Set(['people', 'references', 'bibliography']);
/** Keys that would reach an object's prototype if copied naively. */
const unsafeKeys = new Set(['__proto__', 'constructor', 'prototype']);

function nodeSpan(node: Node | null | undefined, fallback: Span): Span {
  const range = node?.range;
  return range ? { start: range[0], end: range[1] } : fallback;
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;
}

/** A YAML value as plain data, without prototype keys, for CSL items. */
function plainValue(node: unknown, doc: Document, depth = 0): unknown {
  if (depth > 64) return undefined;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((item) => plainValue(item, doc, depth + 1));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = scalarText(pair.key) ?? (isScalar(pair.key) ? String(pair.key.value) : undefined);
      if (key === undefined || unsafeKeys.has(key)) continue;
      out[key] = plainValue(pair.value, doc, depth + 1);
    }
    return out;
  }
  return undefined;
}

/**
 * Reads one sidecar. The `yaml` package keeps every node's position, so each
 * diagnostic lands on the line that caused it, and the document stays editable
 * with comments intact.
 */
export function parseSidecar(uri: string, text: string): Sidecar {
  const lines = new LineMap(text);
  const diagnostics = new DiagnosticBuilder(uri, lines);
  const whole: Span = { start: 0, end: Math.min(text.length, lines.lineCount > 1 ? lines.lineStart(1) : text.length) };
  const people: Person[] = [];
  const references: Reference[] = [];
  const bibliographies: { uri: string; span: Span }[] = [];
  let valid = true;

  let doc: Document;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true });
  } catch (error) {
    diagnostics.add(DiagnosticCode.YamlSyntax, `The sidecar could not be read as YAML: ${(error as Error).message}`, whole);
    return { uri, people, references, bibliographies, diagnostics: diagnostics.list, valid: false };
  }
  for (const error of doc.errors) {
    valid = false;
    const [start, end] = error.pos;
    diagnostics.add(DiagnosticCode.YamlSyntax, firstLine(error.message), { start, end: Math.max(end, start) });
  }
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
    const value = pair.value as Node | null;
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
      const person = readPerson(key, keySpan, entry.value as Node | null);
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
      fields.set(name, field);
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
        for (const item of value.items) {
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
          const label = scalarText(link.key);
          const url = scalarText(link.value);
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
    const value = pair.value as Node | null;
    if (value === null || (isScalar(value) && value.value === null)) return;
    if (!isSeq(value)) {
      diagnostics.add(DiagnosticCode.InvalidValue, '"references" must be a list of CSL items.', nodeSpan(value, whole));
      return;
    }
    const seen = new Set<string>();
    for (const itemNode of value.items) {
      const span = nodeSpan(itemNode as Node, whole);
      if (!isMap(itemNode)) {
        diagnostics.add(DiagnosticCode.InvalidValue, 'Each reference must be a mapping (a CSL item).', span);
        continue;
      }
      const idPair = itemNode.items.find((p) => scalarText(p.key) === 'id');
      const id = idPair ? scalarText(idPair.value)?.trim() : undefined;
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
      const item = { ...(plainValue(itemNode, doc) as Record<string, unknown>), id } as CslItem;
      references.push({ id, item, source: location(idSpan) });
    }
  }

  function readBibliography(pair: Pair): void {
    const value = pair.value as Node | null;
    const paths = isSeq(value) ? value.items : [value];
    for (const item of paths) {
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
