import * as vscode from 'vscode';
import type { AnnotationIndex } from '../../core';
import { isAnnotatedText, type AnnotationService } from '../annotationService';
import { AnnotatePersonCommand } from './annotatePerson';
import { InsertCitationCommand } from './insertCitation';
import { InsertFootnoteCommand } from './insertFootnote';
import { OpenSidecarCommand } from './openSidecar';

/** The palette commands that edit a text or its sidecar. Each returns true when it changed something. */
export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  const indexOf = (document: vscode.TextDocument): Promise<AnnotationIndex | undefined> => currentIndex(service, document);
  const openSidecar = new OpenSidecarCommand(service, indexOf);
  const insertCitation = new InsertCitationCommand(indexOf);
  const insertFootnote = new InsertFootnoteCommand(indexOf);
  const annotatePerson = new AnnotatePersonCommand(service, indexOf, openSidecar);
  context.subscriptions.push(
    vscode.commands.registerCommand('marginalia.insertCitation', (args?: unknown) => withEditor((editor) => insertCitation.run(editor, optionsOf(args)))),
    vscode.commands.registerCommand('marginalia.insertFootnote', () => withEditor((editor) => insertFootnote.run(editor))),
    vscode.commands.registerCommand('marginalia.annotatePerson', (args?: unknown) => withEditor((editor) => annotatePerson.run(editor, optionsOf(args)))),
    vscode.commands.registerCommand('marginalia.openSidecar', (uri?: unknown) => openSidecar.run(uri instanceof vscode.Uri ? uri : annotatedEditor()?.document.uri)),
  );
}

function annotatedEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  return editor && isAnnotatedText(editor.document) ? editor : undefined;
}

/** Runs a command on the active annotated text, or says why it cannot. */
async function withEditor(command: (editor: vscode.TextEditor) => Promise<boolean>): Promise<boolean> {
  const editor = annotatedEditor();
  if (!editor) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open an annotated text (*.annot.md) in the editor first.'));
    return false;
  }
  return command(editor);
}

/**
 * The index of the document's current version. The document may change while
 * the index is built, so ask again until both agree: an edit computed from an
 * older index would land in the wrong place.
 */
async function currentIndex(service: AnnotationService, document: vscode.TextDocument): Promise<AnnotationIndex | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const index = await service.getIndex(document);
    if (index.version === document.version) return index;
  }
  return undefined;
}

/** Options given by a keybinding or a caller. The editor's context menu passes the document's URI instead: that means no options. */
function optionsOf(args: unknown): unknown {
  return args instanceof vscode.Uri ? undefined : args;
}
