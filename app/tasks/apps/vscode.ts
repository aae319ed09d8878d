/**
 * VS Code as OSWorld reads it (desktop_env/evaluators/getters/vscode.py): `vscode_config` has the task's evaluation
 * extension (installed by the task's setup) write its answer into a file, by replaying key presses into VS Code's
 * command palette, then copies that file out. On Linux the replay is: Ctrl+Shift+P, "Extensions: Enable All
 * Extensions", Enter, Enter, Ctrl+Shift+P, the extension's command, Enter; a second's wait; then the file.
 * Each press runs as the reference's does, one `python -c` pyautogui command at a time on the desktop (the guest's,
 * or the local stand-in), the typed text passed as an argument rather than spliced into the code.
 */
import path from 'node:path';
import type { Environment } from '../environment';
import type { Getter } from '../evaluator-types';
import { copyOut, destPath, dict, str } from './util';

type Press = { hotkey: string[] } | { typewrite: string } | { press: string };

/** The reference's Linux trajectory for an extension command. */
export function commandPaletteReplay(command: string): Press[] {
  return [
    { hotkey: ['ctrl', 'shift', 'p'] },
    { typewrite: 'Extensions: Enable All Extensions' },
    { press: 'enter' },
    { press: 'enter' },
    { hotkey: ['ctrl', 'shift', 'p'] },
    { typewrite: command },
    { press: 'enter' },
  ];
}

// The guest's execute_python_command prefix: no fail-safe corner.
const PYAUTOGUI = 'import sys, pyautogui; pyautogui.FAILSAFE = False; ';

function pythonFor(step: Press): string[] {
  if ('hotkey' in step) return ['python3', '-c', `${PYAUTOGUI}pyautogui.hotkey(*sys.argv[1:])`, ...step.hotkey];
  if ('typewrite' in step) return ['python3', '-c', `${PYAUTOGUI}pyautogui.typewrite(sys.argv[1])`, step.typewrite];
  return ['python3', '-c', `${PYAUTOGUI}pyautogui.press(sys.argv[1])`, step.press];
}

export async function replay(env: Environment, steps: Press[]): Promise<void> {
  // As in the reference, a press that fails is not an error: it shows as the answer file not being written.
  for (const step of steps) await env.execute(pythonFor(step));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const VSCODE_GETTERS: Record<string, Getter> = {
  vscode_config: async (ctx, config) => {
    const c = dict(config, 'vscode_config getter');
    const command = str(c.vscode_extension_command, 'vscode_config getter: "vscode_extension_command"');
    const file = str(c.path, 'vscode_config getter: "path"');
    await replay(ctx.env, commandPaletteReplay(command));
    await sleep(1000);
    return copyOut(ctx, file, destPath(ctx, c.dest, path.basename(file)));
  },
};
