import { promises as fs } from 'fs';
import * as path from 'path';
import { pathToFileURL, fileURLToPath } from 'url';
import { buildIndexWithin, decodeFile, defaultLimits, indexToJson, limitsFromMegabytes, loadTextContext, ParseCache, refusedIndex, type AnnotationIndex, type FileContent, type FileReader, type Limits } from '../core';

const usage = `Usage:
  marginalia index FILE --json     print the index of an annotated text as JSON
  marginalia check FILE|DIR...     print diagnostics; exit 1 if there is any error

Options:
  --max-file-size MB               skip texts, sidecars and bibliographies larger than this (default 20)
`;

class UsageError extends Error {}

/** Reads a file's bytes, or only its size when it is over the limit, so a huge file is never loaded. */
async function readLimited(file: string, maxBytes: number): Promise<FileContent> {
  const stat = await fs.stat(file);
  if (stat.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
  if (stat.size > maxBytes) return { kind: 'tooLarge', size: stat.size };
  return { kind: 'bytes', bytes: await fs.readFile(file) };
}

const diskReader: FileReader = {
  async read(uri, maxBytes) {
    try {
      return await readLimited(fileURLToPath(uri), maxBytes);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      // A clean reason for the diagnostic, not Node's message with the syscall in it.
      throw new Error(code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message);
    }
  },
};

function displayName(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  const relative = path.relative(process.cwd(), fileURLToPath(uri));
  return relative.startsWith('..') || path.isAbsolute(relative) ? fileURLToPath(uri) : relative;
}

async function indexFile(file: string, cache: ParseCache, limits: Limits): Promise<AnnotationIndex> {
  const absolute = path.resolve(file);
  let content: FileContent;
  try {
    content = await readLimited(absolute, limits.maxFileBytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new UsageError(`${file} is a folder; give an annotated text.`);
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file.` : `${file}: cannot be read (${code ?? (error as Error).message}).`);
  }
  const uri = pathToFileURL(absolute).toString();
  // A refused text (too large, binary) is indexed as empty, with a diagnostic that says why.
  const decoded = decodeFile(content, limits, 'text');
  if ('refusal' in decoded) return refusedIndex({ uri, text: '' }, await loadTextContext(uri, '', diskReader, cache, limits), decoded.refusal);
  const context = await loadTextContext(uri, decoded.text, diskReader, cache, limits);
  return buildIndexWithin({ uri, text: decoded.text }, context, {}, limits);
}

async function findTexts(target: string): Promise<string[]> {
  let stat;
  try {
    stat = await fs.stat(target);
  } catch {
    throw new UsageError(`${target}: no such file or folder.`);
  }
  if (!stat.isDirectory()) return [target];
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.annot.md')) found.push(full);
    }
  };
  await walk(target);
  return found;
}

async function check(targets: string[], limits: Limits): Promise<number> {
  if (targets.length === 0) throw new UsageError('check needs at least one file or folder.');
  const cache = new ParseCache();
  const seen = new Set<string>();
  let errors = 0;
  let files = 0;
  for (const target of targets) {
    for (const file of await findTexts(target)) {
      files++;
      const index = await indexFile(file, cache, limits);
      for (const d of index.diagnostics) {
        // A sidecar shared by several texts is reported once.
        const id = `${d.uri}:${d.span.start}:${d.code}:${d.message}`;
        if (seen.has(id)) continue;
        seen.add(id);
        if (d.severity === 'error') errors++;
        process.stdout.write(`${displayName(d.uri)}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}\n`);
      }
    }
  }
  if (files === 0) process.stderr.write('marginalia: no *.annot.md files found.\n');
  return errors > 0 ? 1 : 0;
}

/** Takes `--max-file-size MB` out of the arguments. */
function takeLimits(argv: string[]): { limits: Limits; args: string[] } {
  const at = argv.findIndex((a) => a === '--max-file-size' || a.startsWith('--max-file-size='));
  if (at < 0) return { limits: defaultLimits, args: argv };
  const inline = argv[at].includes('=') ? argv[at].slice(argv[at].indexOf('=') + 1) : undefined;
  const value = inline ?? argv[at + 1];
  const megabytes = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(megabytes) || megabytes <= 0) throw new UsageError('--max-file-size takes a number of megabytes, for example --max-file-size 20.');
  return { limits: limitsFromMegabytes(megabytes), args: argv.filter((_, i) => i !== at && (inline !== undefined || i !== at + 1)) };
}

async function main(argv: string[]): Promise<number> {
  const { limits, args } = takeLimits(argv);
  const [command, ...rest] = args;
  if (command === undefined) throw new UsageError('no command given.');
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  if (command === 'index') {
    const files = rest.filter((a) => a !== '--json');
    if (files.length !== 1) throw new UsageError('index takes exactly one file.');
    const index = await indexFile(files[0], new ParseCache(), limits);
    process.stdout.write(JSON.stringify(indexToJson(index, displayName), null, 2) + '\n');
    return 0;
  }
  if (command === 'check') return check(rest, limits);
  throw new UsageError(`unknown command "${command}".`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`marginalia: ${error.message}\n${usage}`);
    else process.stderr.write(`marginalia: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
