import * as vscode from 'vscode';
import { indexToJson, type IndexJson } from '../core';
import { AnnotationService } from './annotationService';

export interface MarginaliaApi {
  /** The same object as `marginalia index FILE --json` prints, for the text at `uri`. */
  index(uri: vscode.Uri): Promise<IndexJson>;
}

export function activate(context: vscode.ExtensionContext): MarginaliaApi {
  const service = new AnnotationService();
  context.subscriptions.push(service);

  return {
    async index(uri) {
      const document = await vscode.workspace.openTextDocument(uri);
      return indexToJson(await service.getIndex(document), (u) => vscode.workspace.asRelativePath(vscode.Uri.parse(u), false));
    },
  };
}

export function deactivate(): void {
  // Everything is released through context.subscriptions.
}
