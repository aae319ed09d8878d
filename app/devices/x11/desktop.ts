/**
 * The X11 desktop this process runs on: capture through app/screen, input through app/input (nut-js). One process
 * drives one X display (nut-js reads DISPLAY once), so the display is fixed when the desktop is created.
 */
import { captureDisplay } from '../../screen/capture';
import { listDisplays } from '../../screen/displays';
import { createLocalInput } from '../../input/perform';
import type { ComputerUseDesktop } from '../device';

export async function createLocalDesktop(options: { xDisplay?: string } = {}): Promise<ComputerUseDesktop> {
  const input = await createLocalInput(options.xDisplay ? { xDisplay: options.xDisplay } : {});
  return {
    kind: 'local',
    tool: 'computer_use',
    displays: () => listDisplays(options.xDisplay),
    capture: (display) => captureDisplay(display, options.xDisplay ? { xDisplay: options.xDisplay } : {}),
    perform: (action, target, signal) => input.perform(action, target, signal),
    releaseAll: () => input.releaseAll().catch(() => undefined),
    close: async () => {
      await input.releaseAll().catch(() => undefined);
    },
  };
}
