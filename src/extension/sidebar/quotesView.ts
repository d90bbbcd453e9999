import * as vscode from 'vscode';
import { quoteOutline, type AnnotationIndex, type OutlineEntry, type OutlineOptions } from '../../core';
import { OutlineTreeProvider } from './outlineView';

/** Matches the default of `marginalia.sidebar.minimumQuoteLength` in package.json. */
const defaultMinimumQuoteLength = 12;

/** The Quotes view: block quotes, and inline quotations long enough to be more than a phrase. */
export class QuotesTreeProvider extends OutlineTreeProvider {
  private minimumQuoteLength(): number {
    return vscode.workspace.getConfiguration('marginalia.sidebar', this.active.document).get<number>('minimumQuoteLength', defaultMinimumQuoteLength);
  }

  protected override settingsKey(): string {
    return String(this.minimumQuoteLength());
  }

  protected entries(index: AnnotationIndex, options: OutlineOptions): OutlineEntry[] {
    return quoteOutline(index, { ...options, minimumQuoteLength: this.minimumQuoteLength() });
  }

  getTreeItem(entry: OutlineEntry): vscode.TreeItem {
    const item = this.active.treeItem(entry);
    item.iconPath = new vscode.ThemeIcon('quote');
    return item;
  }
}
