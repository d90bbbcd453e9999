import * as vscode from 'vscode';
import { findAt, type AnnotationIndex, type SourceLocation, type Span } from '../core';
import { languageId, type AnnotationService } from './annotationService';

export function spanRange(document: vscode.TextDocument, span: Span): vscode.Range {
  return new vscode.Range(document.positionAt(span.start), document.positionAt(span.end));
}

/**
 * Where a sidecar or bibliography defines a key, as a VS Code location. The
 * span counts in that file's text as the service read it: the open editor's
 * text if there is one, else the file on disk, which is also what
 * `openTextDocument` returns.
 */
export async function definitionLocation(source: SourceLocation): Promise<vscode.Location> {
  const uri = vscode.Uri.parse(source.uri);
  const document = await vscode.workspace.openTextDocument(uri);
  return new vscode.Location(uri, spanRange(document, source.span));
}

/** Go to definition: a mention to its person in the sidecar, a citation key to its reference, a footnote reference to its definition. */
export class AnnotationDefinitionProvider implements vscode.DefinitionProvider {
  constructor(private readonly service: AnnotationService) {}

  async provideDefinition(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.LocationLink[] | undefined> {
    const index = await this.service.getIndex(document);
    if (token.isCancellationRequested) return undefined;
    const target = definitionAt(index, document.offsetAt(position));
    if (!target) return undefined;
    const location = target.source ? await definitionLocation(target.source) : new vscode.Location(document.uri, spanRange(document, target.span));
    if (token.isCancellationRequested) return undefined;
    return [{ originSelectionRange: spanRange(document, target.origin), targetUri: location.uri, targetRange: location.range, targetSelectionRange: location.range }];
  }
}

/** What to jump to from `offset`: a key defined in another file (`source`), or a span in this text. */
function definitionAt(index: AnnotationIndex, offset: number): { origin: Span; source?: SourceLocation; span: Span } | undefined {
  const found = findAt(index, offset);
  switch (found?.kind) {
    case 'mention': {
      const person = found.mention.person === null ? undefined : index.registry.people.get(found.mention.person);
      return person ? { origin: found.mention.keySpan ?? found.mention.span, source: person.source, span: person.source.span } : undefined;
    }
    case 'citation': {
      const reference = found.item ? index.registry.references.get(found.item.key) : undefined;
      return found.item && reference ? { origin: found.item.keySpan, source: reference.source, span: reference.source.span } : undefined;
    }
    case 'footnoteRef': {
      const label = found.footnote.definitionLabel;
      return label ? { origin: found.span, span: label } : undefined;
    }
    default:
      // A definition label is the definition itself; its references are under Find All References.
      return undefined;
  }
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  context.subscriptions.push(vscode.languages.registerDefinitionProvider({ language: languageId }, new AnnotationDefinitionProvider(service)));
}
