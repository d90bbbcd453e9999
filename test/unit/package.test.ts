import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');

/** The files a bundle requires by a relative path: the modules it loads only when first needed. */
function relativeRequires(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/\brequire\("(\.\/[^"]+)"\)/g)].map((match) => path.posix.join(path.posix.dirname(file), match[1]));
}

describe('the extension package', () => {
  it('ships every file the bundle loads, and no source', function () {
    this.timeout(60_000);
    assert.ok(fs.existsSync(path.join(root, 'dist', 'extension.js')), 'dist/extension.js is missing: run npm run build first');
    const vsce = spawnSync(process.execPath, [path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(vsce.status, 0, vsce.stderr);
    const packed = new Set(vsce.stdout.split('\n').filter(Boolean));
    const loaded = new Set<string>();
    const pending = ['dist/extension.js'];
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      if (loaded.has(file)) continue;
      loaded.add(file);
      pending.push(...relativeRequires(file));
    }
    // The BibTeX parser, its tables and citeproc-js, each a bundle of its own.
    assert.ok(loaded.size >= 4, [...loaded].join(', '));
    for (const file of loaded) assert.ok(packed.has(file), `${file} is loaded by the extension but left out of the package`);
    assert.deepStrictEqual([...packed].filter((file) => /^(src|test|node_modules)\//.test(file) || file.endsWith('.map')), []);
  });
});
