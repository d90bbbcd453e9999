import { stringify } from 'yaml';
import type { AnnotationIndex } from './annotationIndex';
import type { CslItem } from './model';
import type { Span } from './types';

/**
 * What `marginalia.exportWithPandoc` hands to pandoc, built from the index
 * without reading the text again. Pure, so the CLI and tests can build the
 * same input and run pandoc on it.
 */

export type ExportFormat = 'html' | 'docx' | 'pdf';
export const exportFormats: readonly ExportFormat[] = ['html', 'docx', 'pdf'];

export interface ExportFiles {
  /** Where the converted text is written. */
  readonly input: string;
  /** Where the merged references are written. */
  readonly metadata: string;
  /** Where the CSL style is written, or undefined to use pandoc's own default (Chicago author-date). */
  readonly style?: string;
  /** Where the Lua filter that empties a pre-filled `#refs` div is written. */
  readonly filter: string;
  readonly output: string;
}

export interface PandocExport {
  /** The text for pandoc: front matter without sidecar and bibliography keys, mentions as spans. */
  readonly input: string;
  /** One metadata file with every reference, as YAML (JSON would do as well). */
  readonly metadata: string;
  readonly filter: string;
  readonly args: readonly string[];
  /** Every reference the export carries, in merge order. */
  readonly references: readonly CslItem[];
}

/** Front matter keys that name files Marginalia merges itself; pandoc would otherwise read them again, or let them replace the merged list. */
const mergedKeys = new Set(['sidecar', 'bibliography', 'references']);

/**
 * Pandoc 2.x adds its bibliography after whatever the `#refs` div holds, so a
 * References section inserted by Marginalia (which previews the entries) is
 * emptied first, and the export has one bibliography, in that place.
 */
export const emptyRefsFilter = `-- Empties the refs div, so that --citeproc fills it rather than adding a second list.
function Div(div)
  if div.identifier == "refs" then
    div.content = {}
    return div
  end
end
`;

function attributeValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Shown text inside `[…]{.person}`: brackets and backslashes would end or change the span. */
function spanText(text: string): string {
  return text.replace(/[\\[\]]/g, (c) => `\\${c}`);
}

interface Replacement {
  readonly span: Span;
  readonly text: string;
}

/**
 * A mention rendered as its shown text in a span carrying the key:
 * `[[kropotkin]]` and an implicit "Kropotkin" become
 * `[Peter Kropotkin]{.person key="kropotkin"}`, so a reader of the HTML or a
 * later filter still knows who is meant. A name that resolves to nobody is left as written.
 */
function mentionReplacements(index: AnnotationIndex): Replacement[] {
  const replacements: Replacement[] = [];
  const insideCitation = (span: Span): boolean => index.citations.some((c) => c.span.start <= span.start && span.end <= c.span.end);
  for (const mention of index.mentions) {
    const key = mention.person ?? mention.writtenKey;
    if (!mention.explicit && mention.person === null) continue;
    // A span inside a citation's prefix or suffix could end the bracketed citation early: the name stays as written.
    if (!mention.explicit && insideCitation(mention.span)) continue;
    const attributes = key ? `.person key="${attributeValue(key)}"` : '.person';
    replacements.push({ span: mention.span, text: `[${spanText(mention.text)}]{${attributes}}` });
  }
  return replacements;
}

function frontMatterReplacement(index: AnnotationIndex): { replacement: Replacement | undefined; references: CslItem[] } {
  const frontMatter = index.frontMatter;
  if (!frontMatter) return { replacement: undefined, references: [] };
  const data = frontMatter.data ?? {};
  const references = Array.isArray(data.references) ? (data.references as unknown[]).filter((r): r is CslItem => r !== null && typeof r === 'object' && typeof (r as CslItem).id === 'string') : [];
  const kept = Object.fromEntries(Object.entries(data).filter(([key]) => !mergedKeys.has(key)));
  // An unreadable front matter is left as it is: pandoc reports it better than a rewrite would.
  if (frontMatter.data === null) return { replacement: undefined, references };
  const yaml = Object.keys(kept).length > 0 ? stringify(kept) : '';
  return { replacement: { span: frontMatter.span, text: `---\n${yaml}---\n` }, references };
}

function applyReplacements(text: string, replacements: readonly Replacement[]): string {
  const sorted = [...replacements].sort((a, b) => a.span.start - b.span.start);
  let out = '';
  let at = 0;
  for (const { span, text: replacement } of sorted) {
    if (span.start < at) continue;
    out += text.slice(at, span.start) + replacement;
    at = span.end;
  }
  return out + text.slice(at);
}

/**
 * Pandoc replaces, rather than merges, `references` given in several
 * metadata files, so every sidecar's references, the front matter's and the
 * bibliography files' items go into one list: the registry's merge order,
 * then front matter items the sidecars do not define.
 */
function mergedReferences(index: AnnotationIndex, fromFrontMatter: readonly CslItem[]): CslItem[] {
  const items = [...index.registry.references.values()].map((r) => r.item);
  const ids = new Set(items.map((item) => item.id));
  for (const item of fromFrontMatter) {
    if (ids.has(item.id)) continue;
    ids.add(item.id);
    items.push(item);
  }
  return items;
}

/** Builds pandoc's input, its one metadata file and its arguments for exporting `index` to `format`. */
export function pandocExport(index: AnnotationIndex, format: ExportFormat, files: ExportFiles, options: { pdfEngine?: string } = {}): PandocExport {
  const { replacement, references: frontMatterReferences } = frontMatterReplacement(index);
  const replacements = mentionReplacements(index);
  if (replacement) replacements.push(replacement);
  const input = applyReplacements(index.text, replacements);
  const references = mergedReferences(index, frontMatterReferences);
  const metadata = stringify({ references });
  const args = ['--from', 'markdown', '--to', format === 'pdf' ? 'pdf' : format, '--standalone', '--metadata-file', files.metadata, '--lua-filter', files.filter, '--citeproc'];
  if (files.style) args.push('--csl', files.style);
  if (format === 'pdf' && options.pdfEngine) args.push('--pdf-engine', options.pdfEngine);
  if (format === 'html' && !index.frontMatter?.data?.title) args.push('--metadata', `pagetitle=${basenameOf(files.output)}`);
  args.push('--output', files.output, files.input);
  return { input, metadata, filter: emptyRefsFilter, args, references };
}

function basenameOf(path: string): string {
  return path.replace(/^.*[/\\]/, '').replace(/\.[^.]*$/, '');
}

/** PDF engines pandoc can drive, in the order they are tried. */
export const pdfEngines: readonly string[] = ['xelatex', 'lualatex', 'pdflatex', 'tectonic', 'wkhtmltopdf', 'weasyprint', 'typst'];
