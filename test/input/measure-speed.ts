/**
 * Speed of the input layer on the fixture desktop (not a test: figures for the report):
 *   npx tsx test/input/measure-speed.ts
 * Click (move + press + release) until the page saw it, key combo, typing 300 characters, and how long a
 * long `type` takes to stop after abort.
 */
import { startFixtureDesktop } from '../../testkit/fixture-desktop/desktop';
import { createLocalInput, ActionAborted } from '../../app/input/perform';

const desk = await startFixtureDesktop({ width: 1280, height: 800, terminal: false });
try {
  const display = { id: 0, name: 'fixture', bounds: { x: 0, y: 0, width: 1280, height: 800 }, scaleFactor: 1, primary: true };
  const target = { display, space: { kind: 'grid' as const, size: 1000 } };
  const input = await createLocalInput({ xDisplay: desk.display.display });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  const perform: number[] = [];
  const seen: number[] = [];
  for (let i = 0; i < 20; i++) {
    await desk.clear();
    const t0 = performance.now();
    await input.perform({ action: 'left_click', coordinate: [300 + i * 10, 500] }, target);
    perform.push(performance.now() - t0);
    await desk.waitForEvent((e) => e.type === 'click');
    seen.push(performance.now() - t0);
  }
  console.log(`left_click: perform ${median(perform).toFixed(1)} ms median, until the page reported it ${median(seen).toFixed(1)} ms`);

  const keys: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await input.perform({ action: 'key', keys: ['ctrl', 'shift', 'k'] }, target);
    keys.push(performance.now() - t0);
  }
  console.log(`key ctrl+shift+k: ${median(keys).toFixed(1)} ms median`);

  const rects = await desk.rects();
  const at: [number, number] = [((rects.textarea.x + 50) / 1280) * 1000, ((rects.textarea.y + 50) / 800) * 1000];
  for (const [label, text] of [
    ['type 11 chars', 'hello world'],
    ['type 300 chars', 'x'.repeat(300)],
    ['type 3 lines', 'a\nb\nc'],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await desk.clear();
      await input.perform({ action: 'left_click', coordinate: at }, target);
      const t0 = performance.now();
      await input.perform({ action: 'type', text }, target);
      await desk.waitForTextarea(text);
      times.push(performance.now() - t0);
    }
    console.log(`${label}: ${median(times).toFixed(0)} ms median until it was in the text field`);
  }

  const stops: number[] = [];
  for (let i = 0; i < 5; i++) {
    await desk.clear();
    await input.perform({ action: 'left_click', coordinate: at }, target);
    const controller = new AbortController();
    const typing = input.perform({ action: 'type', text: 'stop '.repeat(2000) }, target, controller.signal);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    controller.abort();
    await typing.catch((e: unknown) => {
      if (!(e instanceof ActionAborted)) throw e;
    });
    stops.push(performance.now() - t0);
  }
  console.log(`stop during a 10000-char type: ${median(stops).toFixed(1)} ms median from abort() to the action ending (max ${Math.max(...stops).toFixed(1)})`);
} finally {
  await desk.stop();
}
