import * as vscode from 'vscode';
import type { AnnotationIndex, OutlineEntry, OutlineOptions } from '../../core';
import type { ActiveAnnotatedText } from './sidebar';

const translated: OutlineOptions = { t: (message, ...args) => vscode.l10n.t(message, ...args) };

/**
 * What the three Annotations views share: they follow the active text, and
 * rebuild their rows only when its index (or a setting the rows depend on) changes.
 */
export abstract class OutlineTreeProvider implements vscode.TreeDataProvider<OutlineEntry>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  private rows: { index: AnnotationIndex; key: string; entries: OutlineEntry[] } | undefined;

  readonly onDidChangeTreeData = this.changed.event;

  constructor(protected readonly active: ActiveAnnotatedText) {
    this.subscription = active.onDidChange(() => this.changed.fire());
  }

  /** The rows of the active text's index. */
  protected abstract entries(index: AnnotationIndex, options: OutlineOptions): OutlineEntry[];

  /** A setting the rows depend on, so a change rebuilds them. */
  protected settingsKey(): string {
    return '';
  }

  abstract getTreeItem(entry: OutlineEntry): vscode.TreeItem;

  /** VS Code asks for a row's children only when it is expanded, and only then are they made. */
  getChildren(element?: OutlineEntry): OutlineEntry[] {
    if (element) {
      // Rows hold the index they were made from. After a keystroke updated that index in place,
      // its lists belong to the new version: make no rows from it, and let the refresh make them.
      if (!this.active.isCurrent()) {
        void this.active.update();
        return [];
      }
      return [...element.children];
    }
    const index = this.active.index;
    if (!index) return [];
    const key = this.settingsKey();
    if (this.rows?.index !== index || this.rows.key !== key) this.rows = { index, key, entries: this.entries(index, translated) };
    return this.rows.entries;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
