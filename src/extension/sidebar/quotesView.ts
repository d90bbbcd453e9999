import * as vscode from 'vscode';
import { quoteOutline, type AnnotationIndex, type OutlineEntry } from '../../core';
import type { ActiveAnnotatedText } from './sidebar';

/** Matches the default of `marginalia.sidebar.minimumQuoteLength` in package.json. */
const defaultMinimumQuoteLength = 12;

/** The Quotes view: block quotes, and inline quotations long enough to be more than a phrase. */
export class QuotesTreeProvider implements vscode.TreeDataProvider<OutlineEntry>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  private rows: { index: AnnotationIndex; minimumQuoteLength: number; entries: OutlineEntry[] } | undefined;

  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly active: ActiveAnnotatedText) {
    this.subscription = active.onDidChange(() => this.changed.fire());
  }

  getChildren(element?: OutlineEntry): OutlineEntry[] {
    if (element) return [...element.children];
    const index = this.active.index;
    if (!index) return [];
    const minimumQuoteLength = vscode.workspace.getConfiguration('marginalia.sidebar', this.active.document).get<number>('minimumQuoteLength', defaultMinimumQuoteLength);
    if (this.rows?.index !== index || this.rows.minimumQuoteLength !== minimumQuoteLength) {
      this.rows = { index, minimumQuoteLength, entries: quoteOutline(index, { minimumQuoteLength, t: (message, ...args) => vscode.l10n.t(message, ...args) }) };
    }
    return this.rows.entries;
  }

  getTreeItem(entry: OutlineEntry): vscode.TreeItem {
    const item = this.active.treeItem(entry);
    item.iconPath = new vscode.ThemeIcon('quote');
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
