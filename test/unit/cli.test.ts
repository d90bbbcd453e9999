import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const corpus = path.resolve(root, '..', 'shared', 'corpus', 'kropotkin-and-lenin.txt');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the marginalia CLI', () => {
  it('checks the examples with no error', () => {
    const result = run('check', 'examples');
    assert.strictEqual(result.status, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, / error /);
  });

  it('prints the index of a text as JSON of the documented shape', () => {
    const result = run('index', 'examples/kropotkin-meets-lenin.annot.md', '--json');
    assert.strictEqual(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as Record<string, unknown[]> & { file: string };
    assert.deepStrictEqual(Object.keys(json), ['file', 'sidecars', 'headings', 'footnotes', 'quotes', 'citations', 'mentions', 'diagnostics']);
    assert.strictEqual(json.file, path.join('examples', 'kropotkin-meets-lenin.annot.md'));
    assert.deepStrictEqual(json.sidecars, [path.join('examples', 'kropotkin-meets-lenin.yaml')]);
    const citation = json.citations[0] as { range: unknown; inText: boolean; items: Record<string, unknown>[] };
    assert.deepStrictEqual(Object.keys(citation), ['range', 'inText', 'items']);
    assert.deepStrictEqual(Object.keys(citation.items[0]), ['key', 'prefix', 'locator', 'label', 'suffix', 'suppressAuthor']);
    assert.ok(json.mentions.length > 20);
  });

  it('reads the raw corpus text: a warning for the missing sidecar, no crash', () => {
    const check = run('check', corpus);
    assert.strictEqual(check.status, 0, check.stderr);
    assert.match(check.stdout, /kropotkin-and-lenin\.txt:1:1: warning no-sidecar: /);
    const index = run('index', corpus, '--json');
    assert.strictEqual(index.status, 0, index.stderr);
    const json = JSON.parse(index.stdout) as { headings: { text: string }[]; diagnostics: { code: string }[] };
    assert.ok(json.headings.some((h) => h.text === 'Kropotkin and Lenin'));
    assert.deepStrictEqual(json.diagnostics.map((d) => d.code), ['no-sidecar']);
  });

  it('reports errors as file:line:col and exits 1', () => {
    const result = run('check', 'test/fixtures/cli/broken');
    assert.strictEqual(result.status, 1);
    const lines = result.stdout.trim().split('\n');
    assert.ok(lines.includes(`${path.join('test/fixtures/cli/broken/broken-sidecar.annot.md')}:1:37: error unknown-citation: Unknown citation key "missing2000": no reference with this id in the sidecar or bibliography.`), result.stdout);
    assert.ok(lines.some((l) => /^test\/fixtures\/cli\/broken\/broken-sidecar\.yaml:\d+:\d+: error yaml-syntax: /.test(l)), result.stdout);
    for (const line of lines) assert.match(line, /^[^:]+:\d+:\d+: (error|warning|information|hint) [a-z-]+: .+$/);
  });

  it('gives a clear message and a non-zero exit for a bad path, never a stack trace', () => {
    for (const args of [['check', 'no/such/place'], ['index', 'no-such.annot.md', '--json'], ['index', 'examples', '--json'], ['frobnicate'], []]) {
      const result = run(...args);
      assert.notStrictEqual(result.status, 0, args.join(' '));
      assert.match(result.stderr, /marginalia: |Usage:/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
  });
});
