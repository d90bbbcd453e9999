import * as vscode from 'vscode';
import { indexToJson, type IndexJson } from '../core';
import { AnnotationService, type IndexStats } from './annotationService';
import { GlobalStorageParsedStore } from './parsedStore';
import { register as registerHover } from './hover';
import { register as registerDiagnostics } from './diagnostics';
import { register as registerCompletion } from './completion';
import { register as registerSymbols } from './symbols';
import { register as registerSidebar } from './sidebar/sidebar';
import { registerNavigation } from './rename';
import { register as registerCommands } from './commands/commands';
import { register as registerFormattedReferences } from './commands/formatted';

export interface MarginaliaApi {
  /** The same object as `marginalia index FILE --json` prints, for the text at `uri`. */
  index(uri: vscode.Uri): Promise<IndexJson>;
  /** Milliseconds from the start of `activate` to its return, for `npm run bench:vscode`. */
  readonly activationMs: number;
  /** How many indexes were parsed in full, how many edits were applied to an index in place and the milliseconds those took in all, and the timing of the last full build. */
  indexStats(): Readonly<IndexStats>;
}

export function activate(context: vscode.ExtensionContext): MarginaliaApi {
  const activationStart = performance.now();
  const service = new AnnotationService(new GlobalStorageParsedStore(vscode.Uri.joinPath(context.globalStorageUri, 'parsed'), String((context.extension.packageJSON as { version?: unknown }).version)));
  context.subscriptions.push(service);
  registerHover(context, service);
  registerDiagnostics(context, service);
  registerCompletion(context, service);
  registerSymbols(context, service);
  registerSidebar(context, service);
  registerNavigation(context, service);
  registerCommands(context, service);
  registerFormattedReferences(context, service);

  const activationMs = performance.now() - activationStart;
  return {
    activationMs,
    indexStats: () => ({ ...service.stats }),
    async index(uri) {
      const document = await vscode.workspace.openTextDocument(uri);
      return indexToJson(await service.getIndex(document), (u) => vscode.workspace.asRelativePath(vscode.Uri.parse(u), false));
    },
  };
}

export function deactivate(): void {
  // Everything is released through context.subscriptions.
}
