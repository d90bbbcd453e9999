import * as assert from 'assert';
import { decodeUtf8Steps, encodeUtf8Steps, runNow } from '../../src/core';

/** Runs steps to the end, counting them. */
function stepsOf<T>(steps: Generator<void, T, void>): { value: T; count: number } {
  let count = 0;
  for (;;) {
    const next = steps.next();
    if (next.done) return { value: next.value, count };
    count++;
  }
}

describe('UTF-8 in steps', () => {
  const piece = 256 * 1024;
  // Characters of one to four bytes, and surrogate pairs, falling on every side of the pieces' edges.
  const texts = {
    'a pair across the first edge': 'a'.repeat(piece - 1) + '😀' + 'b'.repeat(10),
    'a pair right after the edge': 'a'.repeat(piece) + '😀',
    'three-byte characters': 'ℵ'.repeat(piece + 7),
    'mixed, over several pieces': Array.from({ length: 3 * piece }, (_, i) => ['x', 'é', 'Ж', '€', '𝔸', '\n'][i % 6]).join(''),
    'a lone surrogate': 'a'.repeat(piece - 1) + '\ud800' + 'z',
    empty: '',
  };

  it('encodes as TextEncoder does, a piece per step, never cutting a surrogate pair', () => {
    for (const [name, text] of Object.entries(texts)) {
      const { value, count } = stepsOf(encodeUtf8Steps(text));
      assert.deepStrictEqual(Buffer.from(value), Buffer.from(new TextEncoder().encode(text)), name);
      // One step a piece; a piece that ends on a high surrogate takes the character after it.
      assert.ok(count <= Math.ceil(text.length / piece) && count >= Math.floor(text.length / piece), `${name}: ${count} steps`);
    }
  });

  it('decodes as TextDecoder does, a piece per step, characters cut between pieces included', () => {
    for (const [name, text] of Object.entries(texts)) {
      const bytes = new TextEncoder().encode(text);
      const { value, count } = stepsOf(decodeUtf8Steps(bytes));
      assert.strictEqual(value, new TextDecoder().decode(bytes), name);
      assert.strictEqual(count, Math.ceil(bytes.length / piece), name);
    }
    // Bytes that are not UTF-8, cut anywhere, read as the decoder at once reads them.
    const broken = new Uint8Array(piece + 3).fill(0x61);
    broken.set([0xe2, 0x82], piece - 1);
    broken[piece + 2] = 0xff;
    assert.strictEqual(runNow(decodeUtf8Steps(broken)), new TextDecoder().decode(broken));
  });
});
