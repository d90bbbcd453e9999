import { createHash } from 'crypto';
import * as vscode from 'vscode';
import type { ParsedStore, TextDigester } from '../core';
import { bytesOfRecord, recordOfBytes } from './recordBytes';

/** Records kept at most: one per large sidecar or library, and a scholar works with a few. */
const maxRecords = 16;

/**
 * Keeps the records of large sidecars' precise reads, and of large
 * libraries' search tables, in the extension's global storage, one file per
 * sidecar or library, so that the next session serves an unchanged one
 * sooner. The extension's version is part of each digest: a record written
 * by another version, whose parser may read the same text otherwise, is a
 * miss and is overwritten.
 */
export class GlobalStorageParsedStore implements ParsedStore {
  constructor(
    private readonly folder: vscode.Uri,
    private readonly version: string,
  ) {}

  digester(): TextDigester {
    const hash = createHash('sha256').update(`${this.version}\0`);
    return {
      // A string is hashed as its UTF-8, so a file's own bytes give the same digest as its text.
      update: (piece) => void hash.update(piece),
      updateBytes: (chunk) => void hash.update(chunk),
      digest: () => hash.digest('base64url'),
    };
  }

  async read(uri: string): Promise<string | undefined> {
    try {
      return recordOfBytes(await vscode.workspace.fs.readFile(this.fileOf(uri)));
    } catch {
      return undefined;
    }
  }

  async write(uri: string, record: string): Promise<void> {
    await vscode.workspace.fs.createDirectory(this.folder);
    await vscode.workspace.fs.writeFile(this.fileOf(uri), bytesOfRecord(record));
    await this.prune();
  }

  /** The file of a sidecar's or library's record: named by a digest of its uri, which may hold anything a file name may not. */
  private fileOf(uri: string): vscode.Uri {
    return vscode.Uri.joinPath(this.folder, `${createHash('sha256').update(uri).digest('hex').slice(0, 32)}.jsonl`);
  }

  /** Drops the records written longest ago past `maxRecords`, so that sidecars long gone do not fill the disk. */
  private async prune(): Promise<void> {
    const entries = await vscode.workspace.fs.readDirectory(this.folder);
    const records = entries.filter(([name, type]) => type === vscode.FileType.File && name.endsWith('.jsonl'));
    if (records.length <= maxRecords) return;
    const dated = await Promise.all(records.map(async ([name]) => ({ file: vscode.Uri.joinPath(this.folder, name), mtime: (await vscode.workspace.fs.stat(vscode.Uri.joinPath(this.folder, name))).mtime })));
    dated.sort((a, b) => b.mtime - a.mtime);
    for (const { file } of dated.slice(maxRecords)) await vscode.workspace.fs.delete(file);
  }
}
