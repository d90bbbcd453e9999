import type { CslDate, CslItem, CslName, Person } from './model';

/** Plain-text formatting shared by hovers, pickers and the CLI. */

export function nameText(name: CslName): string {
  if (name.literal) return name.literal;
  const family = [name['non-dropping-particle'], name.family].filter(Boolean).join(' ');
  const given = [name.given, name['dropping-particle']].filter(Boolean).join(' ');
  return [given, family].filter(Boolean).join(' ') + (name.suffix ? `, ${name.suffix}` : '');
}

function familyName(name: CslName): string {
  return name.literal ?? ([name['non-dropping-particle'], name.family].filter(Boolean).join(' ') || name.given || '');
}

export function yearOf(date: CslDate | undefined): string {
  if (!date) return '';
  const first = date['date-parts']?.[0]?.[0];
  if (first !== undefined && first !== null && String(first) !== '') return String(first);
  const text = date.literal ?? date.raw ?? '';
  return /\d{3,4}/.exec(text)?.[0] ?? text;
}

/** Authors as a scholar would name them in a list: "Woodcock and Avakumović", "Shub", "Smith et al.". */
export function authorsShort(item: CslItem): string {
  const names = (Array.isArray(item.author) && item.author.length > 0 ? item.author : Array.isArray(item.editor) ? item.editor : []) as CslName[];
  if (names.length === 0) return '';
  if (names.length === 1) return familyName(names[0]);
  if (names.length === 2) return `${familyName(names[0])} and ${familyName(names[1])}`;
  return `${familyName(names[0])} et al.`;
}

/**
 * The texts of a reference the citation search splits into words: those of
 * the record fuse.js reads, without making the record, as most references
 * are never a candidate.
 */
export function referenceSearchFields(item: CslItem, id: string, add: (text: string) => void): void {
  add(authorsShort(item));
  if (Array.isArray(item.author)) {
    // A library file may hold anything: only text is read.
    for (const name of item.author as unknown[]) {
      if (typeof name !== 'object' || name === null) continue;
      const { given, family, literal } = name as CslName;
      for (const part of [given, family, literal]) if (typeof part === 'string') add(part);
    }
  }
  add(yearOf(item.issued));
  if (typeof item.title === 'string') add(item.title);
  add(id);
}

/** "Shub 1953": the label of a reference in pickers. */
export function authorYear(item: CslItem): string {
  return [authorsShort(item) || item.id, yearOf(item.issued)].filter(Boolean).join(' ');
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
}

/**
 * A readable, style-neutral reference: author, year, title, container,
 * volume and issue, pages, publisher.
 */
export function referenceText(item: CslItem): string {
  const authors = ((Array.isArray(item.author) ? item.author : []) as CslName[]).map(nameText).filter(Boolean);
  const editors = ((Array.isArray(item.editor) ? item.editor : []) as CslName[]).map(nameText).filter(Boolean);
  // An edited volume without authors is listed under its editors, as citation styles do.
  const byEditors = authors.length === 0 && editors.length > 0;
  const names = byEditors ? `${editors.join(', ')} (${editors.length > 1 ? 'eds.' : 'ed.'})` : authors.join(', ');
  const parts: string[] = [];
  const year = yearOf(item.issued);
  const head = [names, year ? `(${year})` : ''].filter(Boolean).join(' ');
  if (head) parts.push(head);
  const title = text(item.title);
  const container = text(item['container-title']);
  if (title) parts.push(container ? `“${title}”` : title);
  if (!byEditors && editors.length > 0) parts.push(`Edited by ${editors.join(', ')}`);
  const inContainer = [container, text(item.volume) ? text(item.volume) + (text(item.issue) ? `, no. ${text(item.issue)}` : '') : ''].filter(Boolean).join(' ');
  if (inContainer) parts.push(inContainer);
  if (text(item.page)) parts.push(`pp. ${text(item.page)}`);
  const publisher = [text(item['publisher-place']), text(item.publisher)].filter(Boolean).join(': ');
  if (publisher) parts.push(publisher);
  return parts.join('. ') + (parts.length > 0 ? '.' : '');
}

/** "1842–1921", "b. 1870", "d. 1921". */
export function lifeDates(person: Pick<Person, 'born' | 'died'>): string {
  if (person.born && person.died) return `${person.born}–${person.died}`;
  if (person.born) return `b. ${person.born}`;
  if (person.died) return `d. ${person.died}`;
  return '';
}
