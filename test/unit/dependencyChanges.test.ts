import * as assert from 'assert';
import { DependencyChanges } from '../../src/extension/dependencyChanges';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const quietMs = 40;
/** Long enough for a file written `quietMs` before to settle, and its callback to run. */
const settleMs = quietMs * 3;
const key = 'file:///w/book.yaml';

interface Editor {
  text: string;
  dirty: boolean;
  version: number;
}

/**
 * A disk, an editor and a service as `AnnotationService` wires them: each
 * read of the file takes its text as `WorkspaceReader` does (the text read
 * before while the file is written, the disk while the editor is behind,
 * the editor otherwise), and is logged.
 */
function world(start: { disk: string; editor?: string }) {
  const disk = { text: start.disk, mtime: Date.now() - 1000 };
  let editor: Editor | undefined = start.editor === undefined ? undefined : { text: start.editor, dirty: false, version: 1 };
  let lastRead: string | undefined = start.editor ?? start.disk;
  const reads: string[] = [];
  const forgotten: string[] = [];
  const changes: DependencyChanges = new DependencyChanges(
    {
      editor: (k) => (k === key && editor ? { dirty: editor.dirty, version: editor.version, text: () => editor?.text ?? '' } : undefined),
      lastReadText: () => lastRead,
      changed: () => {
        if (!changes.whileWritten(key)) lastRead = editor && (editor.dirty || !changes.fromDisk(key)) ? editor.text : disk.text;
        reads.push(lastRead ?? '');
      },
      forget: (k) => forgotten.push(k),
      buildsEnded: () => Promise.resolve(),
    },
    quietMs,
    10_000,
    (k) => Promise.resolve(k === key ? { mtime: disk.mtime, size: Buffer.byteLength(disk.text, 'utf8') } : undefined),
  );
  return {
    changes,
    reads,
    forgotten,
    /** A piece written on disk and reported by the watcher. */
    write(text: string): void {
      disk.text = text;
      disk.mtime = Date.now();
      changes.onDisk(key);
    },
    /** VS Code reloads the editor from disk, or part of it: a change that leaves it clean. */
    reload(text: string): void {
      assert.ok(editor);
      editor.text = text;
      editor.version++;
      changes.onEditor(key, true, { ...editor, text: () => text });
    },
    /** A keystroke, reported with the editor marked changed or, as VS Code for the Web may, before. */
    type(text: string, markedDirty: boolean): void {
      assert.ok(editor);
      editor.text += text;
      editor.version++;
      editor.dirty = markedDirty;
      const now = editor.text;
      changes.onEditor(key, true, { ...editor, text: () => now });
    },
    /** The dirty state changed alone, as after a save or a late mark: a change without content. */
    markDirty(dirty: boolean): void {
      assert.ok(editor);
      editor.dirty = dirty;
      const now = editor.text;
      changes.onEditor(key, false, { ...editor, text: () => now });
    },
    close(): void {
      editor = undefined;
    },
  };
}

const whole = 'people:\n  kropotkin:\n    name: Peter Kropotkin\n  lenin:\n    name: Vladimir Lenin\n';
const half = whole.slice(0, 30);
const before = 'people:\n  kropotkin:\n    name: Kropotkin\n';

describe('changes of a sidecar, on disk and in its editor', () => {
  it('reads a closed file written in pieces once, whole, once it has settled', async () => {
    const w = world({ disk: before });
    w.write(half);
    await pause(quietMs / 3);
    w.write(whole);
    assert.ok(w.changes.whileWritten(key));
    assert.deepStrictEqual(w.reads, []);
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [whole]);
    assert.deepStrictEqual(w.forgotten, [key]);
    assert.ok(!w.changes.whileWritten(key));
    w.changes.dispose();
  });

  it('reads an open file from disk while its editor is behind, skips half reloads, and does not read it again once the editor catches up', async () => {
    const w = world({ disk: before, editor: before });
    w.write(half);
    w.write(whole);
    // Reloaded during the write: the text read before stands.
    w.reload(half);
    assert.deepStrictEqual(w.reads, []);
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [whole], 'read from disk, not from the half-reloaded editor');
    assert.ok(w.changes.fromDisk(key));
    w.reload(whole.slice(0, 50));
    assert.deepStrictEqual(w.reads, [whole]);
    assert.ok(w.changes.fromDisk(key));
    w.reload(whole);
    assert.ok(!w.changes.fromDisk(key), 'read from its editor again');
    await pause(5);
    assert.deepStrictEqual(w.reads, [whole], 'the same text as was read: no build');
    w.changes.dispose();
  });

  it('reads an editor that caught up with a text other than the one read from disk', async () => {
    const w = world({ disk: before, editor: before });
    w.write(whole);
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [whole]);
    // As many bytes, other text: a rewrite of the same size whose report has not come yet.
    const sameSize = whole.replace('Lenin', 'Lenon');
    w.reload(sameSize);
    await pause(5);
    assert.deepStrictEqual(w.reads, [whole, sameSize]);
    w.changes.dispose();
  });

  it('reads a keystroke reported before its editor is marked changed, while the file settles, once the editor is marked', async () => {
    const w = world({ disk: before, editor: before });
    w.write(whole);
    w.type('#', false);
    assert.deepStrictEqual(w.reads, [], 'taken for a reload while the file settles');
    w.markDirty(true);
    assert.deepStrictEqual(w.reads, [`${before}#`], "the user's text, at once");
    assert.ok(!w.changes.whileWritten(key));
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [`${before}#`], 'the settling it overtook reads nothing');
    w.changes.dispose();
  });

  it('reads a keystroke reported before its editor is marked changed, while the editor is behind, once the editor is marked', async () => {
    const w = world({ disk: before, editor: before });
    w.write(whole);
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [whole]);
    w.type('#', false);
    assert.deepStrictEqual(w.reads, [whole], 'taken for a reload that does not bring the editor level');
    w.markDirty(true);
    assert.ok(!w.changes.fromDisk(key), "the user's edit wins over the disk");
    assert.deepStrictEqual(w.reads, [whole, `${before}#`]);
    w.changes.dispose();
  });

  it('reads the user’s edit at once while the file settles, and nothing when it settles', async () => {
    const w = world({ disk: before, editor: before });
    w.write(whole);
    w.type('#', true);
    assert.deepStrictEqual(w.reads, [`${before}#`]);
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [`${before}#`]);
    w.changes.dispose();
  });

  it('reads nothing on a save, nor on a write of what its editor holds', async () => {
    const w = world({ disk: before, editor: before });
    w.markDirty(true);
    w.markDirty(false);
    // The editor's own save, seen on disk: the same bytes as the editor, the text read before.
    w.write(before);
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, []);
    assert.ok(!w.changes.fromDisk(key));
    w.changes.dispose();
  });

  it('leaves a file alone on disk while its editor holds changes of its own', async () => {
    const w = world({ disk: before, editor: before });
    w.type('#', true);
    assert.deepStrictEqual(w.reads, [`${before}#`]);
    w.write(whole);
    assert.ok(!w.changes.whileWritten(key));
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [`${before}#`]);
    w.changes.dispose();
  });

  it('reads a file from disk when its editor closes while it settles', async () => {
    const w = world({ disk: before, editor: before });
    w.write(whole);
    w.close();
    await pause(settleMs);
    assert.deepStrictEqual(w.reads, [whole]);
    assert.deepStrictEqual(w.forgotten, [key]);
    w.changes.dispose();
  });
});
