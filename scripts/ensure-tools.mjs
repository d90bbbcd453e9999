// Installs what the tests need beyond npm packages: Debian's pandoc, the oracle of the format.
// Idempotent: installs only what is missing.
import { execFileSync } from 'node:child_process';

function installed(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
  } catch {
    return false;
  }
}

export function ensureDebianPackages(packages) {
  const missing = packages.filter((p) => !installed(p));
  if (missing.length === 0) return;
  console.log(`installing Debian packages: ${missing.join(' ')}`);
  const sudo = process.getuid && process.getuid() !== 0 ? ['sudo'] : [];
  const run = (args) => execFileSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

if (import.meta.url === `file://${process.argv[1]}`) ensureDebianPackages(['pandoc']);
