/**
 * Measures typing methods on the fixture desktop: every corpus string x method x target (Chromium text field,
 * xterm), exact or not. Not a test (it records what each candidate does, good or bad):
 *   npx tsx test/input/measure-typing.ts [WIDTHxHEIGHT]
 */
import { startFixtureDesktop, type FixtureDesktop } from '../../testkit/fixture-desktop/desktop';
import { createLocalInput, type LocalInputOptions } from '../../app/input/perform';
import { CORPUS, asTerminalInput } from './corpus';

const [w = 1280, h = 800] = (process.argv[2] ?? '1280x800').split('x').map(Number);

const METHODS: Array<[string, LocalInputOptions]> = [
  ['nut-js keyboard.type', { typing: 'keystrokes' }],
  ['xdotool type', { typing: 'xdotool' }],
  ['paste ctrl+v', { typing: 'paste', pasteKeys: 'ctrl+v' }],
  ['paste ctrl+shift+v', { typing: 'paste', pasteKeys: 'ctrl+shift+v' }],
  ['paste shift+Insert', { typing: 'paste', pasteKeys: 'shift+insert' }],
];

/** Poll until `read()` equals `expected`, or has not changed for 700 ms. */
async function settle(read: () => Promise<string>, expected: string): Promise<string> {
  let last = await read();
  let since = Date.now();
  const start = Date.now();
  while (Date.now() - start < 15_000) {
    if (last === expected) return last;
    await new Promise((r) => setTimeout(r, 50));
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > 700) return last;
  }
  return last;
}

async function main(): Promise<void> {
  const desk: FixtureDesktop = await startFixtureDesktop({ width: w, height: h });
  const rows: string[] = [];
  try {
    const display = { id: 0, name: 'fixture', bounds: { x: 0, y: 0, width: w, height: h }, scaleFactor: 1, primary: true };
    const target = { display, space: { kind: 'grid' as const, size: 1000 } };
    for (const [label, options] of METHODS) {
      const input = await createLocalInput({ ...options, xDisplay: desk.display.display });
      let gui = 0;
      let term = 0;
      let termAscii = 0;
      for (const entry of CORPUS) {
        await desk.clear();
        await desk.focusBrowser();
        await desk.page.evaluate(() => (window as unknown as { __fixture: { focusTextarea(): void } }).__fixture.focusTextarea());
        const t0 = Date.now();
        const result = await input.perform({ action: 'type', text: entry.text }, target).catch((e: Error) => ({ note: `error: ${e.message}` }));
        const ms = Date.now() - t0;
        const got = await settle(() => desk.textareaValue(), entry.text);
        const guiOk = got === entry.text;
        await desk.focusTerminal();
        const expectedTerm = asTerminalInput(entry.text);
        await input.perform({ action: 'type', text: entry.text }, target).catch(() => undefined);
        const gotTerm = await settle(() => desk.terminalText(), expectedTerm);
        const termOk = gotTerm === expectedTerm;
        gui += guiOk ? 1 : 0;
        term += termOk ? 1 : 0;
        termAscii += termOk && entry.ascii ? 1 : 0;
        rows.push(
          `${label.padEnd(22)} ${entry.name.padEnd(13)} chromium:${guiOk ? 'exact' : 'WRONG'} xterm:${termOk ? 'exact' : 'WRONG'} ${ms}ms` +
            (guiOk ? '' : ` gui=${JSON.stringify(got.slice(0, 60))}`) +
            (termOk ? '' : ` term=${JSON.stringify(gotTerm.slice(0, 60))}`) +
            ('note' in result && result.note ? ` note=${result.note}` : ''),
        );
        console.log(rows[rows.length - 1]);
      }
      const asciiCount = CORPUS.filter((c) => c.ascii).length;
      console.log(`== ${label}: chromium ${gui}/${CORPUS.length} exact, xterm ${term}/${CORPUS.length} exact (ASCII ${termAscii}/${asciiCount})`);
    }
  } finally {
    await desk.stop();
  }
}

await main();
