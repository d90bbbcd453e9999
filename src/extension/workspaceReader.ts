import * as vscode from 'vscode';
import type { FileReader } from '../core';

/**
 * Reads files the way the user sees them: an open editor's unsaved text wins,
 * otherwise `workspace.fs`, so virtual file systems work too.
 */
export class WorkspaceReader implements FileReader {
  async readText(uri: string): Promise<string | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (open) return open.getText();
    try {
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.parse(uri));
      return new TextDecoder('utf-8').decode(bytes);
    } catch (error) {
      if (error instanceof vscode.FileSystemError && (error.code === 'FileNotFound' || error.code === 'EntryNotFound')) return undefined;
      throw error;
    }
  }
}
