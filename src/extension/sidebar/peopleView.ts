import * as vscode from 'vscode';
import { peopleOutline, type AnnotationIndex, type OutlineEntry } from '../../core';
import type { ActiveAnnotatedText } from './sidebar';

/** The People view: who the text mentions and how often, each with their mentions in context. */
export class PeopleTreeProvider implements vscode.TreeDataProvider<OutlineEntry>, vscode.Disposable {
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
    if (this.rows?.index !== index) this.rows = { index, entries: peopleOutline(index, { t: (message, ...args) => vscode.l10n.t(message, ...args) }) };
    return this.rows.entries;
  }

  getTreeItem(entry: OutlineEntry): vscode.TreeItem {
    // A text can mention dozens of people hundreds of times: open, every list would bury the next name.
    const item = this.active.treeItem(entry, vscode.TreeItemCollapsibleState.Collapsed);
    item.iconPath = new vscode.ThemeIcon(iconFor(entry));
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function iconFor(entry: OutlineEntry): string {
  switch (entry.kind) {
    case 'person':
      return 'person';
    case 'ambiguous-names':
      return 'question';
    case 'unknown-people':
      return 'warning';
    default:
      return 'mention';
  }
}
