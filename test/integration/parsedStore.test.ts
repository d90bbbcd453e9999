import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { ParseCache, parseSidecar, steppedLoadChars, type Scheduler } from '../../src/core';
import { GlobalStorageParsedStore } from '../../src/extension/parsedStore';

const turn: Scheduler = () => new Promise((resolve) => setImmediate(resolve));

/** A sidecar large enough to be read in steps, with one unknown field, which only the precise read reports. */
function largeSidecar(): string {
  const lines = ['people:'];
  for (let n = 0; n < 3000; n++) {
    lines.push(`  person${n}:`, `    name: Person Number${n}`, `    aliases: [P${n}]`, `    description: A correspondent of the exiles, number ${n}.`);
    if (n === 7) lines.push('    colour: red');
  }
  return `${lines.join('\n')}\n`;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('sidecar records in the extension storage', () => {
  const sidecarUri = 'file:///essays/book.yaml';

  it('keeps a large sidecar’s precise read, which the next session serves at once, and another version does not', async () => {
    const folder = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-records-')), 'parsed'));
    const text = largeSidecar();
    assert.ok(text.length >= steppedLoadChars);
    const precise = parseSidecar(sidecarUri, text);
    assert.deepStrictEqual(precise.diagnostics.map((d) => d.code), ['unknown-field']);

    const first = new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0'));
    // The first session: the quick read, without diagnostics; the record once the precise read is done.
    assert.deepStrictEqual((await first.sidecarInSteps(sidecarUri, text, turn)).diagnostics, []);
    await until(() => fs.existsSync(folder.fsPath) && fs.readdirSync(folder.fsPath).some((name) => name.endsWith('.jsonl')), 'the record');

    const next = new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0'));
    assert.deepStrictEqual(await next.sidecarInSteps(sidecarUri, text, turn), precise);

    const otherVersion = new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.1'));
    assert.deepStrictEqual((await otherVersion.sidecarInSteps(sidecarUri, text, turn)).diagnostics, []);
  });

  it('keeps at most sixteen records, dropping those written longest ago', async () => {
    const folder = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-records-')), 'parsed'));
    const store = new GlobalStorageParsedStore(folder, '1.0.0');
    for (let n = 0; n < 20; n++) {
      await store.write(`file:///essays/book${n}.yaml`, `record ${n}`);
      // Apart in time, so that the oldest is told by its modification time.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.strictEqual(fs.readdirSync(folder.fsPath).length, 16);
    assert.strictEqual(await store.read('file:///essays/book0.yaml'), undefined);
    assert.strictEqual(await store.read('file:///essays/book19.yaml'), 'record 19');
  });
});
