import * as vscode from 'vscode';
import type { AnnotationIndex, OutlineEntry, Range } from '../../core';
import { isAnnotatedText, type AnnotationService } from '../annotationService';
import { FootnotesTreeProvider } from './footnotesView';
import { QuotesTreeProvider } from './quotesView';
import { PeopleTreeProvider } from './peopleView';

/** Read by the `viewsWelcome` entries in package.json: the welcome text shows while no annotated text is active. */
const activeContextKey = 'marginalia.annotatedTextActive';

/**
 * The index of the annotated text in the active editor, kept current for the
 * three views. It is the only place that follows editors and edits, so the
 * views agree with each other and ask the service once per change, not thrice.
 */
export class ActiveAnnotatedText implements vscode.Disposable {
  private current: { document: vscode.TextDocument; index: AnnotationIndex } | undefined;
  /** Bumped on every request, so a slow index for an editor left behind cannot overwrite a newer one. */
  private request = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  readonly onDidChange = this.changed.event;

  constructor(private readonly service: AnnotationService) {
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.follow()),
      // The service fires 150 ms after the last keystroke, once the index can be rebuilt.
      service.onDidChangeIndex((uri) => {
        if (uri.toString() === this.activeDocument()?.uri.toString()) this.follow();
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document === this.current?.document) this.follow();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('marginalia.sidebar')) this.changed.fire();
      }),
    );
  }

  get document(): vscode.TextDocument | undefined {
    return this.current?.document;
  }

  get index(): AnnotationIndex | undefined {
    return this.current?.index;
  }

  /** False once the index the rows come from was updated in place for a newer version of the text. */
  isCurrent(): boolean {
    return this.current === undefined || this.service.isCurrent(this.current.index);
  }

  /** Rebuilds from the active editor; resolves once the views have been told. */
  async update(): Promise<void> {
    const request = ++this.request;
    const document = this.activeDocument();
    await vscode.commands.executeCommand('setContext', activeContextKey, document !== undefined);
    const index = document ? await this.service.getIndex(document) : undefined;
    if (request !== this.request) return;
    this.current = document && index ? { document, index } : undefined;
    this.changed.fire();
  }

  /** What every row shares: its id, its context value for menus, and the click that reveals it in the text. */
  treeItem(entry: OutlineEntry, state: vscode.TreeItemCollapsibleState = vscode.TreeItemCollapsibleState.Expanded): vscode.TreeItem {
    const uri = this.current?.document.uri ?? vscode.Uri.parse('untitled:');
    // The count, not the children: a person's mention rows are made only when the person is expanded.
    const item = new vscode.TreeItem(entry.label, entry.childCount === 0 ? vscode.TreeItemCollapsibleState.None : state);
    // Prefixed by the text, so switching between two texts never mistakes one's rows for the other's.
    item.id = `${uri.toString()}#${entry.id}`;
    item.contextValue = entry.kind;
    item.description = entry.description;
    item.tooltip = entry.tooltip;
    item.command = { command: 'marginalia.revealRange', title: vscode.l10n.t('Reveal in Text'), arguments: [uri, toRange(entry.range)] };
    return item;
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }

  /** For events, which cannot wait: a failure is logged, and the next event tries again. */
  follow(): void {
    this.update().catch((error: unknown) => console.error('marginalia: could not update the annotations views', error));
  }

  private activeDocument(): vscode.TextDocument | undefined {
    const document = vscode.window.activeTextEditor?.document;
    return document && !document.isClosed && isAnnotatedText(document) ? document : undefined;
  }
}

function toRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

/** The rows of one view, as the view shows them, for the debug command. */
interface TreeRows {
  getChildren(element?: OutlineEntry): OutlineEntry[];
  getTreeItem(element: OutlineEntry): vscode.TreeItem;
}

interface PlainRow {
  id: string | undefined;
  label: string;
  description: string;
  tooltip: string;
  iconId: string | undefined;
  contextValue: string | undefined;
  command: { command: string; arguments: [string, Range] } | undefined;
  children: PlainRow[];
}

function plainRows(tree: TreeRows, parent?: OutlineEntry): PlainRow[] {
  return tree.getChildren(parent).map((entry) => {
    const item = tree.getTreeItem(entry);
    const args = item.command?.arguments as [vscode.Uri, vscode.Range] | undefined;
    const tooltip = item.tooltip;
    return {
      id: item.id,
      label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
      description: typeof item.description === 'string' ? item.description : '',
      tooltip: tooltip instanceof vscode.MarkdownString ? tooltip.value : (tooltip ?? ''),
      iconId: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined,
      contextValue: item.contextValue,
      command:
        item.command && args
          ? { command: item.command.command, arguments: [args[0].toString(), { start: { line: args[1].start.line, character: args[1].start.character }, end: { line: args[1].end.line, character: args[1].end.character } }] }
          : undefined,
      children: plainRows(tree, entry),
    };
  });
}

function isRangeLike(value: unknown): value is Range {
  const r = value as Range | undefined;
  return typeof r?.start?.line === 'number' && typeof r.start.character === 'number' && typeof r.end?.line === 'number' && typeof r.end.character === 'number';
}

/** Opens the text, selects the range and scrolls to it. Takes plain data too, for links and tests. */
async function revealRange(uri: vscode.Uri | string, range: vscode.Range | Range): Promise<void> {
  if (!isRangeLike(range)) throw new Error(vscode.l10n.t('Reveal in Text needs a text and a range.'));
  const target = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
  const selection = toRange(range);
  const document = await vscode.workspace.openTextDocument(target);
  // Reuse the column the text is already open in, rather than opening it beside itself.
  const visible = vscode.window.visibleTextEditors.find((e) => e.document === document);
  const editor = await vscode.window.showTextDocument(document, { viewColumn: visible?.viewColumn, selection });
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  const active = new ActiveAnnotatedText(service);
  const footnotes = new FootnotesTreeProvider(active);
  const quotes = new QuotesTreeProvider(active);
  const people = new PeopleTreeProvider(active);

  context.subscriptions.push(
    active,
    footnotes,
    quotes,
    people,
    vscode.window.createTreeView('marginalia.footnotes', { treeDataProvider: footnotes, showCollapseAll: true }),
    vscode.window.createTreeView('marginalia.quotes', { treeDataProvider: quotes, showCollapseAll: true }),
    vscode.window.createTreeView('marginalia.people', { treeDataProvider: people, showCollapseAll: true }),
    vscode.commands.registerCommand('marginalia.revealRange', revealRange),
    vscode.commands.registerCommand('marginalia.refreshAnnotations', async () => {
      service.refresh();
      await active.update();
    }),
    // Internal, not in package.json: the integration tests run against the bundled
    // extension and cannot reach these providers, so this hands them the rows as plain data.
    vscode.commands.registerCommand('marginalia.debug.sidebarItems', () => ({
      document: active.document?.uri.toString(),
      footnotes: plainRows(footnotes),
      quotes: plainRows(quotes),
      people: plainRows(people),
    })),
  );
  active.follow();
}
