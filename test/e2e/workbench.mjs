// What a user does and sees in the VS Code workbench, through Playwright: keys, mouse
// moves and clicks, and the text of the DOM. Nothing here calls the VS Code API.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const TIMEOUT = 20_000;

export class Workbench {
  /**
   * @param {import('playwright-core').Page} page
   * @param {string} screenshotDir
   */
  constructor(page, screenshotDir) {
    this.page = page;
    this.screenshotDir = screenshotDir;
  }

  get quickInput() {
    return this.page.locator('.quick-input-widget');
  }

  get quickInputBox() {
    return this.quickInput.locator('.quick-input-box input');
  }

  get quickInputRows() {
    return this.quickInput.locator('.quick-input-list .monaco-list-row');
  }

  get activeEditor() {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  get hover() {
    return this.page.locator('.monaco-hover:not(.hidden)').filter({ has: this.page.locator('.hover-contents, .hover-row') });
  }

  async waitForQuickInput() {
    await this.quickInput.waitFor({ state: 'visible', timeout: TIMEOUT });
  }

  /**
   * Waits for a quick input opened by a command that was just run from the palette. The
   * palette's widget is reused, so it counts as new only once its box is empty again;
   * typing earlier would send the first keys to the editor.
   */
  async waitForNewQuickInput() {
    await this.waitForQuickInput();
    const deadline = Date.now() + TIMEOUT;
    while ((await this.quickInputBox.inputValue()) !== '' || !(await this.quickInput.isVisible())) {
      if (Date.now() > deadline) throw new Error(`the quick input still shows "${await this.quickInputBox.inputValue()}"`);
      await this.page.waitForTimeout(50);
    }
  }

  async waitForQuickInputClosed() {
    await this.quickInput.waitFor({ state: 'hidden', timeout: TIMEOUT });
  }

  /** Quick Open (Ctrl+P): types the file name and opens the first match. */
  async openFile(fileName) {
    await this.page.keyboard.press('Control+P');
    await this.waitForQuickInput();
    await this.quickInputBox.fill(fileName);
    // The first row must be the file itself, not a longer name that contains it.
    await this.quickInputRows.first().locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(fileName)}$`) }).waitFor({ timeout: TIMEOUT });
    await this.page.keyboard.press('Enter');
    await this.waitForQuickInputClosed();
    await this.page
      .locator('.editor-group-container.active .tab.active', { hasText: fileName })
      .waitFor({ timeout: TIMEOUT });
    await this.activeEditor.locator('.view-line').first().waitFor({ timeout: TIMEOUT });
  }

  /** Command palette (F1): types the command's title and runs the row that has exactly that label. */
  async runCommand(title) {
    await this.page.keyboard.press('F1');
    await this.waitForQuickInput();
    await this.quickInputBox.fill(`>${title}`);
    const row = this.quickInputRows.filter({ has: this.page.locator('.label-name', { hasText: title }) }).first();
    await row.waitFor({ timeout: TIMEOUT });
    await row.click();
  }

  /** Go to Line (Ctrl+G): puts the cursor at the start of a line. */
  async goToLine(line) {
    await this.page.keyboard.press('Control+G');
    await this.waitForQuickInput();
    await this.quickInputBox.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await this.waitForQuickInputClosed();
  }

  /** The lines the active editor renders, top to bottom, with Monaco's non-breaking spaces made plain. */
  async visibleLines() {
    return this.activeEditor.locator('.view-lines').evaluate((viewLines) =>
      [...viewLines.querySelectorAll('.view-line')]
        .map((line) => ({ top: parseFloat(line.style.top), text: (line.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((line) => line.text),
    );
  }

  /** The cursor as the status bar shows it ("Ln 13, Col 1"). */
  async cursorPosition() {
    const item = this.page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first();
    await item.waitFor({ timeout: TIMEOUT });
    const match = /Ln (\d+), Col (\d+)/.exec(await item.innerText());
    if (!match) throw new Error('the status bar shows no cursor position');
    return { line: Number(match[1]), column: Number(match[2]) };
  }

  /**
   * The screen box of `word` in the rendered editor line that contains `lineText`
   * (both as the user sees them). Monaco draws one span per token, so the word is
   * measured with a DOM Range rather than taken as its span's box.
   */
  async wordBox(word, lineText) {
    const box = await this.activeEditor.locator('.view-lines').evaluate(
      (viewLines, [word, lineText]) => {
        const plain = (text) => (text ?? '').replace(/\u00a0/g, ' ');
        const line = [...viewLines.querySelectorAll('.view-line')].find((l) => plain(l.textContent).includes(lineText));
        if (!line) return undefined;
        const lineStart = plain(line.textContent).indexOf(lineText);
        const wordStart = plain(line.textContent).indexOf(word, lineStart);
        if (wordStart < 0) return undefined;
        // Walks the text nodes to the one holding the word's first character.
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        let offset = 0;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const length = node.textContent.length;
          if (wordStart < offset + length) {
            const range = document.createRange();
            const start = wordStart - offset;
            range.setStart(node, start);
            range.setEnd(node, Math.min(length, start + word.length));
            const rect = range.getBoundingClientRect();
            return { x: rect.x, y: rect.y, width: rect.width, height: rect.height };
          }
          offset += length;
        }
        return undefined;
      },
      [word, lineText],
    );
    if (!box) throw new Error(`"${word}" is not on a rendered line containing "${lineText}"`);
    return box;
  }

  /** The mtk* colour class of the token span that holds `word` on the line containing `lineText`. */
  async tokenClass(word, lineText) {
    return this.activeEditor.locator('.view-lines').evaluate(
      (viewLines, [word, lineText]) => {
        const plain = (text) => (text ?? '').replace(/\u00a0/g, ' ');
        const line = [...viewLines.querySelectorAll('.view-line')].find((l) => plain(l.textContent).includes(lineText));
        if (!line) throw new Error(`no rendered line contains "${lineText}"`);
        const span = [...line.querySelectorAll('span > span')].find((s) => plain(s.textContent).includes(word));
        if (!span) throw new Error(`no token span on that line contains "${word}"`);
        return [...span.classList].filter((name) => /^mtk\d+$/.test(name)).join(' ');
      },
      [word, lineText],
    );
  }

  /** Moves the mouse off any hover and closes it. */
  async dismissHover() {
    await this.page.keyboard.press('Escape');
    await this.page.mouse.move(5, 5);
    await this.hover.first().waitFor({ state: 'hidden', timeout: TIMEOUT }).catch(() => {});
  }

  /**
   * Rests the mouse on `word` and returns the hover that appears with `expected` in it.
   * Monaco asks for a hover once per arrival of the mouse, so while the extension is
   * still starting the mouse leaves and comes back, as a user would try again.
   */
  async hoverWord(word, lineText, expected, timeout = TIMEOUT) {
    const deadline = Date.now() + timeout;
    const hover = this.hover.filter({ hasText: expected }).first();
    for (;;) {
      await this.dismissHover();
      const box = await this.wordBox(word, lineText);
      // A few intermediate moves, as a real pointer makes, so Monaco sees the mouse arrive.
      await this.page.mouse.move(box.x + box.width / 2 - 3, box.y + box.height / 2, { steps: 4 });
      await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 2 });
      const remaining = deadline - Date.now();
      try {
        await hover.waitFor({ state: 'visible', timeout: Math.max(1000, Math.min(4000, remaining)) });
        return { hover, wordBox: box };
      } catch (error) {
        if (Date.now() >= deadline) throw error;
      }
    }
  }

  /** Saves a screenshot of the page, or of `clip` (a box in page pixels). */
  async screenshot(name, clip) {
    mkdirSync(this.screenshotDir, { recursive: true });
    const file = path.join(this.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path: file, ...(clip ? { clip } : {}) });
    return file;
  }
}

/** The smallest box holding every box given, with `padding` around it, kept inside the viewport. */
export function unionBox(boxes, padding, viewport) {
  const left = Math.max(0, Math.min(...boxes.map((b) => b.x)) - padding);
  const top = Math.max(0, Math.min(...boxes.map((b) => b.y)) - padding);
  const right = Math.min(viewport.width, Math.max(...boxes.map((b) => b.x + b.width)) + padding);
  const bottom = Math.min(viewport.height, Math.max(...boxes.map((b) => b.y + b.height)) + padding);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
