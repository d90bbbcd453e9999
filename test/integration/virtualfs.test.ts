import * as assert from 'assert';
import * as vscode from 'vscode';

/** A file system that exists only in memory, as a virtual workspace's would. */
class MemoryFileSystem implements vscode.FileSystemProvider {
  private readonly files = new Map<string, Uint8Array>();
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    if (uri.path === '/') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    const data = this.files.get(uri.path);
    if (!data) throw vscode.FileSystemError.FileNotFound(uri);
    return { type: vscode.FileType.File, ctime: 0, mtime: Date.now(), size: data.byteLength };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [...this.files.keys()].map((p) => [p.slice(1), vscode.FileType.File]);
  }

  createDirectory(): void {}

  readFile(uri: vscode.Uri): Uint8Array {
    const data = this.files.get(uri.path);
    if (!data) throw vscode.FileSystemError.FileNotFound(uri);
    return data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    const created = !this.files.has(uri.path);
    this.files.set(uri.path, content);
    this.emitter.fire([{ type: created ? vscode.FileChangeType.Created : vscode.FileChangeType.Changed, uri }]);
  }

  delete(uri: vscode.Uri): void {
    this.files.delete(uri.path);
    this.emitter.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  rename(from: vscode.Uri, to: vscode.Uri): void {
    const data = this.readFile(from);
    this.files.delete(from.path);
    this.files.set(to.path, data);
  }
}

describe('virtual file systems', () => {
  const scheme = 'marginalia-memory';
  const memory = new MemoryFileSystem();
  let registration: vscode.Disposable;

  before(async () => {
    registration = vscode.workspace.registerFileSystemProvider(scheme, memory, { isCaseSensitive: true });
    const write = (path: string, text: string) => memory.writeFile(vscode.Uri.from({ scheme, path }), new TextEncoder().encode(text));
    write('/essay.annot.md', 'Kropotkin wrote to Lenin [@shub1953] and [[nobody]].\n');
    write('/essay.yaml', 'people:\n  kropotkin:\n    name: Peter Kropotkin\n    aliases: [Kropotkin]\n    description: Geographer\nreferences:\n  - id: shub1953\n    title: Kropotkin and Lenin\n    author: [{family: Shub, given: David}]\n    issued: {date-parts: [[1953]]}\n');
    await vscode.extensions.getExtension('marginalia.marginalia')?.activate();
  });

  after(() => {
    registration.dispose();
  });

  it('reads the text and its sidecar through workspace.fs, with no file on disk', async () => {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme, path: '/essay.annot.md' }));
    assert.strictEqual(document.languageId, 'annotated-text');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(0, 3));
    const text = hovers.flatMap((h) => h.contents.map((c) => (c instanceof vscode.MarkdownString ? c.value : typeof c === 'string' ? c : c.value))).join('\n');
    assert.ok(text.includes('Peter Kropotkin'), text);
    const deadline = Date.now() + 8000;
    let codes: string[] = [];
    while (Date.now() < deadline) {
      codes = vscode.languages.getDiagnostics(document.uri).map((d) => String(typeof d.code === 'object' ? d.code.value : d.code));
      if (codes.includes('unknown-person')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepStrictEqual(codes, ['unknown-person']);
  });
});
