import * as assert from 'assert';
import fc from 'fast-check';
import { EditorsBehind, holdsBytes, type EditorState } from '../../src/extension/editorsBehind';

const clean = (text: string): EditorState => ({ dirty: false, text: () => text });
const whole = 'people:\n  lenin:\n    name: Vladimir Lenin\n    description: Ленин, exported\n';
const bytes = (text: string): number => new TextEncoder().encode(text).length;

describe('open files whose editor is behind the disk', () => {
  it('counts an editor level with its file by UTF-8 bytes, a byte order mark left out', () => {
    assert.ok(holdsBytes(whole, bytes(whole)));
    assert.ok(holdsBytes(whole, bytes(whole) + 3));
    // Characters are not bytes: the Cyrillic name is two bytes a letter.
    assert.ok(!holdsBytes(whole, whole.length));
    assert.ok(!holdsBytes(whole.slice(0, 20), bytes(whole)));
    // Pairs, characters of two, three and four bytes, and lone surrogates, counted as `TextEncoder` writes them.
    for (const text of ['😀 and é, Ж, €, 𝔸\n', 'ℵ'.repeat(9), '\udc00', '\ud800', '\ud800\ud800\udc00', '\udc00\ud800', 'x\ud83d', '']) {
      assert.ok(holdsBytes(text, bytes(text)), JSON.stringify(text));
      assert.ok(!holdsBytes(text, bytes(text) + 1), JSON.stringify(text));
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => holdsBytes(text, bytes(text)) && !holdsBytes(text, bytes(text) - 1)),
      { numRuns: 500 },
    );
  });

  it('reads a file from disk while its editor holds a half-written reload, then from the editor once level, with no change read for it', () => {
    const behind = new EditorsBehind();
    const before = 'people:\n  lenin:\n    name: Vladimir Lenin\n';
    // Settled on disk while the editor still holds the text read before.
    assert.strictEqual(behind.settled('s.yaml', bytes(whole), clean(before), before), true);
    assert.ok(behind.has('s.yaml'));
    // VS Code reloads a half-written copy, then the whole file.
    assert.strictEqual(behind.reloaded('s.yaml', clean(whole.slice(0, 30))), 'ignored');
    assert.ok(behind.has('s.yaml'));
    assert.strictEqual(behind.reloaded('s.yaml', clean(whole)), 'caughtUp');
    assert.ok(!behind.has('s.yaml'));
    // A later reload is any change.
    assert.strictEqual(behind.reloaded('s.yaml', clean(whole)), 'read');
  });

  it('reads from the editor a file it has reloaded already, and reads nothing new after its own save', () => {
    const behind = new EditorsBehind();
    const before = 'people: {}\n';
    assert.strictEqual(behind.settled('reloaded.yaml', bytes(whole), clean(whole), before), true);
    assert.ok(!behind.has('reloaded.yaml'));
    assert.strictEqual(behind.settled('saved.yaml', bytes(whole), clean(whole), whole), false);
    assert.ok(!behind.has('saved.yaml'));
  });

  it('leaves a file the user edits, or one gone from disk, to its editor', () => {
    const behind = new EditorsBehind();
    assert.strictEqual(behind.settled('edited.yaml', bytes(whole), { dirty: true, text: () => 'people: {}\n' }, whole), true);
    assert.ok(!behind.has('edited.yaml'));
    assert.strictEqual(behind.settled('gone.yaml', undefined, clean(whole), whole), true);
    assert.ok(!behind.has('gone.yaml'));
    // Behind, then edited: the edit wins.
    assert.strictEqual(behind.settled('s.yaml', bytes(whole), clean('people: {}\n'), 'people: {}\n'), true);
    assert.strictEqual(behind.edited('s.yaml'), true);
    assert.ok(!behind.has('s.yaml'));
    assert.strictEqual(behind.edited('s.yaml'), false);
  });
});
