import * as vscode from 'vscode';
import type { AnnotationIndex, Diagnostic, Severity } from '../core';
import { isAnnotatedText, type AnnotationService } from './annotationService';
import { openDocument } from './workspaceReader';

const severities: Readonly<Record<Severity, vscode.DiagnosticSeverity>> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

function toVscode(diagnostic: Diagnostic): vscode.Diagnostic {
  const { start, end } = diagnostic.range;
  const result = new vscode.Diagnostic(new vscode.Range(start.line, start.character, end.line, end.character), diagnostic.message, severities[diagnostic.severity]);
  result.code = diagnostic.code;
  result.source = 'marginalia';
  return result;
}

function identity(diagnostic: Diagnostic): string {
  const { start, end } = diagnostic.range;
  return `${diagnostic.code}|${start.line}:${start.character}-${end.line}:${end.character}|${diagnostic.message}`;
}

/**
 * Publishes each open text's diagnostics, and those of its sidecars and
 * bibliographies on those files. Several texts may share a sidecar, so a
 * file's diagnostics are the union of what every open text reports for it.
 */
export class DiagnosticsPublisher implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('marginalia');
  /** Text URI to its diagnostics, grouped by the file they belong to. */
  private readonly reports = new Map<string, Map<string, Diagnostic[]>>();
  /** Bumped per text so a slow build cannot overwrite a newer one's report. */
  private readonly requests = new Map<string, number>();

  constructor(private readonly service: AnnotationService) {}

  private get enabled(): boolean {
    return vscode.workspace.getConfiguration('marginalia').get<boolean>('diagnostics.enabled', true);
  }

  async update(document: vscode.TextDocument): Promise<void> {
    if (!isAnnotatedText(document) || document.isClosed) return;
    const key = document.uri.toString();
    const request = (this.requests.get(key) ?? 0) + 1;
    this.requests.set(key, request);
    const index = await this.service.getIndex(document);
    if (this.requests.get(key) !== request || document.isClosed) return;
    this.record(key, index);
  }

  forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    this.requests.delete(key);
    const report = this.reports.get(key);
    if (!report) return;
    this.reports.delete(key);
    for (const file of report.keys()) this.publish(file);
  }

  /** Republishes everything, after the setting changes. */
  async updateAll(): Promise<void> {
    if (!this.enabled) {
      this.reports.clear();
      this.collection.clear();
      return;
    }
    await Promise.all(vscode.workspace.textDocuments.map((d) => this.update(d)));
  }

  dispose(): void {
    this.collection.dispose();
  }

  private record(text: string, index: AnnotationIndex): void {
    const previous = this.reports.get(text);
    const report = new Map<string, Diagnostic[]>([[text, []]]);
    if (this.enabled) {
      for (const diagnostic of index.diagnostics) {
        const list = report.get(diagnostic.uri) ?? [];
        list.push(diagnostic);
        report.set(diagnostic.uri, list);
      }
    }
    this.reports.set(text, report);
    for (const file of new Set([...report.keys(), ...(previous?.keys() ?? [])])) this.publish(file);
  }

  private publish(file: string): void {
    const seen = new Set<string>();
    const merged: vscode.Diagnostic[] = [];
    for (const report of this.reports.values()) {
      for (const diagnostic of report.get(file) ?? []) {
        const id = identity(diagnostic);
        if (seen.has(id)) continue;
        seen.add(id);
        merged.push(toVscode(diagnostic));
      }
    }
    const uri = vscode.Uri.parse(file);
    if (merged.length === 0) this.collection.delete(uri);
    else this.collection.set(uri, merged);
  }
}

export function register(context: vscode.ExtensionContext, service: AnnotationService): void {
  const publisher = new DiagnosticsPublisher(service);
  const report = (error: unknown): void => console.error('marginalia: could not update diagnostics', error);
  const update = (document: vscode.TextDocument): void => {
    publisher.update(document).catch(report);
  };
  context.subscriptions.push(
    publisher,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidCloseTextDocument((document) => publisher.forget(document)),
    service.onDidChangeIndex((uri) => {
      const document = openDocument(uri.toString());
      if (document) update(document);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('marginalia.diagnostics.enabled')) publisher.updateAll().catch(report);
    }),
  );
  publisher.updateAll().catch(report);
}
