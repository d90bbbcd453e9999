// Installs the npm dependencies when node_modules is missing or older than the lock file,
// so `npm test` and `npm start` work on a fresh clone.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function ensureNpmDependencies() {
  const lock = path.join(root, 'package-lock.json');
  const installedLock = path.join(root, 'node_modules', '.package-lock.json');
  const wanted = JSON.parse(readFileSync(lock, 'utf8')).packages ?? {};
  const have = existsSync(installedLock) ? JSON.parse(readFileSync(installedLock, 'utf8')).packages ?? {} : {};
  const stale = Object.entries(wanted).some(([name, info]) => name !== '' && !info.optional && have[name]?.version !== info.version);
  if (!stale) return;
  console.log('installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

if (import.meta.url === `file://${process.argv[1]}`) ensureNpmDependencies();
