/**
 * The OSWorld guest as a Desktop: screenshots from GET /screenshot (decoded to raw pixels with sharp), actions as
 * pyautogui commands through POST /execute. One display, at the origin, the guest's screen size.
 */
import sharp from 'sharp';
import type { ComputerUseDesktop, Frame } from '../device';
import type { ComputerAction } from '../../base/actions';
import { sleep } from '../../base/sleep';
import type { ActionTarget, Display, PerformResult } from '../../screen/geometry';
import { GuestClient, GuestError, type GuestOptions } from './client';
import { actionToPyautogui, PYAUTOGUI_PREFIX } from './pyautogui';

export class GuestDesktop implements ComputerUseDesktop {
  readonly kind = 'osworld';
  readonly tool = 'computer_use';
  readonly client: GuestClient;
  private display: Display | undefined;

  constructor(options: GuestOptions | GuestClient) {
    this.client = options instanceof GuestClient ? options : new GuestClient(options);
  }

  async displays(): Promise<Display[]> {
    if (!this.display) {
      const size = await this.client.screenSize();
      this.display = { id: 0, name: 'osworld', bounds: { x: 0, y: 0, ...size }, scaleFactor: 1, primary: true };
    }
    return [this.display];
  }

  async capture(display: Display): Promise<Frame> {
    const png = await this.client.screenshot();
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 && info.channels !== 4) throw new GuestError(`guest screenshot has ${info.channels} channels`);
    return { display, width: info.width, height: info.height, channels: info.channels, data, capturedAt: Date.now(), method: 'osworld-screenshot' };
  }

  async run(code: string): Promise<void> {
    const r = await this.client.execute(['python', '-c', PYAUTOGUI_PREFIX + code], false);
    if (r.status === 'error') throw new GuestError(`guest could not run the action: ${r.message ?? 'error'}`);
    if (r.returncode !== 0) throw new GuestError(`guest action failed (exit ${r.returncode}): ${r.error.trim().slice(-500)}`);
  }

  async perform(action: ComputerAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult> {
    const screen = { width: target.display.bounds.width, height: target.display.bounds.height };
    const t = actionToPyautogui(action, { space: target.space, screen, imageSize: target.imageSize });
    if (t === null) return { note: 'nothing to perform' };
    if ('special' in t) {
      if (action.action === 'wait') {
        await sleep(action.time * 1000, signal);
      }
      return { note: t.special };
    }
    await this.run(t.code);
    return t.screen ? { screen: t.screen } : {};
  }

  async releaseAll(): Promise<void> {
    try {
      await this.run(
        "[pyautogui.keyUp(k) for k in ('shift', 'ctrl', 'alt', 'win')]; [pyautogui.mouseUp(button=b) for b in ('left', 'right', 'middle')]",
      );
    } catch {
      /* never throws */
    }
  }

  async close(): Promise<void> {}
}
