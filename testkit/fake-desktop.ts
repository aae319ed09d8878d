/**
 * A desktop double for loop tests that need no X server: it shows a flat colour that changes after every action
 * (or never, to provoke loop detection), records what it was asked to perform, and can make an action slow.
 */
import type { ComputerAction } from '../app/base/actions';
import type { Desktop, Frame } from '../app/devices/device';
import { modelToGlobal, type ActionTarget, type Display, type PerformResult } from '../app/screen/geometry';

export interface FakeDesktopOptions {
  width?: number;
  height?: number;
  /** The screen never changes (loop detection tests). */
  static?: boolean;
  /** Milliseconds a `type` action takes (it ends early on abort). */
  typeMs?: number;
}

export class FakeDesktop implements Desktop {
  readonly kind = 'fake';
  readonly performed: Array<{ action: ComputerAction; target: ActionTarget }> = [];
  releases = 0;
  captures = 0;
  private shade = 0;
  readonly display: Display;

  constructor(private readonly options: FakeDesktopOptions = {}) {
    this.display = {
      id: 0,
      name: 'fake',
      bounds: { x: 0, y: 0, width: options.width ?? 1280, height: options.height ?? 800 },
      scaleFactor: 1,
      primary: true,
    };
  }

  async displays(): Promise<Display[]> {
    return [this.display];
  }

  async capture(display: Display): Promise<Frame> {
    this.captures++;
    const { width, height } = display.bounds;
    const data = Buffer.alloc(width * height * 3, this.shade);
    return { display, width, height, channels: 3, data, capturedAt: Date.now(), method: 'fake' };
  }

  async perform(action: ComputerAction, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult> {
    if (action.action === 'type' && this.options.typeMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.typeMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.performed.push({ action, target });
    if (!this.options.static) this.shade = (this.shade + 40) % 256;
    if ('coordinate' in action && action.coordinate) {
      const [x, y] = action.coordinate;
      return { screen: modelToGlobal({ x, y }, target.space, target.display, target.imageSize) };
    }
    return {};
  }

  async releaseAll(): Promise<void> {
    this.releases++;
  }

  async close(): Promise<void> {}
}
