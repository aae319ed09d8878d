/**
 * End-to-end input tests on the fixture desktop at one size: the real app/screen (display list, capture) and the
 * real app/input (nut-js, paste typing) against Chromium and xterm, checking what the page and the terminal
 * really received. One desktop per size; the size files (input-<W>x<H>.test.ts) call this.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFixtureDesktop, type FixtureDesktop, type PageEvent, type Rect } from '../../testkit/fixture-desktop/desktop';
import { createLocalInput, ActionAborted, type InputDriver } from '../../app/input/perform';
import type { ActionTarget } from '../../app/screen/geometry';
import { UnknownKeyError } from '../../app/input/keys';
import { listDisplays } from '../../app/screen/displays';
import { captureDisplay } from '../../app/screen/capture';
import type { ComputerAction } from '../../app/base/actions';
import { CORPUS, asTerminalInput } from './corpus';

const GRID = 1000;

export function describeInputOnDesktop(width: number, height: number): void {
  describe(`input on a ${width}x${height} fixture desktop`, () => {
    let desk: FixtureDesktop;
    let input: InputDriver;
    let target: ActionTarget;

    const act = (action: ComputerAction, signal?: AbortSignal) => input.perform(action, target, signal);
    /** Grid point at the centre of a screen rectangle. */
    const gridOf = (r: Rect): [number, number] => [((r.x + r.width / 2) / width) * GRID, ((r.y + r.height / 2) / height) * GRID];
    const ofType = (events: PageEvent[], type: string) => events.filter((e) => e.type === type);
    // `xclip -i` leaves a child serving the selection: do not wait on its output pipes.
    const xclip = (args: string[], input?: string): string =>
      (
        execFileSync('xclip', args, {
          env: { ...process.env, DISPLAY: desk.display.display },
          input,
          timeout: 5000,
          stdio: input === undefined ? ['ignore', 'pipe', 'ignore'] : ['pipe', 'ignore', 'ignore'],
        }) ?? Buffer.alloc(0)
      ).toString('utf8');

    beforeAll(async () => {
      desk = await startFixtureDesktop({ width, height });
      const displays = await listDisplays(desk.display.display);
      expect(displays).toHaveLength(1);
      target = { display: displays[0]!, space: { kind: 'grid', size: GRID } };
      input = await createLocalInput({ xDisplay: desk.display.display });
    }, 120_000);
    afterAll(async () => {
      await input?.releaseAll();
      await desk?.stop();
    });
    beforeEach(async () => {
      await desk.focusBrowser();
      await desk.clear();
    });

    it('lands grid clicks within one grid unit of the target, everywhere on the screen', async () => {
      const tolerance = { x: width / GRID, y: height / GRID };
      const points: Array<[number, number]> = [];
      for (const gx of [0, 137, 333, 500, 777, 999]) for (const gy of [0, 250, 512, 999]) points.push([gx, gy]);
      for (const [gx, gy] of points) {
        await desk.clear();
        const result = await act({ action: 'left_click', coordinate: [gx, gy] });
        const events = await desk.waitForEvent((e) => e.type === 'click');
        const click = ofType(events, 'click')[0]!;
        const want = { x: (gx / GRID) * width, y: (gy / GRID) * height };
        expect(Math.abs(click.x! - want.x), `x of a click at grid ${gx},${gy}`).toBeLessThanOrEqual(tolerance.x);
        expect(Math.abs(click.y! - want.y), `y of a click at grid ${gx},${gy}`).toBeLessThanOrEqual(tolerance.y);
        expect(result.screen).toEqual({ x: click.x, y: click.y });
        expect(click.button).toBe(0);
      }
    });

    it('hits page elements aimed at through the grid', async () => {
      const rects = await desk.rects();
      for (const id of ['btn-a', 'btn-b', 'btn-c', 'target', 'drag-target'] as const) {
        await desk.clear();
        await act({ action: 'left_click', coordinate: gridOf(rects[id]) });
        const events = await desk.waitForEvent((e) => e.type === 'click');
        expect(ofType(events, 'click')[0]!.target).toBe(id);
      }
    });

    it('finds the coloured target in a real capture and clicks it', async () => {
      const spot = { x: Math.round(width * 0.61), y: Math.round(height * 0.13), width: Math.round(width * 0.03), height: Math.round(height * 0.04) };
      await desk.moveTarget(spot, '#00c853');
      // The screen shows the page a moment after the page changed: capture until the target is there.
      let sx = 0;
      let sy = 0;
      let n = 0;
      let frame = await captureDisplay(target.display, { xDisplay: desk.display.display });
      await expect
        .poll(async () => {
          frame = await captureDisplay(target.display, { xDisplay: desk.display.display });
          sx = sy = n = 0;
          for (let y = 0; y < frame.height; y += 2) {
            for (let x = 0; x < frame.width; x += 2) {
              const i = (y * frame.width + x) * frame.channels;
              if (frame.data[i] === 0x00 && frame.data[i + 1] === 0xc8 && frame.data[i + 2] === 0x53) {
                sx += x;
                sy += y;
                n++;
              }
            }
          }
          return n;
        }, { timeout: 10_000 })
        .toBeGreaterThan(0);
      const centre: [number, number] = [Math.round(((sx / n) / frame.width) * GRID), Math.round(((sy / n) / frame.height) * GRID)];
      await act({ action: 'left_click', coordinate: centre });
      const events = await desk.waitForEvent((e) => e.type === 'click');
      expect(ofType(events, 'click')[0]!.target).toBe('target');
    });

    it('performs double, triple, right and middle clicks as such', async () => {
      // Each kind on another element: clicks at one spot in quick succession would count on (detail 3, 4, ...).
      const rects = await desk.rects();
      const at: [number, number] = gridOf(rects['btn-b']);
      await act({ action: 'double_click', coordinate: at });
      let events = await desk.waitForEvent((e) => e.type === 'dblclick');
      expect(ofType(events, 'click').map((e) => e.detail)).toEqual([1, 2]);
      expect(ofType(events, 'dblclick')).toHaveLength(1);

      await desk.clear();
      await act({ action: 'triple_click', coordinate: gridOf(rects['btn-c']) });
      events = await desk.waitForEvent((e) => e.type === 'click' && e.detail === 3);
      expect(ofType(events, 'click').map((e) => e.detail)).toEqual([1, 2, 3]);

      await desk.clear();
      await act({ action: 'right_click', coordinate: gridOf(rects['btn-a']) });
      events = await desk.waitForEvent((e) => e.type === 'contextmenu');
      expect(ofType(events, 'mousedown').map((e) => e.button)).toEqual([2]);
      expect(ofType(events, 'click')).toHaveLength(0);

      await desk.clear();
      await act({ action: 'middle_click', coordinate: at });
      events = await desk.waitForEvent((e) => e.type === 'auxclick');
      expect(ofType(events, 'mousedown').map((e) => e.button)).toEqual([1]);
      expect(ofType(events, 'auxclick')[0]!.target).toBe('btn-b');
    });

    it('selects a whole line with a triple click in the text field', async () => {
      const rects = await desk.rects();
      await act({ action: 'left_click', coordinate: gridOf(rects.textarea) });
      await act({ action: 'type', text: 'first words here\nsecond line' });
      expect(await desk.waitForTextarea('first words here\nsecond line')).toBe('first words here\nsecond line');
      // The first line of the text field: 18px font, 1.4 line height, 2px padding and border.
      const lineY = rects.textarea.y + 4 + 12;
      await act({ action: 'triple_click', coordinate: [((rects.textarea.x + 40) / width) * GRID, (lineY / height) * GRID] });
      const selected = await desk.page.evaluate(() => {
        const t = document.getElementById('textarea') as HTMLTextAreaElement;
        return t.value.slice(t.selectionStart, t.selectionEnd);
      });
      expect(selected.replace(/\n$/, '')).toBe('first words here');
    });

    it('moves the mouse without clicking', async () => {
      const result = await act({ action: 'mouse_move', coordinate: [250, 750] });
      const lastMove = () =>
        desk.page.evaluate(() => (window as unknown as { __fixture: { lastMove(): { x: number; y: number } | null } }).__fixture.lastMove());
      await expect.poll(lastMove).not.toBeNull();
      const last = await lastMove();
      expect({ x: last!.x, y: last!.y }).toEqual(result.screen);
      expect(Math.abs(last!.x - width / 4)).toBeLessThanOrEqual(width / GRID);
      expect(ofType(await desk.events(), 'mousedown')).toHaveLength(0);
    });

    it('scrolls both axes with the sign the schema gives (positive = up / right)', async () => {
      const at = gridOf((await desk.rects()).scroller);
      /** Scroll, then the wheel events once they stop coming (so none spill into the next case). */
      const wheelsOf = async (action: ComputerAction): Promise<PageEvent[]> => {
        await desk.clear();
        await act(action);
        let last = -1;
        let stable = 0;
        while (stable < 3) {
          await new Promise((r) => setTimeout(r, 50));
          const count = ofType(await desk.events(), 'wheel').length;
          stable = count > 0 && count === last ? stable + 1 : 0;
          last = count;
        }
        return ofType(await desk.events(), 'wheel');
      };
      const signs = (wheels: PageEvent[]) => wheels.map((w) => [Math.sign(w.deltaX!) || 0, Math.sign(w.deltaY!) || 0]);

      let centred = await desk.scrollPosition();
      let wheels = await wheelsOf({ action: 'scroll', pixels: 5, coordinate: at });
      expect(signs(wheels)).toEqual(wheels.map(() => [0, -1]));
      expect(['scroller', 'scroll-content']).toContain(wheels[0]!.target);
      await expect.poll(async () => (await desk.scrollPosition()).top).toBeLessThan(centred.top);

      centred = await desk.scrollPosition();
      wheels = await wheelsOf({ action: 'scroll', pixels: -5, coordinate: at });
      expect(signs(wheels)).toEqual(wheels.map(() => [0, 1]));
      await expect.poll(async () => (await desk.scrollPosition()).top).toBeGreaterThan(centred.top);

      centred = await desk.scrollPosition();
      wheels = await wheelsOf({ action: 'hscroll', pixels: 5, coordinate: at });
      expect(signs(wheels)).toEqual(wheels.map(() => [1, 0]));
      await expect.poll(async () => (await desk.scrollPosition()).left).toBeGreaterThan(centred.left);

      centred = await desk.scrollPosition();
      wheels = await wheelsOf({ action: 'hscroll', pixels: -5, coordinate: at });
      expect(signs(wheels)).toEqual(wheels.map(() => [-1, 0]));
      await expect.poll(async () => (await desk.scrollPosition()).left).toBeLessThan(centred.left);
    });

    it('maps scroll amounts to wheel steps: clicks for small values, ~100 px per step for large ones', async () => {
      const at = gridOf((await desk.rects()).scroller);
      /** Total wheel distance the page saw for one scroll action (Chromium may merge wheel events, not distance). */
      const distance = async (pixels: number): Promise<{ steps: number; total: number }> => {
        await desk.clear();
        const result = await act({ action: 'scroll', pixels, coordinate: at });
        const steps = Number(/^(\d+) wheel step/.exec(result.note ?? '')?.[1]);
        let total = 0;
        await expect
          .poll(async () => {
            const wheels = ofType(await desk.events(), 'wheel');
            total = wheels.reduce((sum, w) => sum + Math.abs(w.deltaY!), 0);
            return wheels.length > 0;
          })
          .toBe(true);
        return { steps, total };
      };
      const one = await distance(40);
      expect(one.steps).toBe(1);
      for (const [pixels, steps] of [[3, 3], [-300, 3], [10, 10], [-1, 1]] as const) {
        const got = await distance(pixels);
        expect(got.steps, `steps for ${pixels}`).toBe(steps);
        await expect.poll(async () => ofType(await desk.events(), 'wheel').reduce((sum, w) => sum + Math.abs(w.deltaY!), 0)).toBe(steps * one.total);
      }
    });

    it('drags: press at the current position, move, release at the target', async () => {
      const rects = await desk.rects();
      await act({ action: 'mouse_move', coordinate: gridOf(rects['drag-source']) });
      const result = await act({ action: 'left_click_drag', coordinate: gridOf(rects['drag-target']) });
      const events = await desk.waitForEvent((e) => e.type === 'drop');
      const drop = ofType(events, 'drop')[0]!;
      expect(drop.onTarget).toBe(true);
      expect(drop.from).toEqual(result.screen2);
      expect({ x: drop.x, y: drop.y }).toEqual(result.screen);
      expect(ofType(events, 'mousemove').length, 'motion while the button is held').toBeGreaterThan(1);
      expect(ofType(events, 'mousedown')).toHaveLength(1);
      expect(ofType(events, 'mouseup')).toHaveLength(1);
    });

    it('presses key combos with their modifiers, in order, released in reverse', async () => {
      const keydowns = async (keys: string[]): Promise<void> => {
        await desk.clear();
        await act({ action: 'key', keys });
      };
      /** The page's events once at least `count` keys have been released. */
      const settle = async (count: number): Promise<PageEvent[]> => {
        await expect.poll(async () => ofType(await desk.events(), 'keyup').length).toBeGreaterThanOrEqual(count);
        return desk.events();
      };

      await keydowns(['ctrl', 'shift', 'k']);
      let events = await settle(3);
      expect(ofType(events, 'keydown').map((e) => e.key)).toEqual(['Control', 'Shift', 'K']);
      expect(ofType(events, 'keydown')[2]).toMatchObject({ ctrl: true, shift: true, alt: false, meta: false, code: 'KeyK' });
      expect(ofType(events, 'keyup').map((e) => e.key)).toEqual(['K', 'Shift', 'Control']);

      await keydowns(['Alt_L', 'x']);
      events = await settle(2);
      expect(ofType(events, 'keydown')[1]).toMatchObject({ key: 'x', alt: true, ctrl: false });

      await keydowns(['super', 'm']);
      events = await settle(2);
      expect(ofType(events, 'keydown')[1]).toMatchObject({ code: 'KeyM', meta: true });

      for (const [name, key] of [
        ['Return', 'Enter'],
        ['esc', 'Escape'],
        ['BackSpace', 'Backspace'],
        ['Page_Up', 'PageUp'],
        ['pagedown', 'PageDown'],
        ['Home', 'Home'],
        ['left', 'ArrowLeft'],
        ['F2', 'F2'],
        ['F13', 'F13'],
        ['f20', 'F20'],
        ['space', ' '],
        ['/', '/'],
        ['+', '+'],
        ['7', '7'],
      ] as const) {
        await keydowns([name]);
        events = await settle(1);
        expect(ofType(events, 'keydown').map((e) => e.key), `key ${name}`).toContain(key);
      }
      // A key the X keyboard map lacks (F21 on this desktop): bound to a spare keycode and pressed, not a crash.
      await desk.clear();
      const result = await act({ action: 'key', keys: ['ctrl', 'F21'] });
      expect(result.note).toMatch(/F21 was not on the X keyboard map/);
      events = await settle(2);
      expect(ofType(events, 'keydown')[0]!.key).toBe('Control');
      expect(ofType(events, 'keydown')).toHaveLength(2);
      expect(execFileSync('xmodmap', ['-pke'], { env: { ...process.env, DISPLAY: desk.display.display } }).toString()).toMatch(/= F21 F21/);

      // "+" is Shift+"=" on a US layout: shift is held for it.
      await keydowns(['ctrl+shift+plus']);
      events = await settle(3);
      expect(ofType(events, 'keydown').map((e) => e.key)).toEqual(['Control', 'Shift', '+']);
    });

    it('edits text with key combos in the text field', async () => {
      const rects = await desk.rects();
      await act({ action: 'left_click', coordinate: gridOf(rects.textarea) });
      await act({ action: 'type', text: 'abc def' });
      await desk.waitForTextarea('abc def');
      await act({ action: 'key', keys: ['ctrl', 'a'] });
      await act({ action: 'key', keys: ['Delete'] });
      expect(await desk.waitForTextarea('')).toBe('');
      await act({ action: 'type', text: 'xyz' });
      await act({ action: 'key', keys: ['BackSpace'] });
      await act({ action: 'key', keys: ['Home'] });
      await act({ action: 'key', keys: ['shift', 'End'] });
      await act({ action: 'key', keys: ['ctrl', 'c'] });
      await act({ action: 'key', keys: ['End'] });
      await act({ action: 'key', keys: ['ctrl', 'v'] });
      expect(await desk.waitForTextarea('xyxy')).toBe('xyxy');
    });

    it('rejects an unknown key name before pressing anything, naming it', async () => {
      const error = await act({ action: 'key', keys: ['ctrl', 'Foo_Bar'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownKeyError);
      expect((error as Error).message).toContain('"Foo_Bar"');
      expect(ofType(await desk.events(), 'keydown')).toHaveLength(0);
    });

    it('types every corpus string exactly into the Chromium text field', async () => {
      const rects = await desk.rects();
      await act({ action: 'left_click', coordinate: gridOf(rects.textarea) });
      const wrong: string[] = [];
      for (const entry of CORPUS) {
        await desk.page.evaluate(() => {
          const t = document.getElementById('textarea') as HTMLTextAreaElement;
          t.value = '';
          t.focus();
        });
        await act({ action: 'type', text: entry.text });
        const got = await desk.waitForTextarea(entry.text);
        if (got !== entry.text) wrong.push(`${entry.name}: ${JSON.stringify(got)}`);
      }
      expect(wrong).toEqual([]);
    }, 120_000); // 14 texts, each waiting for the target to finish its pastes (typing.ts SETTLE_MS), on a busy machine

    it('types the ASCII corpus exactly into xterm (newlines as Enter)', async () => {
      await desk.focusTerminal();
      const wrong: string[] = [];
      for (const entry of CORPUS.filter((c) => c.ascii)) {
        await desk.clear();
        await act({ action: 'type', text: entry.text });
        const expected = asTerminalInput(entry.text);
        const got = await desk.waitForTerminal(expected);
        if (got !== expected) wrong.push(`${entry.name}: ${JSON.stringify(got)}`);
      }
      expect(wrong).toEqual([]);
    }, 120_000);

    it("leaves the user's clipboard and primary selection as they were", async () => {
      await act({ action: 'left_click', coordinate: gridOf((await desk.rects()).textarea) });
      // Held by other clients: the contents come back.
      xclip(['-selection', 'clipboard', '-i'], 'user clipboard ✓');
      xclip(['-selection', 'primary', '-i'], 'user primary');
      await act({ action: 'type', text: 'pasted text' });
      await desk.waitForTextarea('pasted text');
      // Put back a moment after the action (typing.ts END_SETTLE_MS); meanwhile a paste gets nothing.
      const read = (selection: string): string | null => {
        try {
          return xclip(['-selection', selection, '-o']);
        } catch {
          return null;
        }
      };
      await expect.poll(() => read('clipboard'), { timeout: 10_000 }).toBe('user clipboard ✓');
      await expect.poll(() => read('primary'), { timeout: 10_000 }).toBe('user primary');
    });

    it('stops a long type mid-way on abort and releases everything', async () => {
      await act({ action: 'left_click', coordinate: gridOf((await desk.rects()).textarea) });
      // Many lines: a line is one paste (near-instant), so a stop falls between lines.
      const text = Array.from({ length: 60 }, (_, i) => `stop me, line ${i + 1}`).join('\n');
      const controller = new AbortController();
      const typing = act({ action: 'type', text }, controller.signal);
      await expect.poll(async () => (await desk.textareaValue()).length).toBeGreaterThan(0);
      controller.abort();
      await expect(typing).rejects.toBeInstanceOf(ActionAborted);
      const value = await desk.textareaValue();
      expect(value.length).toBeGreaterThan(0);
      expect(value.length).toBeLessThan(text.length);
      expect(text.startsWith(value)).toBe(true);
      // Nothing held: a later click carries no modifier and no button.
      await desk.clear();
      await act({ action: 'left_click', coordinate: gridOf((await desk.rects())['btn-a']) });
      const events = await desk.waitForEvent((e) => e.type === 'click');
      expect(ofType(events, 'click')[0]).toMatchObject({ ctrl: false, shift: false, alt: false, meta: false, buttons: 0 });
    });

    it('waits, ends a wait early on abort, and does nothing for terminate and answer', async () => {
      expect(await act({ action: 'wait', time: 0.05 })).toEqual({});
      const controller = new AbortController();
      const waiting = act({ action: 'wait', time: 600 }, controller.signal);
      setTimeout(() => controller.abort(), 20);
      await expect(waiting).rejects.toBeInstanceOf(ActionAborted);
      expect(await act({ action: 'terminate', status: 'success' })).toEqual({});
      expect(await act({ action: 'answer', text: 'forty-two' })).toEqual({});
      const events = await desk.events();
      expect(events.filter((e) => /^(mouse|key|click|wheel)/.test(e.type))).toEqual([]);
    });
  });
}
