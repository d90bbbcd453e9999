import * as vscode from 'vscode';
import { peopleOutline, type AnnotationIndex, type OutlineEntry, type OutlineOptions } from '../../core';
import { OutlineTreeProvider } from './outlineView';

/** The People view: who the text mentions and how often, each with their mentions in context. */
export class PeopleTreeProvider extends OutlineTreeProvider {
  protected entries(index: AnnotationIndex, options: OutlineOptions): OutlineEntry[] {
    return peopleOutline(index, options);
  }

  getTreeItem(entry: OutlineEntry): vscode.TreeItem {
    // A text can mention dozens of people hundreds of times: open, every list would bury the next name.
    const item = this.active.treeItem(entry, vscode.TreeItemCollapsibleState.Collapsed);
    item.iconPath = new vscode.ThemeIcon(iconFor(entry));
    return item;
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
