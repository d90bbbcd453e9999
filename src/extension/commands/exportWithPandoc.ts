import { execFile } from 'child_process';
import * as fs from 'fs/promises';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { exportFormats, pandocExport, pdfEngines, stemOf, type AnnotationIndex, type ExportFormat } from '../../core';
import { isAnnotatedText, type AnnotationService } from '../annotationService';
import { configuredStyle, isStylePath, resolveStylePath, type FormatterStore } from '../citationStyles';

/** `{format?, output?, style?}`: without them the command asks. */
interface ExportArgs {
  readonly format?: ExportFormat;
  readonly output?: string;
  readonly style?: string;
}

function exportArgsProblem(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'object') return true;
  const { format, output, style } = value as Record<string, unknown>;
  return (format !== undefined && !exportFormats.includes(format as ExportFormat)) || (output !== undefined && typeof output !== 'string') || (style !== undefined && typeof style !== 'string');
}

interface RunResult {
  readonly ok: boolean;
  readonly missing: boolean;
  readonly stderr: string;
}

/** Runs a program without a shell, so no argument is ever read as shell syntax. */
function run(program: string, args: readonly string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(program, [...args], { cwd, timeout: 5 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      resolve({ ok: !error, missing: code === 'ENOENT', stderr: String(stderr) });
    });
  });
}

/**
 * `marginalia.exportWithPandoc`: the text through the installed pandoc, with
 * every reference in one metadata file, mentions as spans and the chosen
 * style. It runs a program, so Restricted Mode disables it (the manifest's
 * `when` clause hides it; this checks again for callers that run it directly).
 */
export class ExportWithPandocCommand {
  constructor(
    private readonly service: AnnotationService,
    private readonly styles: FormatterStore,
  ) {}

  async run(args: unknown): Promise<boolean> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Export with Pandoc runs a program, so it is disabled in Restricted Mode. Trust this workspace to use it.'));
      return false;
    }
    if (exportArgsProblem(args)) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Export with Pandoc expects arguments like {0}.', '{"format": "html", "output": "/path/to/text.html"}'));
      return false;
    }
    const options = (args ?? {}) as ExportArgs;
    const editor = vscode.window.activeTextEditor;
    if (!editor || !isAnnotatedText(editor.document)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open an annotated text (*.annot.md) in the editor first.'));
      return false;
    }
    const document = editor.document;
    if (!(await run('pandoc', ['--version'])).ok) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Pandoc is not installed, or not on the PATH, so the text cannot be exported. Install pandoc (https://pandoc.org/installing.html) and try again.'));
      return false;
    }
    const pdfEngine = options.format === 'html' || options.format === 'docx' ? undefined : await firstPdfEngine();
    const format = options.format ?? (await pickFormat(pdfEngine !== undefined));
    if (!format) return false;
    if (format === 'pdf' && !pdfEngine) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Pandoc needs a PDF engine (such as {0}) to write PDF, and none is installed. Export to HTML or DOCX instead.', 'xelatex'));
      return false;
    }
    const output = options.output ? vscode.Uri.file(options.output) : await askOutput(document, format);
    if (!output) return false;
    const index = await this.service.getIndex(document);
    return this.export(index, document, format, output.fsPath, options.style ?? configuredStyle(), pdfEngine);
  }

  private async export(index: AnnotationIndex, document: vscode.TextDocument, format: ExportFormat, output: string, style: string, pdfEngine: string | undefined): Promise<boolean> {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'marginalia-export-'));
    try {
      const files = {
        input: path.join(folder, `${stemOf(document.uri.toString())}.md`),
        metadata: path.join(folder, 'references.yaml'),
        filter: path.join(folder, 'refs.lua'),
        style: isStylePath(style) ? resolveStylePath(style).fsPath : path.join(folder, 'style.csl'),
        output,
      };
      if (!isStylePath(style)) {
        try {
          await fs.writeFile(files.style, await this.styles.styleXml(style));
        } catch (error) {
          void vscode.window.showErrorMessage(vscode.l10n.t('Cannot use the citation style: {0}', (error as Error).message));
          return false;
        }
      }
      const plan = pandocExport(index, format, files, { pdfEngine });
      await fs.writeFile(files.input, plan.input);
      await fs.writeFile(files.metadata, plan.metadata);
      await fs.writeFile(files.filter, plan.filter);
      // Pandoc finds images and other files the text names relative to its working folder: the text's own.
      const cwd = document.uri.scheme === 'file' ? path.dirname(document.uri.fsPath) : undefined;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Exporting with Pandoc…') }, () => run('pandoc', plan.args, cwd));
      if (!result.ok) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Pandoc could not export the text: {0}', result.stderr.trim().split('\n').slice(0, 3).join(' ') || vscode.l10n.t('unknown error')));
        return false;
      }
      const warnings = result.stderr.trim();
      const open = vscode.l10n.t('Open');
      const message = warnings ? vscode.l10n.t('Exported to {0}, with warnings from Pandoc: {1}', output, warnings.split('\n').slice(0, 3).join(' ')) : vscode.l10n.t('Exported to {0}.', output);
      void (warnings ? vscode.window.showWarningMessage(message, open) : vscode.window.showInformationMessage(message, open)).then((choice) => {
        if (choice === open) void vscode.env.openExternal(vscode.Uri.file(output));
      });
      return true;
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  }
}

async function firstPdfEngine(): Promise<string | undefined> {
  for (const engine of pdfEngines) if ((await run(engine, ['--version'])).ok) return engine;
  return undefined;
}

async function pickFormat(pdf: boolean): Promise<ExportFormat | undefined> {
  const items: (vscode.QuickPickItem & { format: ExportFormat })[] = [
    { label: 'HTML', description: '.html', format: 'html' },
    { label: 'Word', description: '.docx', format: 'docx' },
  ];
  if (pdf) items.push({ label: 'PDF', description: '.pdf', format: 'pdf' });
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Export with Pandoc'), placeHolder: vscode.l10n.t('Format to export to') });
  return picked?.format;
}

async function askOutput(document: vscode.TextDocument, format: ExportFormat): Promise<vscode.Uri | undefined> {
  const stem = stemOf(document.uri.toString());
  const defaultUri = document.uri.scheme === 'file' ? vscode.Uri.file(path.join(path.dirname(document.uri.fsPath), `${stem}.${format}`)) : undefined;
  return vscode.window.showSaveDialog({ defaultUri, filters: { [format.toUpperCase()]: [format] }, title: vscode.l10n.t('Export with Pandoc') });
}

export function register(context: vscode.ExtensionContext, service: AnnotationService, styles: FormatterStore): void {
  const command = new ExportWithPandocCommand(service, styles);
  context.subscriptions.push(vscode.commands.registerCommand('marginalia.exportWithPandoc', (args?: unknown) => command.run(args instanceof vscode.Uri ? undefined : args)));
}
