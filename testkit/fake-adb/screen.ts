/**
 * The simulated phone's screen: a layout of flat-coloured rectangles (no text, so tests find things by colour),
 * drawn into a raw RGB buffer and encoded as PNG with sharp, and hit-tested for taps. Everything is laid out on the
 * logical display (after rotation and `wm size` overrides), the space `input tap` and `screencap` use.
 *
 * Home: a wallpaper with one square icon per launchable app, in the app's colour. An app: a bar in the app's colour,
 * a target button (red; green once tapped, blue once long-pressed), a text field (a dark block per typed character)
 * and a list of rows that vertical swipes scroll. Always: a status bar and a navigation bar with Back, Home and
 * Recents buttons.
 */
import sharp from 'sharp';

export interface Colour {
  r: number;
  g: number;
  b: number;
}

/** The colours tests look for (exported so a test can find the target in a screenshot without knowing the layout). */
export const PHONE_PALETTE = {
  statusBar: { r: 20, g: 20, b: 20 },
  navBar: { r: 0, g: 0, b: 0 },
  navButton: { r: 200, g: 200, b: 200 },
  wallpaper: { r: 25, g: 55, b: 100 },
  appBackground: { r: 245, g: 245, b: 245 },
  target: { r: 230, g: 30, b: 30 },
  targetTapped: { r: 30, g: 180, b: 60 },
  targetLongPressed: { r: 40, g: 90, b: 230 },
  field: { r: 255, g: 255, b: 255 },
  fieldBorder: { r: 120, g: 120, b: 120 },
  fieldFocusedBorder: { r: 0, g: 150, b: 200 },
  fieldText: { r: 40, g: 40, b: 40 },
  rowA: { r: 210, g: 210, b: 222 },
  rowB: { r: 185, g: 185, b: 204 },
} as const satisfies Record<string, Colour>;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type TargetState = 'idle' | 'tapped' | 'long-pressed';

export type ScreenView =
  | { kind: 'home'; icons: { package: string; colour: Colour }[] }
  | { kind: 'app'; package: string; colour: Colour; target: TargetState; textLength: number; fieldFocused: boolean; scroll: number };

export type Element =
  | { role: 'nav-back' | 'nav-home' | 'nav-recents' | 'target' | 'field' | 'list'; rect: Rect }
  | { role: 'icon'; rect: Rect; package: string };

interface Layout {
  statusBar: Rect;
  navBar: Rect;
  nav: { back: Rect; home: Rect; recents: Rect };
  content: Rect;
}

function frame(width: number, height: number): Layout {
  const statusH = Math.round(height * 0.03);
  const navH = Math.round(height * 0.05);
  const button = Math.round(navH * 0.5);
  const navY = height - navH;
  const navButton = (cx: number): Rect => ({ x: Math.round(cx - button / 2), y: Math.round(navY + (navH - button) / 2), w: button, h: button });
  return {
    statusBar: { x: 0, y: 0, w: width, h: statusH },
    navBar: { x: 0, y: navY, w: width, h: navH },
    nav: { back: navButton(width * 0.25), home: navButton(width * 0.5), recents: navButton(width * 0.75) },
    content: { x: 0, y: statusH, w: width, h: navY - statusH },
  };
}

function iconRects(width: number, height: number, count: number): Rect[] {
  const { content } = frame(width, height);
  const columns = 4;
  const cell = Math.floor(width / columns);
  const size = Math.round(Math.min(cell, content.h / 6) * 0.6);
  const rects: Rect[] = [];
  for (let index = 0; index < count; index++) {
    const column = index % columns;
    const row = Math.floor(index / columns);
    const y = Math.round(content.y + content.h * 0.08 + row * cell);
    if (y + size > content.y + content.h) break;
    rects.push({ x: Math.round(column * cell + (cell - size) / 2), y, w: size, h: size });
  }
  return rects;
}

function appRects(width: number, height: number) {
  const { content } = frame(width, height);
  const appBar: Rect = { x: 0, y: content.y, w: width, h: Math.round(content.h * 0.08) };
  const target: Rect = { x: Math.round(width * 0.25), y: Math.round(content.y + content.h * 0.2), w: Math.round(width * 0.5), h: Math.round(content.h * 0.07) };
  const field: Rect = { x: Math.round(width * 0.1), y: Math.round(content.y + content.h * 0.36), w: Math.round(width * 0.8), h: Math.round(content.h * 0.06) };
  const listTop = Math.round(content.y + content.h * 0.5);
  const list: Rect = { x: 0, y: listTop, w: width, h: content.y + content.h - listTop };
  return { appBar, target, field, list, rowHeight: Math.max(2, Math.round(content.h * 0.06)) };
}

/** The interactive elements on screen, topmost last. */
export function elements(view: ScreenView, width: number, height: number): Element[] {
  const { nav } = frame(width, height);
  const out: Element[] = [];
  if (view.kind === 'home') {
    iconRects(width, height, view.icons.length).forEach((rect, index) => out.push({ role: 'icon', rect, package: view.icons[index]!.package }));
  } else {
    const app = appRects(width, height);
    out.push({ role: 'list', rect: app.list }, { role: 'target', rect: app.target }, { role: 'field', rect: app.field });
  }
  out.push({ role: 'nav-back', rect: nav.back }, { role: 'nav-home', rect: nav.home }, { role: 'nav-recents', rect: nav.recents });
  return out;
}

export function hitTest(view: ScreenView, width: number, height: number, x: number, y: number): Element | undefined {
  const all = elements(view, width, height);
  for (let index = all.length - 1; index >= 0; index--) {
    const { rect } = all[index]!;
    if (x >= rect.x && x < rect.x + rect.w && y >= rect.y && y < rect.y + rect.h) return all[index];
  }
  return undefined;
}

class Canvas {
  readonly pixels: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = Buffer.alloc(width * height * 3);
  }

  fill(rect: Rect, colour: Colour): void {
    const x0 = Math.max(0, Math.round(rect.x));
    const x1 = Math.min(this.width, Math.round(rect.x + rect.w));
    const y0 = Math.max(0, Math.round(rect.y));
    const y1 = Math.min(this.height, Math.round(rect.y + rect.h));
    if (x1 <= x0 || y1 <= y0) return;
    const pattern = Buffer.from([colour.r, colour.g, colour.b]);
    for (let y = y0; y < y1; y++) {
      const row = y * this.width * 3;
      this.pixels.fill(pattern, row + x0 * 3, row + x1 * 3);
    }
  }

  /** A rectangle with a border of `thickness` pixels. */
  box(rect: Rect, inside: Colour, border: Colour, thickness: number): void {
    this.fill(rect, border);
    this.fill({ x: rect.x + thickness, y: rect.y + thickness, w: rect.w - 2 * thickness, h: rect.h - 2 * thickness }, inside);
  }
}

const TARGET_COLOUR: Record<TargetState, Colour> = {
  idle: PHONE_PALETTE.target,
  tapped: PHONE_PALETTE.targetTapped,
  'long-pressed': PHONE_PALETTE.targetLongPressed,
};

export function renderRaw(view: ScreenView, width: number, height: number): Buffer {
  const canvas = new Canvas(width, height);
  const layout = frame(width, height);
  if (view.kind === 'home') {
    canvas.fill(layout.content, PHONE_PALETTE.wallpaper);
    iconRects(width, height, view.icons.length).forEach((rect, index) => canvas.fill(rect, view.icons[index]!.colour));
  } else {
    const app = appRects(width, height);
    canvas.fill(layout.content, PHONE_PALETTE.appBackground);
    canvas.fill(app.appBar, view.colour);
    canvas.fill(app.target, TARGET_COLOUR[view.target]);
    const border = Math.max(1, Math.round(width / 270));
    canvas.box(app.field, PHONE_PALETTE.field, view.fieldFocused ? PHONE_PALETTE.fieldFocusedBorder : PHONE_PALETTE.fieldBorder, border);
    // One dark block per typed character, as far as the field reaches.
    const block = Math.max(2, Math.round(width / 60));
    const inner = app.field.h - 6 * border;
    for (let index = 0; index < view.textLength; index++) {
      const x = app.field.x + 3 * border + index * (block + border);
      if (x + block > app.field.x + app.field.w - 3 * border) break;
      canvas.fill({ x, y: app.field.y + 3 * border, w: block, h: inner }, PHONE_PALETTE.fieldText);
    }
    // Rows scroll with the list: a swipe up (scroll > 0) moves them up.
    const period = 2 * app.rowHeight;
    const offset = ((view.scroll % period) + period) % period;
    for (let y = app.list.y - offset; y < app.list.y + app.list.h; y += app.rowHeight) {
      const index = Math.round((y - (app.list.y - offset)) / app.rowHeight);
      const top = Math.max(y, app.list.y);
      const bottom = Math.min(y + app.rowHeight, app.list.y + app.list.h);
      canvas.fill({ x: 0, y: top, w: width, h: bottom - top - 1 }, index % 2 === 0 ? PHONE_PALETTE.rowA : PHONE_PALETTE.rowB);
    }
  }
  canvas.fill(layout.statusBar, PHONE_PALETTE.statusBar);
  canvas.fill(layout.navBar, PHONE_PALETTE.navBar);
  for (const rect of Object.values(layout.nav)) canvas.fill(rect, PHONE_PALETTE.navButton);
  return canvas.pixels;
}

export async function renderPng(view: ScreenView, width: number, height: number): Promise<Buffer> {
  return sharp(renderRaw(view, width, height), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 3 }).toBuffer();
}
