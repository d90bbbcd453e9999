import { URI, Utils } from 'vscode-uri';

/** Resolves a path written in a file (a sidecar, front matter) against that file's folder. */
export function resolvePath(fromUri: string, path: string): string {
  const base = URI.parse(fromUri);
  if (/^[a-zA-Z][\w+.-]*:\/\//.test(path)) return URI.parse(path).toString();
  if (path.startsWith('/')) return base.with({ path }).toString();
  return Utils.joinPath(Utils.dirname(base), path).toString();
}

/** `essay.annot.md` → `essay`. */
export function stemOf(uri: string): string {
  const name = Utils.basename(URI.parse(uri));
  if (/\.annot\.md$/i.test(name)) return name.slice(0, -'.annot.md'.length);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

export function siblingUri(uri: string, fileName: string): string {
  return Utils.joinPath(Utils.dirname(URI.parse(uri)), fileName).toString();
}

export function basename(uri: string): string {
  return Utils.basename(URI.parse(uri));
}
