import * as vscode from 'vscode';
import { footnoteOutline, type AnnotationIndex, type OutlineEntry } from '../../core';
import type { ActiveAnnotatedText } from './sidebar';

/** The Footnotes view: every note of the active text, with a warning on notes that are never defined. */
export class FootnotesTreeProvider implements vscode.TreeDataProvider<OutlineEntry>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  private rows: { index: AnnotationIndex; entries: OutlineEntry[] } | undefined;

  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly active: ActiveAnnotatedText) {
    this.subscription = active.onDidChange(() => this.changed.fire());
  }

  getChildren(element?: OutlineEntry): OutlineEntry[] {
    if (element) return [...element.children];
    const index = this.active.index;
    if (!index) return [];
    if (this.rows?.index !== index) this.rows = { index, entries: footnoteOutline(index, { t: (message, ...args) => vscode.l10n.t(message, ...args) }) };
    return this.rows.entries;
  }

  getTreeItem(entry: OutlineEntry): vscode.TreeItem {
    const item = this.active.treeItem(entry);
    item.iconPath = entry.kind === 'footnote-undefined' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('note');
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
