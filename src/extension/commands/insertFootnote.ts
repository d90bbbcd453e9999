import * as vscode from 'vscode';
import { footnoteInsertion, nextFootnoteNumber, type AnnotationIndex } from '../../core';

/**
 * `marginalia.insertFootnote`: `[^n]` at the cursor and its definition `[^n]: `
 * at the end of the text, in one edit, then the cursor where the note is written.
 */
export class InsertFootnoteCommand {
  constructor(private readonly indexOf: (document: vscode.TextDocument) => Promise<AnnotationIndex | undefined>) {}

  async run(editor: vscode.TextEditor): Promise<boolean> {
    const document = editor.document;
    const index = await this.indexOf(document);
    if (!index) {
      void vscode.window.showWarningMessage(vscode.l10n.t('The text kept changing, so nothing was inserted. Try again.'));
      return false;
    }
    const label = String(nextFootnoteNumber(index.footnotes));
    // The reference goes after the selection, so selected text is never replaced by a note marker.
    const { edits, cursor } = footnoteInsertion(index.text, document.offsetAt(editor.selection.end), label);
    const edit = new vscode.WorkspaceEdit();
    for (const { span, text } of edits) edit.replace(document.uri, new vscode.Range(document.positionAt(span.start), document.positionAt(span.end)), text);
    const version = document.version;
    if (!(await vscode.workspace.applyEdit(edit))) return false;
    // Only move the cursor if nothing else changed the text meanwhile, or the offset would point elsewhere.
    if (document.version === version + 1 && vscode.window.activeTextEditor?.document === document) {
      const position = document.positionAt(cursor);
      editor.selection = new vscode.Selection(position, position);
      editor.revealRange(new vscode.Range(position, position));
    }
    return true;
  }
}
