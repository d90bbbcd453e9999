import { authorYear, lifeDates, referenceText } from './format';
import type { Person, Reference } from './model';
import type { CitationItem, Footnote } from './types';

/**
 * Hover cards as Markdown. Everything in them comes from the user's files, so
 * the cards are built to be rendered untrusted: plain values are escaped, and
 * the Markdown fields (bios, note texts) are sanitized so that the only live
 * links left point to the web or to the sidecar entry the card itself adds.
 */

/** Substitutes `{0}`, `{1}`, … like `vscode.l10n.t`, which the extension passes in instead. */
export type Translate = (message: string, ...args: (string | number)[]) => string;

export const untranslated: Translate = (message, ...args) => message.replace(/\{(\d+)\}/g, (whole, n: string) => (args[Number(n)] !== undefined ? String(args[Number(n)]) : whole));

export interface CardOptions {
  /** Localizes the card's own sentences; arguments are already escaped Markdown. */
  readonly t?: Translate;
  /** Sidecars served from their last good version; a card says so when this is not empty. */
  readonly staleSidecars?: readonly string[];
  /** Sidecars and libraries being read again after a change, which the card is from before; a card says so. */
  readonly rereading?: readonly string[];
  /** Folder URIs (the workspace's) whose files a card may show as images; nothing else is loaded. */
  readonly imageRoots?: readonly string[];
}

/** Bios longer than this are cut: a hover is a glance, the sidecar entry has the rest. */
export const maxBioLength = 4000;

/** Backslash-escapes every character that could start Markdown syntax, and folds line breaks. */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>$~&"'=:]/g, '\\$&');
}

function isWebUrl(written: string): boolean {
  const target = written.startsWith('<') && written.endsWith('>') ? written.slice(1, -1) : written;
  return /^https?:\/\/[^\s\\]+$/i.test(target);
}

/** A link target for a card's own links: characters that end a Markdown destination are percent-encoded. */
function linkTarget(uri: string): string {
  return uri.replace(/[\s()<>\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Link text that cannot itself become Markdown: brackets and backslashes escaped. */
function linkText(text: string): string {
  return escapeMarkdown(text);
}

const referenceDefinition = /^ {0,3}\[([^\]\n]+)\]:[ \t]*<?([^\s>]*)>?.*$/gm;
// A link destination as CommonMark reads it: `<…>`, or text with balanced parentheses one level deep; then an optional title.
const destination = String.raw`\(\s*(<[^>\n]*>|(?:[^()\s\\]|\\.|\([^()\s]*\))*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?\s*\)`;
const inlineImage = new RegExp(String.raw`!\[([^\]\n]*)\]` + destination, 'g');
const referenceImage = /!\[([^\]\n]*)\](?!\()(?:\[[^\]\n]*\])?/g;
const inlineLink = new RegExp(String.raw`(?<!!)\[([^\]\n]*)\]` + destination, 'g');
const autolinkOrAngle = /<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>|</g;

/**
 * Markdown from a user's file made safe to show: links that do not go to
 * http(s) become their text, in all three forms (inline, reference-style and
 * autolinks); images are dropped unless they are files inside `imageRoots`;
 * raw HTML is escaped; `$(icon)` syntax is neutralised.
 */
export function sanitizeMarkdown(markdown: string, imageRoots: readonly string[] = []): string {
  // Reference definitions first: an unsafe one is removed, so `[x][r]` stays literal text.
  let text = markdown.replace(referenceDefinition, (whole, _label: string, target: string) => (isWebUrl(target) ? whole : ''));
  text = text.replace(inlineImage, (whole, alt: string, target: string) => (isImageInside(target, imageRoots) ? whole : escapeMarkdown(alt)));
  // Reference-style images would fetch whatever their definition names: never kept.
  text = text.replace(referenceImage, (_whole, alt: string) => escapeMarkdown(alt));
  text = text.replace(inlineLink, (whole, label: string, target: string) => (isWebUrl(target) ? whole : label));
  text = text.replace(autolinkOrAngle, (whole, url: string | undefined) => (url !== undefined && isWebUrl(url) ? whole : `&lt;${whole.slice(1)}`));
  return text.replace(/\$\(/g, '\\$(');
}

/** A `file:` image under one of the roots, with no `..` to climb out of it. */
function isImageInside(written: string, roots: readonly string[]): boolean {
  const target = written.startsWith('<') && written.endsWith('>') ? written.slice(1, -1) : written;
  if (!/^file:\/\//i.test(target) || /(^|\/)\.\.(\/|$)|%2e/i.test(target)) return false;
  return roots.some((root) => target.startsWith(root.endsWith('/') ? root : `${root}/`));
}

/** What a card says of where it comes from: a sidecar's last good version, or files being read again. */
function sourceNotices(options: CardOptions, t: Translate): string[] {
  const notices: string[] = [];
  const stale = options.staleSidecars ?? [];
  if (stale.length > 0) notices.push(`*${t('⚠ {0} has errors; showing its last good version.', fileNames(stale))}*`);
  const rereading = options.rereading ?? [];
  if (rereading.length > 0) notices.push(`*${t('{0} changed and is being read again; showing it as it was before.', fileNames(rereading))}*`);
  return notices;
}

function fileNames(uris: readonly string[]): string {
  return uris.map((uri) => `\`${fileName(uri).replace(/`/g, '')}\``).join(', ');
}

function fileName(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** `file:///…/essay.yaml#L12`: VS Code opens a file link at the line its `#L` fragment names. */
export function entryLink(source: { readonly uri: string; readonly line: number }, t: Translate): string {
  return `[${t('Open entry in {0}', linkText(fileName(source.uri)))}](${linkTarget(source.uri)}#L${source.line + 1})`;
}

function cutBio(bio: string, t: Translate, source: Person['source'], imageRoots: readonly string[] = []): string {
  if (bio.length <= maxBioLength) return sanitizeMarkdown(bio, imageRoots);
  const cut = bio.slice(0, maxBioLength);
  const atSpace = cut.lastIndexOf(' ');
  const shown = sanitizeMarkdown(atSpace > maxBioLength / 2 ? cut.slice(0, atSpace) : cut, imageRoots);
  return `${shown} …\n\n*${t('The biography is cut here; the full text is in the sidecar:')}* ${entryLink(source, t)}`;
}

/** A person's card: name, life dates, description, bio, links, how often the text mentions them. */
export function personCardMarkdown(person: Person, mentionCount: number, options: CardOptions = {}): string {
  const t = options.t ?? untranslated;
  const blocks: string[] = [...sourceNotices(options, t)];
  const dates = lifeDates(person);
  blocks.push(`**${escapeMarkdown(person.name)}**${dates ? ` (${escapeMarkdown(dates)})` : ''}`);
  if (person.description) blocks.push(escapeMarkdown(person.description));
  if (person.bio && person.bio.trim() !== '') blocks.push(cutBio(person.bio.trim(), t, person.source, options.imageRoots));
  const links = person.links.map((link) => (isWebUrl(link.url) ? `[${linkText(link.label)}](${linkTarget(link.url)})` : `${escapeMarkdown(link.label)}: ${escapeMarkdown(link.url)}`));
  if (links.length > 0) blocks.push(links.join(' · '));
  const count = mentionCount === 1 ? t('Mentioned once in this text.') : t('Mentioned {0} times in this text.', mentionCount);
  blocks.push(`${count} ${entryLink(person.source, t)}`);
  return blocks.join('\n\n');
}

/** For `[[key]]` whose key no sidecar defines: what is wrong and how to fix it. */
export function unknownPersonCardMarkdown(key: string, sidecars: readonly string[], options: CardOptions = {}): string {
  const t = options.t ?? untranslated;
  const blocks: string[] = [...sourceNotices(options, t)];
  blocks.push(`**${t('Unknown person “{0}”', escapeMarkdown(key))}**`);
  const where = sidecars.length > 0 ? fileNames(sidecars) : t('the sidecar (a .yaml file named like the text)');
  blocks.push(t('No person has this key. To add one, write it under people: in {0}:', where));
  // The key is shown inside a code block, where escapes do not apply: keep only characters a key can have.
  const safeKey = key.replace(/[^\p{L}\p{N}_.-]/gu, '') || 'key';
  blocks.push(['```yaml', 'people:', `  ${safeKey}:`, `    name: ${t('Full Name')}`, '```'].join('\n'));
  return blocks.join('\n\n');
}

/** For a name that more than one person claims: who shares it, and how to pick one. */
export function ambiguousNameCardMarkdown(name: string, people: readonly Person[], options: CardOptions = {}): string {
  const t = options.t ?? untranslated;
  const blocks: string[] = [...sourceNotices(options, t)];
  blocks.push(`**${t('Ambiguous name “{0}”', escapeMarkdown(name))}**`);
  if (people.length > 0) {
    blocks.push(t('These people share it:'));
    blocks.push(people.map((p) => `- ${escapeMarkdown(p.name)} (\`${p.key.replace(/`/g, '')}\`)`).join('\n'));
    blocks.push(t('Write [[key]] to say which one is meant.').replace(/\[/g, '\\[').replace(/\]/g, '\\]'));
  } else {
    blocks.push(t('More than one person has this name or alias.'));
  }
  return blocks.join('\n\n');
}

/** "page 229", "chapter 10": a locator with its CSL label, as a reader says it. */
export function locatorText(item: Pick<CitationItem, 'locator' | 'label'>): string {
  if (!item.locator) return '';
  return [item.label, item.locator].filter(Boolean).join(' ');
}

/** A cited work: the reference, then where in it this citation points. */
export function citationCardMarkdown(item: CitationItem, reference: Reference | undefined, options: CardOptions = {}): string {
  const t = options.t ?? untranslated;
  const blocks: string[] = [...sourceNotices(options, t)];
  if (!reference) {
    blocks.push(`**${t('Unknown citation key “{0}”', escapeMarkdown(item.key))}**`);
    blocks.push(t('No reference has this id. Add it under references: in the sidecar, or to a bibliography the sidecar names.'));
    return blocks.join('\n\n');
  }
  blocks.push(`**${escapeMarkdown(authorYear(reference.item))}**`);
  blocks.push(escapeMarkdown(referenceText(reference.item)));
  const locator = locatorText(item);
  if (locator) blocks.push(t('Cited at: {0}', escapeMarkdown(locator)));
  const url = typeof reference.item.URL === 'string' ? reference.item.URL : reference.item.DOI ? `https://doi.org/${reference.item.DOI}` : '';
  const link = url && isWebUrl(url) ? `[${linkText(url)}](${linkTarget(url)}) · ` : '';
  blocks.push(`${link}${entryLink(reference.source, t)}`);
  return blocks.join('\n\n');
}

/** A footnote's text, rendered. */
export function footnoteCardMarkdown(footnote: Footnote, options: CardOptions = {}): string {
  const t = options.t ?? untranslated;
  const blocks: string[] = [...sourceNotices(options, t)];
  blocks.push(`**${footnote.inline ? t('Inline note') : t('Note {0}', escapeMarkdown(`[^${footnote.label}]`))}**`);
  if (!footnote.inline && footnote.definition === null) blocks.push(t('This note has no definition yet.'));
  else if (footnote.text.trim() === '') blocks.push(`*${t('The note is empty.')}*`);
  else blocks.push(sanitizeMarkdown(footnote.text, options.imageRoots));
  return blocks.join('\n\n');
}
