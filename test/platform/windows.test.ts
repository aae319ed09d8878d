import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRisk } from '../../app/policy/risk';
import type { WindowProbe } from '../../app/platform/windows';
import { createX11WindowProbe, parseWindowGeometry, parseWindowProps } from '../../app/platform/x11/windows';
import { startFixtureDesktop, type FixtureDesktop } from '../../testkit/fixture-desktop/desktop';

describe('window properties', () => {
  it('reads title and class from xprop, quotes unescaped', () => {
    const out = [
      'WM_CLASS(STRING) = "xterm", "XTerm"',
      '_NET_WM_NAME(UTF8_STRING) = "say \\"hi\\" — ü"',
      'WM_NAME(STRING) = "old"',
    ].join('\n');
    expect(parseWindowProps(out)).toEqual({ title: 'say "hi" — ü', className: 'XTerm' });
    expect(parseWindowProps('WM_CLASS:  not found.\nWM_NAME(STRING) = "t"')).toEqual({ title: 't' });
  });

  it('reads a viewable window rectangle from xwininfo, and nothing from an unmapped one', () => {
    const out = '  Absolute upper-left X:  -10\n  Absolute upper-left Y:  20\n  Width: 300\n  Height: 200\n  Map State: IsViewable\n';
    expect(parseWindowGeometry(out)).toEqual({ x: -10, y: 20, width: 300, height: 200 });
    expect(parseWindowGeometry(out.replace('IsViewable', 'IsUnMapped'))).toBeNull();
  });

  it('knows nothing, without failing, when there is no X display', async () => {
    const probe = createX11WindowProbe(':4093');
    expect(await probe.focused()).toBeUndefined();
    expect(await probe.atPoint({ x: 1, y: 1 })).toBeUndefined();
  });
});

describe('on a real desktop (browser and xterm under openbox)', () => {
  let desktop: FixtureDesktop;
  let probe: WindowProbe;
  beforeAll(async () => {
    desktop = await startFixtureDesktop({ width: 1024, height: 768 });
    probe = createX11WindowProbe(desktop.display.display);
  }, 60_000);
  afterAll(async () => desktop?.stop());

  it('names the focused window, and typing into the terminal is risky', async () => {
    await desktop.focusTerminal();
    const focused = await probe.focused();
    expect(focused?.className).toBe('XTerm');
    const risk = classifyRisk({ action: 'type', text: 'hello' }, { instruction: 'write hello', focusedWindow: focused! }, []);
    expect(risk.level).toBe('risky');
    expect(risk.reasons[0]).toMatch(/Types into a terminal/);

    await desktop.focusBrowser();
    const browser = await probe.focused();
    expect(browser?.className).toMatch(/chrom/i);
    expect(classifyRisk({ action: 'type', text: 'hello' }, { instruction: 'write hello', focusedWindow: browser! }, []).level).toBe('safe');
  });

  it('names the window under a point: the terminal on top of the browser, the browser elsewhere', async () => {
    await desktop.focusTerminal();
    const term = await desktop.terminalRect();
    expect((await probe.atPoint({ x: term.x + term.width / 2, y: term.y + term.height / 2 }))?.className).toBe('XTerm');
    const rects = await desktop.rects();
    const button = rects['btn-a'];
    const inside = (p: { x: number; y: number }) => p.x >= term.x && p.x < term.x + term.width && p.y >= term.y && p.y < term.y + term.height;
    const point = { x: button.x + button.width / 2, y: button.y + button.height / 2 };
    expect(inside(point)).toBe(false);
    expect((await probe.atPoint(point))?.className).toMatch(/chrom/i);
  });
});
