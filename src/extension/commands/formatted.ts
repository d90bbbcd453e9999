import * as vscode from 'vscode';
import { authorYear, entriesInOrder, findAt, type AnnotationIndex, type CitationFormatter, type Reference } from '../../core';
import { isAnnotatedText, type AnnotationService } from '../annotationService';
import { registerCitationStyles, type FormatterStore } from '../citationStyles';
import { register as registerExport } from './exportWithPandoc';

/** `{keys?, style?}`: which references, and which style instead of the configured one. */
interface FormattedArgs {
  readonly keys?: readonly string[];
  readonly style?: string;
}

function formattedArgsProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') return 'not an object';
  const { keys, style } = value as Record<string, unknown>;
  if (keys !== undefined && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) return 'keys';
  if (style !== undefined && typeof style !== 'string') return 'style';
  return undefined;
}

/**
 * `marginalia.insertFormattedCitation` and `marginalia.insertBibliography`:
 * references written out in the chosen CSL style, as Pandoc Markdown.
 */
export class FormattedReferenceCommands {
  constructor(
    private readonly styles: FormatterStore,
    private readonly indexOf: (document: vscode.TextDocument) => Promise<AnnotationIndex | undefined>,
  ) {}

  /** The reference(s) of `keys`, of the citation under the cursor, or of the ones picked, at the cursor. */
  async insertFormattedCitation(editor: vscode.TextEditor, args: unknown): Promise<boolean> {
    const options = this.options(args, '{"keys": ["shub1953"], "style": "modern-language-association"}');
    if (!options) return false;
    const index = await this.indexOf(editor.document);
    if (!index) return this.changedWhileWorking();
    let references: Reference[] | undefined;
    if (options.keys) references = this.known(index, options.keys);
    else {
      const found = findAt(index, editor.document.offsetAt(editor.selection.active));
      const cited = found?.kind === 'citation' ? (found.item ? [found.item] : found.citation.items) : [];
      references = cited.length > 0 ? this.known(index, cited.map((item) => item.key)) : await pickReferences(index);
    }
    if (!references || references.length === 0) return false;
    const formatter = await this.formatter(options.style);
    if (!formatter) return false;
    const entries = references.map((reference) => formatter.reference(reference.item, 'markdown'));
    return this.insert(editor, index, entries.join('\n\n'), false);
  }

  /**
   * A References section with every work the text cites, in the style's
   * order, inside Pandoc's `::: {#refs}` div: an export puts its own list in
   * that place (the export empties the div first), so there is one bibliography.
   */
  async insertBibliography(editor: vscode.TextEditor, args: unknown): Promise<boolean> {
    const options = this.options(args, '{"keys": ["shub1953", "woodcock1950"], "style": "chicago-author-date"}');
    if (!options) return false;
    const index = await this.indexOf(editor.document);
    if (!index) return this.changedWhileWorking();
    const keys = options.keys ?? citedKeys(index);
    const references = this.known(index, keys);
    if (!references) return false;
    if (references.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('This text cites no known work yet, so there is no bibliography to insert.'));
      return false;
    }
    const formatter = await this.formatter(options.style);
    if (!formatter) return false;
    const entries = formatter.bibliography(
      references.map((r) => r.item),
      'markdown',
    );
    const heading = `${'#'.repeat(sectionLevel(index))} ${vscode.l10n.t('References')}`;
    return this.insert(editor, index, `${heading}\n\n::: {#refs}\n${entries.join('\n\n')}\n:::\n`, true);
  }

  private options(args: unknown, example: string): FormattedArgs | undefined {
    const problem = formattedArgsProblem(args);
    if (problem === undefined) return args ?? {};
    void vscode.window.showErrorMessage(vscode.l10n.t('This command expects arguments like {0}.', example));
    return undefined;
  }

  /** The references of `keys`, or undefined (with a message) when some key is unknown. */
  private known(index: AnnotationIndex, keys: readonly string[]): Reference[] | undefined {
    const unknown = keys.filter((key) => !index.registry.references.has(key));
    if (unknown.length > 0) {
      void vscode.window.showErrorMessage(vscode.l10n.t('No reference with the key {0} in the sidecars or bibliographies of this text.', unknown.join(', ')));
      return undefined;
    }
    return [...new Set(keys)].map((key) => index.registry.references.get(key) as Reference);
  }

  private async formatter(style: string | undefined): Promise<CitationFormatter | undefined> {
    try {
      return await this.styles.formatter(style);
    } catch (error) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Cannot use the citation style: {0}', (error as Error).message));
      return undefined;
    }
  }

  /** Replaces the selection; a block goes on lines of its own, with blank lines around it as Markdown needs. */
  private async insert(editor: vscode.TextEditor, before: AnnotationIndex, text: string, block: boolean): Promise<boolean> {
    const document = editor.document;
    if (document.version !== before.version) return this.changedWhileWorking();
    let range: vscode.Range = editor.selection;
    let insertion = text;
    if (block) {
      const line = document.lineAt(editor.selection.end.line);
      const at = line.isEmptyOrWhitespace ? line.range.start : line.range.end;
      range = new vscode.Range(at, at);
      const previous = at.line > 0 ? document.lineAt(at.line - 1) : undefined;
      const next = at.line + 1 < document.lineCount ? document.lineAt(at.line + 1) : undefined;
      const lead = line.isEmptyOrWhitespace ? (previous && !previous.isEmptyOrWhitespace ? '\n' : '') : '\n\n';
      const trail = line.isEmptyOrWhitespace ? (next && !next.isEmptyOrWhitespace ? '\n' : '') : next && !next.isEmptyOrWhitespace ? '\n' : '';
      insertion = lead + text + trail;
      if (!line.isEmptyOrWhitespace) insertion = insertion.replace(/\n$/, '');
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, range, insertion);
    if (!(await vscode.workspace.applyEdit(edit))) return false;
    const end = document.positionAt(document.offsetAt(range.start) + insertion.length);
    editor.selection = new vscode.Selection(end, end);
    return true;
  }

  private changedWhileWorking(): boolean {
    void vscode.window.showWarningMessage(vscode.l10n.t('The text kept changing, so nothing was inserted. Try again.'));
    return false;
  }
}

/** The keys of every known work the text cites, in order of first citation. */
export function citedKeys(index: AnnotationIndex): string[] {
  const keys = new Set<string>();
  for (const citation of index.citations) for (const item of citation.items) if (index.registry.references.has(item.key)) keys.add(item.key);
  return [...keys];
}

/** The References section sits at the level of the text's sections: below a lone title heading, beside the others. */
function sectionLevel(index: AnnotationIndex): number {
  const levels = index.headings.map((h) => h.level);
  if (levels.length === 0) return 1;
  const top = Math.min(...levels);
  const sections = levels.filter((level) => level === top).length === 1 && levels.some((level) => level > top) ? Math.min(...levels.filter((level) => level > top)) : top;
  return Math.min(sections, 6);
}

async function pickReferences(index: AnnotationIndex): Promise<Reference[] | undefined> {
  const items = [...entriesInOrder(index.registry.references)].map((reference) => ({ label: authorYear(reference.item), description: typeof reference.item.title === 'string' ? reference.item.title : undefined, reference }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('This text has no references yet. Add them under references: in its sidecar, or name a bibliography there.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { canPickMany: true, title: vscode.l10n.t('Insert Formatted Reference'), placeHolder: vscode.l10n.t('Search by author, year or title') });
  return picked?.map((item) => item.reference);
}

async function currentIndex(service: AnnotationService, document: vscode.TextDocument): Promise<AnnotationIndex | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const index = await service.getIndex(document);
    if (index.version === document.version) return index;
  }
  return undefined;
}

function withEditor(command: (editor: vscode.TextEditor) => Promise<boolean>): Promise<boolean> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !isAnnotatedText(editor.document)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open an annotated text (*.annot.md) in the editor first.'));
    return Promise.resolve(false);
  }
  return command(editor);
}

/** Options from a caller; the editor's context menu passes the document's URI instead, which means none. */
function optionsOf(args: unknown): unknown {
  return args instanceof vscode.Uri ? undefined : args;
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  const styles = registerCitationStyles(context);
  const commands = new FormattedReferenceCommands(styles, (document) => currentIndex(service, document));
  context.subscriptions.push(
    vscode.commands.registerCommand('marginalia.insertFormattedCitation', (args?: unknown) => withEditor((editor) => commands.insertFormattedCitation(editor, optionsOf(args)))),
    vscode.commands.registerCommand('marginalia.insertBibliography', (args?: unknown) => withEditor((editor) => commands.insertBibliography(editor, optionsOf(args)))),
  );
  registerExport(context, service, styles);
}
