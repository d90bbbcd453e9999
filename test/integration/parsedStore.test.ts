import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { mergeRegistry, parseBibliography, ParseCache, parseCslJson, parseSidecar, ReferenceSearch, referenceSearchFor, steppedLoadChars, type Reference, type Scheduler } from '../../src/core';
import { GlobalStorageParsedStore } from '../../src/extension/parsedStore';

const turn: Scheduler = () => new Promise((resolve) => setImmediate(resolve));

/** A sidecar large enough to be read in steps, with one unknown field, which only the precise read reports. */
function largeSidecar(): string {
  const lines = ['people:'];
  for (let n = 0; n < 3000; n++) {
    // Names past ASCII, which a record keeps escaped, one outside the Basic Multilingual Plane.
    const name = n % 3 === 0 ? `Пётр Număr${n}` : n % 3 === 1 ? `Person Number${n}` : `𝔓erson ${n}`;
    lines.push(`  person${n}:`, `    name: ${name}`, `    aliases: [P${n}]`, `    description: A correspondent of the exiles, number ${n}.`);
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
    // Written in ASCII alone, and read from its bytes as such.
    const [recordFile] = fs.readdirSync(folder.fsPath);
    const recordBytes = fs.readFileSync(path.join(folder.fsPath, recordFile));
    assert.ok(recordBytes.every((byte) => byte < 0x80), 'the record holds a byte past ASCII');
    assert.ok(recordBytes.toString('latin1').includes('\\u041f\\u0451\\u0442\\u0440'), 'the record escapes the names past ASCII');

    const next = new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0'));
    // The same people and references as written out; a person's details are parsed from the record when first read.
    assert.strictEqual(JSON.stringify(await next.sidecarInSteps(sidecarUri, text, turn)), JSON.stringify(precise));
    assert.strictEqual((await next.sidecarInSteps(sidecarUri, text, turn)).people[5].description, precise.people[5].description);
    assert.deepStrictEqual((await next.sidecarInSteps(sidecarUri, text, turn)).people.slice(0, 3).map((p) => p.name), ['Пётр Număr0', 'Person Number1', '𝔓erson 2']);
    // A record file that is not ASCII is none this version wrote: a miss, and the file is read again.
    fs.writeFileSync(path.join(folder.fsPath, recordFile), Buffer.concat([recordBytes, Buffer.from('é')]));
    assert.deepStrictEqual((await new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0')).sidecarInSteps(sidecarUri, text, turn)).diagnostics, []);

    const otherVersion = new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.1'));
    assert.deepStrictEqual((await otherVersion.sidecarInSteps(sidecarUri, text, turn)).diagnostics, []);
  });

  it('keeps a large library’s citation search tables, which the next session reads back instead of building them', async () => {
    const folder = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-records-')), 'parsed'));
    const libraryUri = 'file:///essays/library.json';
    const items = Array.from({ length: 3000 }, (_, n) => ({ id: `author${n % 300}-${1850 + (n % 90)}-${n}`, type: 'book', title: `Letters from exile, volume ${n}`, author: [{ family: `Author${n % 300}`, given: 'A.' }], issued: { 'date-parts': [[1850 + (n % 90)]] } }));
    const text = JSON.stringify(items, null, 2);
    assert.ok(text.length >= steppedLoadChars);
    const searchOf = async (cache: ParseCache): Promise<ReturnType<typeof referenceSearchFor>> => referenceSearchFor(cache.registryOf([await cache.bibliographyInSteps(libraryUri, text, turn)])).prepareInSlices(turn);

    assert.strictEqual((await searchOf(new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0')))).fromRecordedTables, false);
    await until(() => fs.existsSync(folder.fsPath) && fs.readdirSync(folder.fsPath).some((name) => name.endsWith('.jsonl')), 'the record');
    const next = await searchOf(new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0')));
    assert.ok(next.fromRecordedTables);
    const fresh = new ReferenceSearch(mergeRegistry([parseCslJson(libraryUri, text)], new Map()).references.values());
    for (const query of ['author7 1857', 'letters exile 12', 'autor42']) assert.deepStrictEqual(next.search(query).map((r) => r.id), fresh.search(query).map((r) => r.id), query);
    assert.ok(next.search('author7 1857').some((r) => r.id === 'author7-1857-7'));
    // Beside a sidecar with references of its own, one of them the library's too, the registry's search joins the library's, read back.
    const besideCache = new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0'));
    const sidecar = besideCache.sidecar('file:///essays/book.yaml', 'references:\n  - id: author7-1857-7\n    title: Letters, as the sidecar has them\n  - id: own1900\n    title: Letters of its own\n');
    const beside = besideCache.registryOf([sidecar, await besideCache.bibliographyInSteps(libraryUri, text, turn)]);
    const joined = await referenceSearchFor(beside).prepareInSlices(turn);
    assert.ok(joined.fromRecordedTables);
    const freshBeside = new ReferenceSearch(beside.references.values());
    for (const query of ['author7 1857', 'letters exile 12', 'autor42', 'letters own', 'sidecar']) assert.deepStrictEqual(joined.search(query).map((r) => r.id), freshBeside.search(query).map((r) => r.id), query);
    assert.strictEqual(joined.search('letters as the sidecar has them')[0]?.item.title, 'Letters, as the sidecar has them');
    assert.deepStrictEqual(beside.diagnostics.map((d) => [d.code, d.uri]), [['duplicate-key', libraryUri]]);
    // The library itself is served from the record, each item parsed from the file's text when read.
    const served = await new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0')).bibliographyInSteps(libraryUri, text, turn);
    // A parsed library's sources count their lines when asked: compared by what they hold.
    const plain = (references: readonly Reference[]): unknown => references.map(({ id, item, source: { uri, span, line } }) => ({ id, item, source: { uri, span, line } }));
    assert.notStrictEqual(Object.getPrototypeOf(served.references[0]), Object.prototype, 'a reference read back from the record');
    assert.deepStrictEqual(plain(served.references), plain(parseCslJson(libraryUri, text).references));
    // Another version of the extension may build other tables: its digest differs, and the record is a miss.
    assert.strictEqual((await searchOf(new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.1')))).fromRecordedTables, false);
  });

  it('keeps a large CSL-YAML library, which the next session serves without a parse, with its diagnostics', async () => {
    const folder = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-records-')), 'parsed'));
    const libraryUri = 'file:///essays/library.yaml';
    const lines = ['references:'];
    for (let n = 0; n < 3000; n++) lines.push(`  - id: author${n % 300}-${n}`, '    type: book', `    title: "Letters from exile, volume ${n}"`, '    author:', `      - family: Author${n % 300}`, `    issued: {date-parts: [[${1850 + (n % 90)}]]}`);
    // A key given twice: a diagnostic with its place.
    lines.push('  - id: author0-0', '    title: Again');
    const text = `${lines.join('\n')}\n`;
    assert.ok(text.length >= steppedLoadChars);
    const parsed = parseBibliography(libraryUri, text);
    assert.ok(parsed.diagnostics.length > 0, 'the repeated key is reported');

    await new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0')).bibliographyInSteps(libraryUri, text, turn);
    await until(() => fs.existsSync(folder.fsPath) && fs.readdirSync(folder.fsPath).some((name) => name.endsWith('.jsonl')), 'the record');
    const served = await new ParseCache(true, new GlobalStorageParsedStore(folder, '1.0.0')).bibliographyInSteps(libraryUri, text, turn);
    assert.notStrictEqual(Object.getPrototypeOf(served.references[0]), Object.prototype, 'a reference read back from the record');
    assert.strictEqual(JSON.stringify(served), JSON.stringify(parsed));
    assert.strictEqual(served.references[42].item.title, 'Letters from exile, volume 42');
  });

  it('takes the same digest of a file from its bytes as from its text', () => {
    const store = new GlobalStorageParsedStore(vscode.Uri.file(os.tmpdir()), '1.0.0');
    const text = largeSidecar();
    const fromText = store.digester();
    fromText.update(text.slice(0, 1000));
    fromText.update(text.slice(1000));
    const bytes = new TextEncoder().encode(text);
    const fromBytes = store.digester();
    assert.ok(typeof fromBytes.updateBytes === 'function', 'the store takes no bytes');
    fromBytes.updateBytes?.(bytes.subarray(0, 999));
    fromBytes.updateBytes?.(bytes.subarray(999));
    assert.strictEqual(fromBytes.digest(), fromText.digest());
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
