import * as vscode from 'vscode';
import type { AnnotationIndex } from '../core';
import { languageId, type AnnotationService } from './annotationService';
import { firstWords } from './completion';
import { yieldToEventLoop } from './eventLoop';

/** The outline and breadcrumbs: headings nested by level, with footnote definitions inside their section. */
export class AnnotationSymbolProvider implements vscode.DocumentSymbolProvider {
  /** VS Code asks several times a version (outline, breadcrumbs, sticky scroll); an index updated in place has new text. */
  private readonly made = new WeakMap<AnnotationIndex, { readonly text: string; readonly symbols: vscode.DocumentSymbol[] }>();

  constructor(private readonly service: AnnotationService) {}

  async provideDocumentSymbols(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.DocumentSymbol[] | undefined> {
    const index = await this.service.getIndex(document);
    // A book's outline takes tens of milliseconds to make and more to send: hovers waiting on the same build answer first.
    await yieldToEventLoop();
    if (token.isCancellationRequested) return undefined;
    const made = this.made.get(index);
    if (made?.text === index.text) return made.symbols;
    const symbols = documentSymbols(index);
    this.made.set(index, { text: index.text, symbols });
    return symbols;
  }
}

/**
 * In one pass over the headings and one over the note definitions: VS Code
 * asks again after every edit (for breadcrumbs and sticky scroll), and a book
 * has thousands of headings.
 */
function documentSymbols(index: AnnotationIndex): vscode.DocumentSymbol[] {
  const roots: vscode.DocumentSymbol[] = [];
  const position = (offset: number): vscode.Position => {
    const { line, character } = index.lines.positionAt(offset);
    return new vscode.Position(line, character);
  };
  const headings = index.headings;
  // A section runs to the next heading of the same or a higher level, or to the end of the text.
  const sectionEnds = new Array<number>(headings.length).fill(index.text.length);
  // Open sections, outermost first; a heading closes every open section of its level or deeper.
  const open: { level: number; at: number }[] = [];
  const sections: { symbol: vscode.DocumentSymbol; parent: number; start: number }[] = [];
  const parentOf: number[] = [];
  headings.forEach((heading, i) => {
    while (open.length > 0 && open[open.length - 1].level >= heading.level) sectionEnds[(open.pop() as { at: number }).at] = heading.span.start;
    parentOf.push(open.length > 0 ? open[open.length - 1].at : -1);
    open.push({ level: heading.level, at: i });
  });
  headings.forEach((heading, i) => {
    const start = position(heading.span.start);
    const selection = new vscode.Range(start, position(heading.span.end));
    const sectionEnd = position(sectionEnds[i]);
    const range = new vscode.Range(start, sectionEnd.isBefore(selection.end) ? selection.end : sectionEnd);
    // VS Code rejects symbols with empty names, and `#` alone is a valid empty heading.
    const symbol = new vscode.DocumentSymbol(heading.text || '#'.repeat(heading.level), '', vscode.SymbolKind.String, range, selection);
    const parent = parentOf[i];
    (parent >= 0 ? sections[parent].symbol.children : roots).push(symbol);
    sections.push({ symbol, parent, start: heading.span.start });
  });

  // Each definition goes in the innermost section that holds it: the last heading before it, or one of its ancestors.
  const definitions = index.footnotes.filter((note) => note.definition !== null && note.definitionLabel !== null).sort((a, b) => (a.definition?.start ?? 0) - (b.definition?.start ?? 0));
  for (const note of definitions) {
    const definition = note.definition as { start: number; end: number };
    const label = note.definitionLabel as { start: number; end: number };
    const range = new vscode.Range(position(definition.start), position(definition.end));
    const selection = new vscode.Range(position(label.start), position(label.end));
    const symbol = new vscode.DocumentSymbol(`[^${note.label}]`, firstWords(note.text, 8), vscode.SymbolKind.Field, range, selection);
    let holder = lastStartingBefore(sections, definition.start);
    while (holder >= 0 && !sections[holder].symbol.range.contains(range)) holder = sections[holder].parent;
    (holder >= 0 ? sections[holder].symbol.children : roots).push(symbol);
  }
  return roots;
}

/** The last section whose heading starts at or before `offset`, or -1. */
function lastStartingBefore(sections: readonly { start: number }[], offset: number): number {
  let lo = 0;
  let hi = sections.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sections[mid].start <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  context.subscriptions.push(vscode.languages.registerDocumentSymbolProvider({ language: languageId }, new AnnotationSymbolProvider(service)));
}
