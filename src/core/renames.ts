import type { AnnotationIndex } from './annotationIndex';
import { isAlphaNum } from './chars';
import { findAt } from './lookup';
import type { Person, Reference, Registry } from './model';
import type { Span } from './types';

/** One replacement in one text: `span` is in that text's UTF-16 offsets. */
export interface TextReplacement {
  readonly span: Span;
  readonly newText: string;
}

/**
 * What a rename at some position would rename, and the span the editor shows
 * as being renamed. From an implicit mention that span is the name, although
 * the rename changes the key: the name itself comes from the sidecar.
 */
export type RenameTarget =
  | { readonly kind: 'person'; readonly key: string; readonly span: Span }
  | { readonly kind: 'reference'; readonly key: string; readonly span: Span }
  | { readonly kind: 'footnote'; readonly label: string; readonly footnote: number; readonly span: Span };

/** Why nothing at a position can be renamed. */
export type RenameRefusal = 'nothing' | 'unknown-person' | 'ambiguous-name' | 'unknown-reference' | 'inline-footnote';

/** Why a new key or label cannot be used. */
export type NameProblem = 'empty' | 'whitespace' | 'forbidden-character' | 'unchanged' | 'exists';

/** The person key, citation key or footnote label at `offset`, or why there is none to rename. */
export function renameTargetAt(index: AnnotationIndex, offset: number): RenameTarget | { readonly refused: RenameRefusal } {
  const found = findAt(index, offset);
  if (!found) return { refused: 'nothing' };
  switch (found.kind) {
    case 'mention': {
      const { mention } = found;
      if (mention.person === null) return { refused: mention.explicit ? 'unknown-person' : 'ambiguous-name' };
      return { kind: 'person', key: mention.person, span: mention.keySpan ?? mention.span };
    }
    case 'citation': {
      const item = found.item;
      if (!item) return { refused: 'nothing' };
      if (!index.registry.references.has(item.key)) return { refused: 'unknown-reference' };
      return { kind: 'reference', key: item.key, span: item.keySpan };
    }
    case 'footnoteRef':
    case 'footnoteDefinition': {
      if (found.footnote.inline) return { refused: 'inline-footnote' };
      return { kind: 'footnote', label: found.footnote.label, footnote: found.index, span: labelInside(found.span) };
    }
  }
}

/** `[^label]` → the span of `label`. */
function labelInside(bracketed: Span): Span {
  return { start: bracketed.start + 2, end: bracketed.end - 1 };
}

/** A person or reference, found where a sidecar or bibliography defines it. */
export type DefinedEntry = { readonly kind: 'person'; readonly person: Person } | { readonly kind: 'reference'; readonly reference: Reference };

/** The person or reference whose key is written at `offset` in the sidecar or bibliography `uri` (ends inclusive, as a cursor sees them). */
export function entryDefinedAt(registry: Registry, uri: string, offset: number): DefinedEntry | undefined {
  const holds = (span: Span): boolean => span.start <= offset && offset <= span.end;
  for (const person of registry.people.values()) if (person.source.uri === uri && holds(person.source.span)) return { kind: 'person', person };
  for (const reference of registry.references.values()) if (reference.source.uri === uri && holds(reference.source.span)) return { kind: 'reference', reference };
  return undefined;
}

const whitespace = /\s/u;

/** A person key must survive inside `[[key|shown]]`. */
export function personKeyProblem(newKey: string): NameProblem | undefined {
  if (newKey === '') return 'empty';
  if (whitespace.test(newKey)) return 'whitespace';
  if (/[[\]|]/.test(newKey)) return 'forbidden-character';
  return undefined;
}

/** Any key can be written as `@{key}`, except one with whitespace or braces, which Pandoc would not read back. */
export function citationKeyProblem(newKey: string): NameProblem | undefined {
  if (newKey === '') return 'empty';
  if (whitespace.test(newKey)) return 'whitespace';
  if (/[{}]/.test(newKey)) return 'forbidden-character';
  return undefined;
}

/** Pandoc's footnote labels end at the first `]` or whitespace. */
export function footnoteLabelProblem(newLabel: string): NameProblem | undefined {
  if (newLabel === '') return 'empty';
  if (whitespace.test(newLabel)) return 'whitespace';
  if (/[[\]^]/.test(newLabel)) return 'forbidden-character';
  return undefined;
}

const citeKeyPunctuation = ':.#$%&-+?<>~/';

function isKeyChar(c: number | undefined): boolean {
  return c !== undefined && (c === 0x5f || isAlphaNum(c));
}

/**
 * Whether Pandoc reads `@key` whole, without braces: it starts with a letter,
 * digit or `_`, and punctuation may only stand between key characters (so a
 * trailing `.` ends the sentence, not the key).
 */
export function isSimpleCitationKey(key: string): boolean {
  const chars = [...key].map((c) => c.codePointAt(0) ?? 0);
  if (chars.length === 0 || !isKeyChar(chars[0])) return false;
  for (let i = 1; i < chars.length; i++) {
    if (isKeyChar(chars[i])) continue;
    if (citeKeyPunctuation.includes(String.fromCodePoint(chars[i])) && isKeyChar(chars[i + 1])) continue;
    return false;
  }
  return true;
}

/** The explicit mentions `[[oldKey…]]` of a text, rewritten to `newKey`. Implicit mentions show names, not keys. */
export function personKeyReplacements(index: AnnotationIndex, oldKey: string, newKey: string): TextReplacement[] {
  return index.mentions
    .filter((m) => m.explicit && m.keySpan !== null && (m.person ?? m.writtenKey) === oldKey)
    .map((m) => ({ span: m.keySpan as Span, newText: newKey }));
}

/** Every citation of `oldKey` in a text, rewritten to `newKey`; a key Pandoc would cut short is written `@{…}`. */
export function citationKeyReplacements(index: AnnotationIndex, oldKey: string, newKey: string): TextReplacement[] {
  const simple = isSimpleCitationKey(newKey);
  const replacements: TextReplacement[] = [];
  for (const citation of index.citations) {
    for (const item of citation.items) {
      if (item.key !== oldKey) continue;
      const braced = index.text.charAt(item.keySpan.start - 1) === '{' && index.text.charAt(item.keySpan.end) === '}';
      replacements.push({ span: item.keySpan, newText: braced || simple ? newKey : `{${newKey}}` });
    }
  }
  return replacements;
}

/** The labels of a footnote's references and of every definition of it (Pandoc warns about, but keeps, the extra ones). */
export function footnoteLabelReplacements(index: AnnotationIndex, footnote: number, newLabel: string): TextReplacement[] {
  const note = index.footnotes[footnote];
  if (!note || note.inline) return [];
  const replacements: TextReplacement[] = index.footnoteRefs.filter((r) => r.footnote === footnote).map((r) => ({ span: r.labelSpan, newText: newLabel }));
  const marker = `[^${note.label}]`;
  for (const definition of note.definitions) {
    if (index.text.startsWith(marker, definition.start)) {
      replacements.push({ span: { start: definition.start + 2, end: definition.start + 2 + note.label.length }, newText: newLabel });
    }
  }
  return replacements.sort((a, b) => a.span.start - b.span.start);
}

// YAML 1.1 readers take these plain scalars for booleans or null, so such a key must be quoted.
const yamlReserved = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
const yamlPlainKey = /^[\p{L}\p{N}_][\p{L}\p{N}_.\-]*$/u;

/**
 * The text that replaces a key where a sidecar or bibliography defines it.
 * `written` is the old key exactly as it stands there (the span of
 * `Person.source` / `Reference.source`): a YAML plain, single- or
 * double-quoted scalar, or, in a CSL-JSON file, the inside of a JSON string.
 * The quoting style is kept where it can hold the new key.
 */
export function definitionKeyText(written: string, newKey: string, inJsonString: boolean): string {
  if (inJsonString) return JSON.stringify(newKey).slice(1, -1);
  if (written.startsWith("'")) return `'${newKey.replace(/'/g, "''")}'`;
  if (written.startsWith('"')) return JSON.stringify(newKey);
  if (yamlPlainKey.test(newKey) && !yamlReserved.test(newKey) && !/^[\p{N}.\-]+$/u.test(newKey)) return newKey;
  return JSON.stringify(newKey);
}

/** Whether `written` (a YAML scalar or JSON string content as it stands in the file) spells `key`. */
export function definitionSpells(written: string, key: string, inJsonString: boolean): boolean {
  if (inJsonString) {
    try {
      return JSON.parse(`"${written}"`) === key;
    } catch {
      return false;
    }
  }
  if (written.startsWith("'") && written.endsWith("'")) return written.slice(1, -1).replace(/''/g, "'") === key;
  if (written.startsWith('"') && written.endsWith('"')) {
    try {
      return JSON.parse(written) === key;
    } catch {
      return false;
    }
  }
  return written.trim() === key;
}
