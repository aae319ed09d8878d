import { describe, expect, it } from 'vitest';
import type { ComputerUseDesktop, Frame } from '../../app/devices/device';
import type { Display } from '../../app/screen/geometry';
import { keepOutOfTheWay, WindowHider, type OwnWindow } from '../../main/own-windows';

class FakeWindow implements OwnWindow {
  visible: boolean;
  destroyed = false;
  focused = false;
  log: string[] = [];
  constructor(
    readonly name: string,
    visible = true,
  ) {
    this.visible = visible;
  }
  isDestroyed() {
    return this.destroyed;
  }
  isVisible() {
    return this.visible;
  }
  hide() {
    this.visible = false;
    this.focused = false;
    this.log.push('hide');
  }
  showInactive() {
    this.visible = true;
    this.log.push('showInactive');
  }
}

const display = { id: 0, name: 'screen', bounds: { x: 0, y: 0, width: 800, height: 600 }, scaleFactor: 1, primary: true } as unknown as Display;

/** A desktop that notes which of our windows were on screen whenever it captured or acted. */
function recordingDesktop(windows: FakeWindow[], failPerform = false) {
  const seen: string[] = [];
  const onScreen = () => windows.filter((w) => w.visible).map((w) => w.name).join(',') || 'none';
  const desktop: ComputerUseDesktop = {
    kind: 'test',
    tool: 'computer_use',
    displays: async () => [display],
    capture: async () => {
      seen.push(`capture sees ${onScreen()}`);
      return { display, width: 1, height: 1, channels: 3, data: Buffer.alloc(3), capturedAt: 0, method: 'test' } satisfies Frame;
    },
    perform: async (action) => {
      seen.push(`${action.action} sees ${onScreen()}`);
      if (failPerform) throw new Error('input failed');
      return {};
    },
    releaseAll: async () => {},
    close: async () => {},
  };
  return { desktop, seen };
}

const noWait = { hideSettleMs: 0, restoreDelayMs: 0 };
const click = { action: 'left_click', coordinate: [500, 500] } as never;
const target = { display, space: { kind: 'grid', size: 1000 } } as never;

describe('keeping our windows out of screenshots and clicks', () => {
  it('hides the visible windows around capture and perform, then shows them again without focus', async () => {
    const main = new FakeWindow('main');
    const compact = new FakeWindow('compact');
    const { desktop, seen } = recordingDesktop([main, compact]);
    const wrapped = keepOutOfTheWay(desktop, new WindowHider(() => [main, compact], noWait), { hideForCapture: true, enabled: () => true });
    await wrapped.capture(display);
    await wrapped.perform(click, target);
    expect(seen).toEqual(['capture sees none', 'left_click sees none']);
    expect(main.visible && compact.visible).toBe(true);
    expect(main.log).toEqual(['hide', 'showInactive', 'hide', 'showInactive']);
  });

  it('a window the person had hidden stays hidden; destroyed windows are skipped', async () => {
    const main = new FakeWindow('main', false);
    const compact = new FakeWindow('compact');
    const gone = new FakeWindow('gone');
    gone.destroyed = true;
    const { desktop, seen } = recordingDesktop([main, compact]);
    const wrapped = keepOutOfTheWay(desktop, new WindowHider(() => [main, compact, gone], noWait), { hideForCapture: true, enabled: () => true });
    await wrapped.perform(click, target);
    expect(seen).toEqual(['left_click sees none']);
    expect(main.visible).toBe(false);
    expect(compact.visible).toBe(true);
    expect(gone.log).toEqual([]);
  });

  it('the windows come back even when the action fails', async () => {
    const main = new FakeWindow('main');
    const { desktop } = recordingDesktop([main], true);
    const wrapped = keepOutOfTheWay(desktop, new WindowHider(() => [main], noWait), { hideForCapture: true, enabled: () => true });
    await expect(wrapped.perform(click, target)).rejects.toThrow('input failed');
    expect(main.visible).toBe(true);
  });

  it('switched off in the settings: nothing is hidden', async () => {
    const main = new FakeWindow('main');
    const { desktop, seen } = recordingDesktop([main]);
    let enabled = false;
    const wrapped = keepOutOfTheWay(desktop, new WindowHider(() => [main], noWait), { hideForCapture: true, enabled: () => enabled });
    await wrapped.capture(display);
    enabled = true;
    await wrapped.capture(display);
    expect(seen).toEqual(['capture sees main', 'capture sees none']);
  });

  it('rapid captures (the settle loop) keep the windows hidden instead of flickering; the delayed restore runs once', async () => {
    const main = new FakeWindow('main');
    const timers: Array<{ fn: () => void; cancelled: boolean }> = [];
    const hider = new WindowHider(() => [main], {
      hideSettleMs: 0,
      restoreDelayMs: 400,
      schedule: (fn) => {
        const timer = { fn, cancelled: false };
        timers.push(timer);
        return { cancel: () => (timer.cancelled = true) };
      },
    });
    const { desktop, seen } = recordingDesktop([main]);
    const wrapped = keepOutOfTheWay(desktop, hider, { hideForCapture: true, enabled: () => true });
    await wrapped.perform(click, target);
    await wrapped.capture(display);
    await wrapped.capture(display);
    expect(seen).toEqual(['left_click sees none', 'capture sees none', 'capture sees none']);
    expect(main.log).toEqual(['hide']);
    expect(hider.active).toBe(true);
    expect(timers.filter((t) => !t.cancelled)).toHaveLength(1);
    for (const timer of timers) if (!timer.cancelled) timer.fn();
    expect(main.log).toEqual(['hide', 'showInactive']);
    expect(hider.active).toBe(false);
  });

  it('waits for the window manager after hiding, before the screen is used', async () => {
    const main = new FakeWindow('main');
    const events: string[] = [];
    const hider = new WindowHider(() => [main], {
      hideSettleMs: 150,
      restoreDelayMs: 0,
      sleep: async (ms) => {
        events.push(`sleep ${ms} with main ${main.visible ? 'visible' : 'hidden'}`);
      },
    });
    await hider.hold(async () => events.push('work'));
    expect(events).toEqual(['sleep 150 with main hidden', 'work']);
    // Nothing to hide: no wait.
    main.visible = false;
    events.length = 0;
    await hider.hold(async () => events.push('work'));
    expect(events).toEqual(['work']);
  });

  it('a window main hides on purpose (forget) is not brought back', async () => {
    const main = new FakeWindow('main');
    const compact = new FakeWindow('compact');
    const hider = new WindowHider(() => [main, compact], { hideSettleMs: 0, restoreDelayMs: 0 });
    await hider.hold(async () => {
      hider.forget(main);
    });
    expect(main.visible).toBe(false);
    expect(compact.visible).toBe(true);
  });
});
