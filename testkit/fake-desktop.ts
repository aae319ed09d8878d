/**
 * Device doubles for loop tests and benchmarks that need no X server or phone: a flat colour that changes after
 * every action (or never, to provoke loop detection), a record of what they were asked to perform, and a `type`
 * that can be made slow. FakeDesktop speaks computer_use, FakePhone mobile_use; both map points with the engine's
 * one mapper, as real devices do.
 */
import type { ComputerAction, MobileAction } from '../app/base/actions';
import type { ComputerUseDesktop, Frame, MobileUseDesktop } from '../app/devices/device';
import { modelToGlobal, type ActionTarget, type Display, type PerformResult } from '../app/screen/geometry';

export interface FakeDesktopOptions {
  width?: number;
  height?: number;
  /** The screen never changes (loop detection tests). */
  static?: boolean;
  /** Milliseconds a `type` action takes (it ends early on abort). */
  typeMs?: number;
  /** What `perform` of a `type` says (PerformResult note and warning), as a real desktop's typing would. */
  typeResult?: Pick<PerformResult, 'note' | 'warning'>;
  /** The screen's pixels (RGB, width x height) instead of a flat colour, e.g. a small target to zoom in on. */
  paint?: (width: number, height: number) => Buffer;
}

abstract class FakeScreen<A extends ComputerAction | MobileAction> {
  readonly performed: Array<{ action: A; target: ActionTarget }> = [];
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
    const data = this.options.paint ? this.options.paint(width, height) : Buffer.alloc(width * height * 3, this.shade);
    return { display, width, height, channels: 3, data, capturedAt: Date.now(), method: 'fake' };
  }

  async perform(action: A, target: ActionTarget, signal?: AbortSignal): Promise<PerformResult> {
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
    const map = ([x, y]: readonly [number, number]) => modelToGlobal({ x, y }, target.space, target.display, target.imageSize);
    const result: PerformResult = action.action === 'type' ? { ...this.options.typeResult } : {};
    if ('coordinate' in action && action.coordinate) result.screen = map(action.coordinate);
    if ('coordinate2' in action) result.screen2 = map(action.coordinate2);
    return result;
  }

  async releaseAll(): Promise<void> {
    this.releases++;
  }

  async close(): Promise<void> {}
}

export class FakeDesktop extends FakeScreen<ComputerAction> implements ComputerUseDesktop {
  readonly kind = 'fake';
  readonly tool = 'computer_use';
}

/** A touchscreen double: the same screen, taking mobile_use actions. */
export class FakePhone extends FakeScreen<MobileAction> implements MobileUseDesktop {
  readonly kind = 'fake phone';
  readonly tool = 'mobile_use';
}
