import { isMap, isScalar, parseDocument, type Document, type Pair } from 'yaml';
import type { AnnotationIndex } from './annotationIndex';
import { pathList } from './frontMatter';
import type { CslItem, Person, Registry } from './model';
import { resolvePath, siblingUri, stemOf } from './paths';
import { personKeyProblem, type NameProblem } from './renames';
import type { Citation, Footnote, Span } from './types';

/**
 * The texts the editing commands insert, computed without the editor so that
 * they can be tested in plain Node. Each function returns edits as offset
 * spans in the text it was given; the extension turns them into one
 * WorkspaceEdit, so one undo restores the text.
 */

/** Replace `span` of the original text with `text`. Spans of one batch never overlap. */
export interface TextEdit {
  readonly span: Span;
  readonly text: string;
}

// Pandoc reads a bare key as letters, digits and `_`, with single internal punctuation from this set.
const bareCitationKey = /^[\p{L}\p{N}_](?:[\p{L}\p{N}_]|[:.#$%&\-+?<>~/](?=[\p{L}\p{N}_]))*$/u;

/** `@key`, or `@{key}` when Pandoc would not read the key bare. */
export function citationKeyText(key: string): string {
  return bareCitationKey.test(key) ? `@${key}` : `@{${key}}`;
}

/** The items of a citation without brackets: `@a; @b, p. 229`. The locator goes after the last key. */
export function citationItemsText(keys: readonly string[], locator = ''): string {
  const trimmed = locator.trim();
  return keys.map(citationKeyText).join('; ') + (trimmed ? `, ${trimmed}` : '');
}

/** `[@key, p. 229]` or `[@a; @b]`. */
export function citationText(keys: readonly string[], locator = ''): string {
  return `[${citationItemsText(keys, locator)}]`;
}

/** The bracketed citation (not `@key` in running text) whose brackets enclose the whole span, if any. */
export function bracketedCitationAround(index: AnnotationIndex, span: Span): Citation | undefined {
  // Strictly inside: a cursor just before `[` or just after `]` is outside the citation.
  return index.citations.find((c) => !c.inText && c.span.start < span.start && span.end < c.span.end);
}

/**
 * Where and what to insert for a citation of `keys` at the selection: inside an
 * existing bracketed citation, `; @key` before its closing bracket (the selection
 * is kept); elsewhere a new citation replacing the selection.
 */
export function citationInsertion(index: AnnotationIndex, selection: Span, keys: readonly string[], locator = ''): TextEdit {
  const around = bracketedCitationAround(index, selection);
  if (around) {
    const close = around.span.end - 1;
    return { span: { start: close, end: close }, text: `; ${citationItemsText(keys, locator)}` };
  }
  return { span: selection, text: citationText(keys, locator) };
}

/** 1 + the largest numeric label among the footnotes, so `[^1]`, `[^2]`, `[^note]` give 3. */
export function nextFootnoteNumber(footnotes: readonly Pick<Footnote, 'label' | 'inline'>[]): number {
  let max = 0;
  for (const note of footnotes) {
    if (note.inline || !/^\d+$/.test(note.label)) continue;
    max = Math.max(max, Number(note.label));
  }
  return max + 1;
}

/** The document's line break: CRLF when the text already uses it. */
export function lineBreakOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * A footnote `[^label]` at `offset` and its definition `[^label]: ` at the end of
 * the text, after a blank line and followed by one line break. `cursor` is the
 * offset, in the edited text, of the end of the definition line, where the note
 * is written.
 */
export function footnoteInsertion(text: string, offset: number, label: string): { edits: TextEdit[]; cursor: number } {
  const eol = lineBreakOf(text);
  const reference = `[^${label}]`;
  const definition = `[^${label}]: `;
  // Only trailing line breaks are replaced: nothing else the user wrote is touched.
  let tail = text.length;
  while (tail > 0 && (text[tail - 1] === '\n' || text[tail - 1] === '\r')) tail--;
  const tailStart = Math.max(tail, offset);
  // The definition always follows a blank line: after the text, or after the new reference when the cursor is at the end.
  const block = eol + eol + definition + eol;
  const cursor = tailStart + reference.length + block.length - eol.length;
  if (offset === tailStart) return { edits: [{ span: { start: offset, end: text.length }, text: reference + block }], cursor };
  const edits: TextEdit[] = [
    { span: { start: offset, end: offset }, text: reference },
    { span: { start: tailStart, end: text.length }, text: block },
  ];
  return { edits, cursor };
}

/** Applies non-overlapping edits to a text, for tests and for previews. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  // From the end backwards, so earlier offsets stay valid; edits at one offset keep their given order.
  const sorted = edits.map((edit, order) => ({ edit, order })).sort((a, b) => b.edit.span.start - a.edit.span.start || b.order - a.order);
  let out = text;
  for (const { edit } of sorted) out = out.slice(0, edit.span.start) + edit.text + out.slice(edit.span.end);
  return out;
}

// A small table so that keys from Cyrillic names stay readable: "Ленин" → "lenin".
const cyrillic: Readonly<Record<string, string>> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'i', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o',
  п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu',
  я: 'ya', і: 'i', ї: 'yi', є: 'ye', ґ: 'g',
};

/** Lowercase ASCII: accents dropped ("Avakumović" → "avakumovic"), Cyrillic transliterated, other characters removed. */
export function asciiFold(text: string): string {
  const folded = [...text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()].map((c) => cyrillic[c] ?? c).join('');
  return folded
    .replace(/[ßæœøłđ]/g, (c) => ({ ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd' })[c] ?? c)
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * A key for a new person: the folded last name ("Vladimir Bonch-Bruevich" →
 * "bonch-bruevich"; "Kropotkin, Peter" → "kropotkin"), made unique against the
 * existing keys by trying the first name too, then a number.
 */
export function personKeyFromName(name: string, existing: Iterable<string>): string {
  const taken = new Set(existing);
  const clean = name.replace(/\s+/g, ' ').trim();
  const comma = clean.indexOf(',');
  const words = (comma > 0 ? clean.slice(0, comma) : clean).split(' ').map(asciiFold).filter(Boolean);
  const last = words[words.length - 1] ?? '';
  const first = comma > 0 ? asciiFold(clean.slice(comma + 1).trim().split(' ')[0] ?? '') : words.length > 1 ? words[0] : '';
  const base = last || 'person';
  if (!taken.has(base)) return base;
  if (first && !taken.has(`${first}-${base}`)) return `${first}-${base}`;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** Why a key cannot name a new person (the rules of `[[key]]`, and not taken), or undefined when it can. */
export function newPersonKeyProblem(key: string, existing: Iterable<string>): NameProblem | undefined {
  const problem = personKeyProblem(key);
  if (problem) return problem;
  for (const other of existing) if (other === key) return 'exists';
  return undefined;
}

/** Runs of whitespace, line breaks included, as one space: how a name is compared with the text. */
export function normalizeSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The span without leading and trailing whitespace (a triple-click selects the line break too). */
export function trimSpan(text: string, span: Span): Span {
  let { start, end } = span;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return { start, end };
}

export type SelectionProblem = 'empty' | 'paragraph-break' | 'bracket';

/** Why a selection cannot become a person mention, or undefined when it can. */
export function mentionSelectionProblem(selected: string): SelectionProblem | undefined {
  if (selected.trim() === '') return 'empty';
  // A blank line ends a paragraph, and a mention cannot span paragraphs.
  if (/\n[ \t]*\r?\n/.test(selected)) return 'paragraph-break';
  // The shown text of `[[key|text]]` cannot contain brackets.
  if (/[[\]]/.test(selected)) return 'bracket';
  return undefined;
}

/**
 * Does the selection overlap an explicit mention, a citation or a footnote
 * marker? Wrapping part of one in `[[…]]` would break both.
 */
export function selectionOverlapsMarkup(index: Pick<AnnotationIndex, 'mentions' | 'citations' | 'footnoteRefs'>, span: Span): boolean {
  const overlaps = (other: Span): boolean => other.start < span.end && span.start < other.end;
  return (
    index.mentions.some((m) => m.explicit && overlaps(m.span)) ||
    index.citations.some((c) => overlaps(c.span)) ||
    index.footnoteRefs.some((r) => overlaps(r.span))
  );
}

/**
 * Would the text already be found as an implicit mention of this person? Only
 * when implicit mentions are on, the person allows them, the text is the name or
 * an alias, and no other person claims the same name (a shared name matches no one).
 */
export function isImplicitMentionOf(
  selected: string,
  person: Pick<Person, 'key' | 'name' | 'aliases' | 'implicit'>,
  registry: Pick<Registry, 'names'>,
  implicitMentions: boolean,
): boolean {
  if (!implicitMentions || !person.implicit) return false;
  const text = normalizeSpaces(selected);
  if (text !== person.name && !person.aliases.includes(text)) return false;
  const claims = registry.names.get(text) ?? [];
  return claims.every((key) => key === person.key);
}

/**
 * The explicit mention for a selection: `[[key]]` when the text is the key,
 * otherwise `[[key|text]]`. The parser reads `[[…]]` on one line, so a line
 * break inside the shown text becomes a space.
 */
export function mentionText(selected: string, key: string): string {
  const text = normalizeSpaces(selected);
  return text === key ? `[[${key}]]` : `[[${key}|${text}]]`;
}

/** A person to add to a sidecar: the fields the commands know, in the order a reader expects. */
export interface NewPerson {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly description?: string;
}

export type AppendPersonResult =
  | { readonly ok: true; readonly text: string; readonly edit: TextEdit }
  | { readonly ok: false; readonly reason: 'invalid-yaml' | 'not-a-mapping' | 'people-not-a-mapping' | 'taken' };

const yamlOutput = { lineWidth: 0, flowCollectionPadding: false } as const;

/**
 * Adds a person under `people` (creating `people:` if absent), through the
 * `yaml` Document API so comments, quoting and layout survive. The edit is the
 * smallest span that differs, usually a pure insertion.
 */
export function appendPerson(sidecarText: string, key: string, person: NewPerson): AppendPersonResult {
  const doc: Document = parseDocument(sidecarText);
  // Rewriting a file that does not parse could lose what the user is typing.
  if (doc.errors.length > 0) return { ok: false, reason: 'invalid-yaml' };
  const value: Record<string, unknown> = { name: person.name };
  if (person.aliases && person.aliases.length > 0) value.aliases = [...person.aliases];
  if (person.description) value.description = person.description;

  const root = doc.contents;
  const emptyRoot = root === null || (isScalar(root) && (root.value === null || root.value === ''));
  if (!emptyRoot && !isMap(root)) return { ok: false, reason: 'not-a-mapping' };
  const peoplePair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === 'people') : undefined;
  const people = peoplePair?.value;
  if (people === undefined || people === null || (isScalar(people) && people.value === null) || (isMap(people) && people.items.length === 0)) {
    const map = doc.createNode({ [key]: value });
    // An empty `people: {}` becomes a block mapping; its comment, if any, is kept.
    if (isScalar(people) || isMap(people)) map.commentBefore = people.commentBefore ?? people.comment;
    if (peoplePair) peoplePair.value = map;
    else if (emptyRoot) doc.contents = doc.createNode({ people: { [key]: value } });
    else doc.set('people', map);
  } else if (isMap(people)) {
    if (people.has(key)) return { ok: false, reason: 'taken' };
    const pair = doc.createPair(key, value);
    // Keep the file's rhythm: a blank line between people when the others have one.
    const previous = people.items[people.items.length - 1] as Pair | undefined;
    const spaced = previous !== undefined && isScalar(previous.key) && previous.key.spaceBefore === true;
    if (spaced && isScalar(pair.key)) pair.key.spaceBefore = true;
    people.add(pair);
  } else {
    return { ok: false, reason: 'people-not-a-mapping' };
  }
  const eol = lineBreakOf(sidecarText);
  let text = doc.toString(yamlOutput);
  if (eol !== '\n') text = text.replace(/\r?\n/g, eol);
  return { ok: true, text, edit: minimalEdit(sidecarText, text) };
}

/** The smallest single replacement that turns `before` into `after`. */
export function minimalEdit(before: string, after: string): TextEdit {
  let prefix = 0;
  const shorter = Math.min(before.length, after.length);
  while (prefix < shorter && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  return { span: { start: prefix, end: before.length - suffix }, text: after.slice(prefix, after.length - suffix) };
}

/**
 * A new sidecar: comments explaining the three keys, with an example person
 * and reference commented out, so the file is valid and adds no one to the text.
 */
export function sidecarTemplate(stem: string): string {
  return `# Sidecar for ${stem}.annot.md: the people and works the text refers to.
#
# people:       who the text talks about, keyed by a short lowercase key.
#               Write [[key]] or [[key|shown text]] in the text for an
#               explicit mention. The name and every alias are also found
#               in running text (case-sensitive, whole words).
# references:   the works cited as [@id], as CSL items in Pandoc's YAML form.
# bibliography: CSL-JSON files with more references, relative to this file,
#               for example  bibliography: library.json
#
# An example person; remove the leading "# " to use it, under people:
#
#   kropotkin:
#     name: Peter Kropotkin
#     aliases: [Kropotkin]
#     born: "1842-12-09"
#     died: "1921-02-08"
#     description: Russian geographer and theorist of anarchist communism.
#     bio: |
#       Markdown, shown in hovers.
#     links:
#       Wikipedia: https://en.wikipedia.org/wiki/Peter_Kropotkin
#     implicit: true    # false: only [[kropotkin]] counts as a mention
people: {}

# An example reference, cited as [@shub1953]; it goes under references:
#
#   - id: shub1953
#     type: article-journal
#     author:
#       - family: Shub
#         given: David
#     issued:
#       date-parts: [[1953]]
#     title: Kropotkin and Lenin
#     container-title: The Russian Review
#     volume: 12
#     issue: 4
#     page: 227-234
references: []
`;
}

/**
 * The text's own sidecar, where new people go: the first one it reads, else the
 * first one its front matter names (about to be created), else `<stem>.yaml`.
 */
export function sidecarUriFor(index: Pick<AnnotationIndex, 'uri' | 'sidecars' | 'frontMatter'>): string {
  if (index.sidecars.length > 0) return index.sidecars[0];
  const named = pathList(index.frontMatter?.data?.sidecar);
  if (named.length > 0) return resolvePath(index.uri, named[0]);
  return siblingUri(index.uri, `${stemOf(index.uri)}.yaml`);
}

function fieldText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
}

/** Where a work appeared, for a picker's detail line: "The Russian Review 12, no. 4, pp. 227-234", or the publisher of a book. */
export function referenceContainerText(item: CslItem): string {
  const volume = fieldText(item.volume);
  const issue = fieldText(item.issue);
  const page = fieldText(item.page);
  const container = [fieldText(item['container-title']), volume ? volume + (issue ? `, no. ${issue}` : '') : issue ? `no. ${issue}` : ''].filter(Boolean).join(' ');
  if (container) return [container, page ? `pp. ${page}` : ''].filter(Boolean).join(', ');
  return [fieldText(item['publisher-place']), fieldText(item.publisher)].filter(Boolean).join(': ');
}
