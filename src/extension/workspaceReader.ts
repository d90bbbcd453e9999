import * as vscode from 'vscode';
import type { FileContent, FileReader } from '../core';

/** The open document of a URI, if any: an editor's text wins over the disk's. */
export function openDocument(uri: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri);
}

/**
 * Reads files the way the user sees them: an open editor's unsaved text wins,
 * otherwise `workspace.fs`, so virtual file systems work too.
 */
export class WorkspaceReader implements FileReader {
  constructor(
    private readonly options: {
      /** For a file still being written on disk, the text to read meanwhile: the one read before it changed. */
      readonly whileWritten?: (uri: string) => string | undefined;
      /** Whether an open file without changes of its own is newer on disk than in its editor, which has yet to reload it. */
      readonly fromDisk?: (uri: string) => boolean;
    } = {},
  ) {}

  async read(uri: string, maxBytes: number): Promise<FileContent | undefined> {
    // An open file's editor reloads it as it is written, half-written too.
    const before = this.options.whileWritten?.(uri);
    if (before !== undefined) return { kind: 'text', text: before };
    const open = openDocument(uri);
    if (open && (open.isDirty || !this.options.fromDisk?.(uri))) return { kind: 'text', text: open.getText(), unsaved: open.isDirty };
    try {
      const target = vscode.Uri.parse(uri);
      // Stat first, so a huge file in someone else's repository is never loaded into memory.
      const { size } = await vscode.workspace.fs.stat(target);
      if (size > maxBytes) return { kind: 'tooLarge', size };
      return { kind: 'bytes', bytes: await vscode.workspace.fs.readFile(target) };
    } catch (error) {
      if (error instanceof vscode.FileSystemError && (error.code === 'FileNotFound' || error.code === 'EntryNotFound')) return undefined;
      throw error;
    }
  }
}
