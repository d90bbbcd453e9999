/** What the service sees of an open file's editor. */
export interface EditorState {
  readonly dirty: boolean;
  text(): string;
}

/** Whether an editor's text is as many bytes as its file on disk: an editor leaves out a byte order mark. */
export function holdsBytes(text: string, size: number): boolean {
  // Counted without encoding the text, which for a large file is megabytes of garbage; a lone surrogate counts as
  // U+FFFD, as `TextEncoder` writes it.
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes === size || bytes + 3 === size;
}

/**
 * Open files without changes of their own that settled on disk before their
 * editors reloaded them, with their size on disk: they are read from disk
 * until the editor holds as much. VS Code for the Web reloaded the bench's
 * 3.8 MB sidecar 10 to 25 s after it was written, half-written copies first.
 */
export class EditorsBehind {
  private readonly sizes = new Map<string, number>();

  /** Whether `key` is read from disk rather than from its editor. */
  has(key: string): boolean {
    return this.sizes.has(key);
  }

  /**
   * An open file settled on disk, `size` bytes there (undefined if gone):
   * whether what it reads as changed. An editor that holds as many bytes has
   * reloaded it, or saved it itself, or awaits a write of the same size,
   * which its reload will bring; one that does not is behind.
   */
  settled(key: string, size: number | undefined, editor: EditorState, lastReadText: string | undefined): boolean {
    if (size === undefined || editor.dirty) return true;
    const text = editor.text();
    if (!holdsBytes(text, size)) {
      this.sizes.set(key, size);
      return true;
    }
    return text !== lastReadText;
  }

  /**
   * A change that leaves an editor without changes of its own, once the file
   * has settled: VS Code's reload. `'read'` if it is read as any change,
   * `'ignored'` while the editor is behind and this reload does not bring it
   * level, `'caughtUp'` when it does: from then on the editor is read.
   */
  reloaded(key: string, editor: EditorState): 'read' | 'ignored' | 'caughtUp' {
    const size = this.sizes.get(key);
    if (size === undefined) return 'read';
    if (!holdsBytes(editor.text(), size)) return 'ignored';
    this.sizes.delete(key);
    return 'caughtUp';
  }

  /** The user's own edit wins over the disk; says whether the file was read from disk until then. */
  edited(key: string): boolean {
    return this.sizes.delete(key);
  }
}
