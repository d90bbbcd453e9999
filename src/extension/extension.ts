import * as vscode from 'vscode';

export interface MarginaliaApi {
  /** The same object as `marginalia index FILE --json` prints. */
  index(uri: vscode.Uri): Promise<unknown>;
}

export function activate(_context: vscode.ExtensionContext): MarginaliaApi {
  return {
    index: () => Promise.resolve(undefined),
  };
}

export function deactivate(): void {
  // Disposables in context.subscriptions are released by VS Code.
}
