// Runs the grammar's scope assertions (cases/) and snapshots (snapshots/).
// `--update` rewrites the snapshots instead of comparing them.
//
// The grammar builds on VS Code's Markdown grammar, which ships inside VS Code
// and not on npm; the tm-grammars package carries a copy of it (and of YAML's
// and HTML's), MIT licensed. TM_GRAMMARS_DIR may point at another folder with
// the same file names, e.g. one copied out of a VS Code install.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const update = process.argv.includes('--update') || process.argv.includes('-u');
const scope = 'text.html.markdown.annotated';

function baseGrammarDir() {
  if (process.env.TM_GRAMMARS_DIR) return path.resolve(process.env.TM_GRAMMARS_DIR);
  try {
    return path.dirname(require.resolve('tm-grammars/grammars/markdown.json'));
  } catch {
    console.error('grammar tests: the Markdown base grammar was not found. Install the devDependency tm-grammars, or set TM_GRAMMARS_DIR.');
    process.exit(1);
  }
}

const dir = baseGrammarDir();
// markdown.json embeds many languages for fenced code; only these matter here, the rest are reported missing and skipped.
const baseGrammars = ['markdown.json', 'yaml.json', 'html-derivative.json', 'html.json'].map((f) => path.join(dir, f));
for (const f of baseGrammars) {
  if (!existsSync(f)) {
    console.error(`grammar tests: missing base grammar ${f}`);
    process.exit(1);
  }
}
const grammarArgs = baseGrammars.flatMap((f) => ['-g', f]);
const toolDir = path.dirname(require.resolve('vscode-tmgrammar-test/package.json'));

const tally = { passed: 0, failed: 0 };

function run(bin, args) {
  // package.json's contributes.grammars supplies this extension's own grammars.
  const r = spawnSync(process.execPath, [path.join(toolDir, 'dist', bin), ...grammarArgs, ...args], { cwd: root, encoding: 'utf8' });
  const lines = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => !/^grammar not found for "/.test(l));
  const out = lines.join('\n').trimEnd();
  if (out) console.log(out);
  if (r.error) console.error(r.error);
  const passed = lines.filter((l) => l.startsWith('✓')).length;
  let failed = lines.filter((l) => /^(✖|ERROR)/.test(l)).length;
  if (r.status !== 0 && failed === 0) failed = 1;
  tally.passed += passed;
  tally.failed += failed;
}

const rel = (p) => path.relative(root, path.join(here, p));
const snapshotSources = readdirSync(path.join(here, 'snapshots')).filter((f) => f.endsWith('.annot.md'));
// The snapshot tool silently writes a missing snapshot and passes: treat that as a failure.
const missing = update ? [] : snapshotSources.filter((f) => !existsSync(path.join(here, 'snapshots', `${f}.snap`)));
for (const f of missing) console.error(`grammar tests: no snapshot for snapshots/${f}; run with --update and review it`);

if (!update) run('unit.js', [`${rel('cases')}/*.annot.md`]);
if (missing.length === 0) {
  run('snapshot.js', ['-s', scope, ...(update ? ['--updateSnapshot'] : []), `${rel('snapshots')}/*.annot.md`]);
} else {
  tally.failed += missing.length;
}
console.log(`grammar: ${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed === 0 ? 0 : 1);
