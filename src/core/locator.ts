/**
 * Reads a locator out of a citation's suffix the way citeproc does for Pandoc:
 * `, p. 33` is page 33, `, chap. 2` chapter 2, a bare number a page, and
 * `{…}` forces whatever it holds to be the locator.
 */

export interface ParsedLocator {
  readonly locator: string;
  readonly label: string;
  readonly suffix: string;
}

const labelTerms: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['book', ['books', 'book', 'bks.', 'bk.']],
  ['chapter', ['chapters', 'chapter', 'chaps.', 'chap.']],
  ['column', ['columns', 'column', 'cols.', 'col.']],
  ['figure', ['figures', 'figure', 'figs.', 'fig.']],
  ['folio', ['folios', 'folio', 'fols.', 'fol.']],
  ['number', ['numbers', 'number', 'nos.', 'no.']],
  ['line', ['lines', 'line', 'll.', 'l.']],
  ['note', ['notes', 'note', 'nn.', 'n.']],
  ['opus', ['opera', 'opus', 'opp.', 'op.']],
  ['page', ['pages', 'page', 'pp.', 'p.']],
  ['paragraph', ['paragraphs', 'paragraph', 'paras.', 'para.', '¶¶', '¶']],
  ['part', ['parts', 'part', 'pts.', 'pt.']],
  ['section', ['sections', 'section', 'secs.', 'sec.', '§§', '§']],
  ['sub verbo', ['sub verbis', 'sub verbo', 's.vv.', 's.v.']],
  ['verse', ['verses', 'verse', 'vv.', 'v.']],
  ['volume', ['volumes', 'volume', 'vols.', 'vol.']],
];

/** Longest forms first, so `pp.` is not read as `p.` followed by `p.`. */
const terms: ReadonlyArray<readonly [string, string]> = labelTerms
  .flatMap(([label, forms]) => forms.map((form) => [form, label] as const))
  .sort((a, b) => b[0].length - a[0].length);

const valueToken = String.raw`(?:\p{N}+(?:[.:]\p{N}+)*[\p{L}]?|[ivxlcdm]+|[IVXLCDM]+)(?![\p{L}\p{N}])`;
const locatorValue = new RegExp(String.raw`^${valueToken}(?:\s*(?:[-–—,&]|and)\s*${valueToken})*`, 'u');

export const noLocator: ParsedLocator = { locator: '', label: '', suffix: '' };

export function parseLocator(rawSuffix: string): ParsedLocator {
  let s = rawSuffix.trim();
  if (s === '') return noLocator;
  let rest = s.startsWith(',') ? s.slice(1).trimStart() : s;
  if (rest.startsWith('{')) {
    const close = rest.indexOf('}');
    if (close > 0) {
      const inner = rest.slice(1, close).trim();
      const labelled = readLabel(inner);
      return { locator: labelled ? labelled.rest.trim() : inner, label: labelled ? labelled.label : 'page', suffix: rest.slice(close + 1).trim() };
    }
  }
  const labelled = readLabel(rest);
  const label = labelled ? labelled.label : 'page';
  if (labelled) rest = labelled.rest;
  const m = locatorValue.exec(rest);
  if (!m || (!labelled && !/^\p{N}/u.test(rest))) return { locator: '', label: '', suffix: s };
  s = rest.slice(m[0].length).trim();
  return { locator: m[0].trim(), label, suffix: s };
}

function readLabel(text: string): { label: string; rest: string } | null {
  for (const [form, label] of terms) {
    if (!text.startsWith(form)) continue;
    const after = text.charAt(form.length);
    // A spelled-out term needs a boundary: "pages" is a term, "pageant" is not.
    if (/[\p{L}]/u.test(form.charAt(form.length - 1)) && /[\p{L}\p{N}]/u.test(after)) continue;
    return { label, rest: text.slice(form.length).trimStart() };
  }
  return null;
}
