import * as vscode from 'vscode';
import type { AnnotationIndex } from '../core';
import { languageId, type AnnotationService } from './annotationService';
import { firstWords } from './completion';

/** The outline and breadcrumbs: headings nested by level, with footnote definitions inside their section. */
export class AnnotationSymbolProvider implements vscode.DocumentSymbolProvider {
  constructor(private readonly service: AnnotationService) {}

  async provideDocumentSymbols(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.DocumentSymbol[] | undefined> {
    const index = await this.service.getIndex(document);
    if (token.isCancellationRequested) return undefined;
    return documentSymbols(document, index);
  }
}

function documentSymbols(document: vscode.TextDocument, index: AnnotationIndex): vscode.DocumentSymbol[] {
  const roots: vscode.DocumentSymbol[] = [];
  const end = document.positionAt(index.text.length);
  // Open sections, outermost first; a heading closes every open section of its level or deeper.
  const open: { level: number; symbol: vscode.DocumentSymbol }[] = [];
  const headings = index.headings;
  headings.forEach((heading, i) => {
    while (open.length > 0 && open[open.length - 1].level >= heading.level) open.pop();
    // A section runs to the next heading of the same or a higher level.
    const next = headings.slice(i + 1).find((h) => h.level <= heading.level);
    const sectionEnd = next ? document.positionAt(next.span.start) : end;
    const start = document.positionAt(heading.span.start);
    const selection = new vscode.Range(start, document.positionAt(heading.span.end));
    const range = new vscode.Range(start, sectionEnd.isBefore(selection.end) ? selection.end : sectionEnd);
    // VS Code rejects symbols with empty names, and `#` alone is a valid empty heading.
    const symbol = new vscode.DocumentSymbol(heading.text || '#'.repeat(heading.level), '', vscode.SymbolKind.String, range, selection);
    (open.length > 0 ? open[open.length - 1].symbol.children : roots).push(symbol);
    open.push({ level: heading.level, symbol });
  });

  for (const note of index.footnotes) {
    if (note.definition === null || note.definitionLabel === null) continue;
    const range = new vscode.Range(document.positionAt(note.definition.start), document.positionAt(note.definition.end));
    const selection = new vscode.Range(document.positionAt(note.definitionLabel.start), document.positionAt(note.definitionLabel.end));
    const symbol = new vscode.DocumentSymbol(`[^${note.label}]`, firstWords(note.text, 8), vscode.SymbolKind.Field, range, selection);
    const parent = innermostContaining(roots, range);
    (parent ? parent.children : roots).push(symbol);
  }
  return roots;
}

function innermostContaining(symbols: readonly vscode.DocumentSymbol[], range: vscode.Range): vscode.DocumentSymbol | undefined {
  const parent = symbols.find((s) => s.kind !== vscode.SymbolKind.Field && s.range.contains(range));
  if (!parent) return undefined;
  return innermostContaining(parent.children, range) ?? parent;
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  context.subscriptions.push(vscode.languages.registerDocumentSymbolProvider({ language: languageId }, new AnnotationSymbolProvider(service)));
}
