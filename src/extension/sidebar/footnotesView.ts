import * as vscode from 'vscode';
import { footnoteOutline, type AnnotationIndex, type OutlineEntry, type OutlineOptions } from '../../core';
import { OutlineTreeProvider } from './outlineView';

/** The Footnotes view: every note of the active text, with a warning on notes that are never defined. */
export class FootnotesTreeProvider extends OutlineTreeProvider {
  protected entries(index: AnnotationIndex, options: OutlineOptions): OutlineEntry[] {
    return footnoteOutline(index, options);
  }

  getTreeItem(entry: OutlineEntry): vscode.TreeItem {
    const item = this.active.treeItem(entry);
    item.iconPath = entry.kind === 'footnote-undefined' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('note');
    return item;
  }
}
