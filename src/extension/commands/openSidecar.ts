import * as vscode from 'vscode';
import { sidecarTemplate, sidecarUriFor, stemOf, type AnnotationIndex } from '../../core';
import { isAnnotatedText, type AnnotationService } from '../annotationService';

/** `marginalia.openSidecar`: opens the text's sidecar, creating `<stem>.yaml` from a commented template if there is none. */
export class OpenSidecarCommand {
  constructor(
    private readonly service: AnnotationService,
    private readonly indexOf: (document: vscode.TextDocument) => Promise<AnnotationIndex | undefined>,
  ) {}

  async run(textUri: vscode.Uri | undefined): Promise<boolean> {
    if (!textUri) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open an annotated text (*.annot.md) in the editor first.'));
      return false;
    }
    const text = await vscode.workspace.openTextDocument(textUri);
    if (!isAnnotatedText(text)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is not an annotated text (*.annot.md), so it has no sidecar.', vscode.workspace.asRelativePath(textUri, false)));
      return false;
    }
    const index = await this.indexOf(text);
    if (!index) return false;
    const sidecar = await this.sidecarDocument(index);
    await vscode.window.showTextDocument(sidecar, { preview: false });
    return true;
  }

  /** The text's own sidecar as a document, created from the template when the file does not exist yet. */
  async sidecarDocument(index: AnnotationIndex): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.parse(sidecarUriFor(index));
    if (!(await exists(uri))) {
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(sidecarTemplate(stemOf(index.uri))));
      // The file watcher only sees workspace folders; a text elsewhere must learn of its new sidecar too.
      this.service.refresh();
    }
    return vscode.workspace.openTextDocument(uri);
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  // An open, unsaved document counts: never overwrite what the user has in an editor.
  if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) return true;
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch (error) {
    if (error instanceof vscode.FileSystemError && (error.code === 'FileNotFound' || error.code === 'EntryNotFound')) return false;
    throw error;
  }
}
