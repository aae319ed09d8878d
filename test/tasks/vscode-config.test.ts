/**
 * The vscode_config getter on a real X desktop: its key presses (OSWorld's replay into VS Code's command palette,
 * through the pyautogui stand-in) reach the focused window in order, and the answer file the evaluation extension
 * writes is what the metric reads. VS Code is not on this machine: an xterm titled "Visual Studio Code" plays the
 * palette and the extension - it logs each line typed and, for the "OpenProject" command, writes the file.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadCache } from '../../app/tasks/cache';
import { GETTERS, type GetterContext } from '../../app/tasks/getters';
import { METRICS } from '../../app/tasks/metrics';
import { openLocalSession, type LocalSession } from '../../app/tasks/session';
import { tempDir } from './helpers';

let session: LocalSession;
let ctx: GetterContext;
beforeAll(async () => {
  session = await openLocalSession({ home: await tempDir('vscode-home'), width: 1024, height: 768, forcePyautoguiStandIn: true });
  ctx = { env: session.env, cache: new DownloadCache(await tempDir('vscode-cache')), workDir: await tempDir('vscode-work') };
});
afterAll(async () => {
  await session?.close();
});

const PALETTE = String.raw`
import os, sys
home = os.environ["HOME"]
log = open(os.path.join(home, "palette.log"), "w")
for line in sys.stdin:
    line = line.rstrip("\n")
    log.write(repr(line) + "\n"); log.flush()
    if line == "\x10OpenProject":
        with open(os.path.join(home, "OpenProject.txt"), "w") as f:
            f.write("project")
`;

const config = { type: 'vscode_config', vscode_extension_command: 'OpenProject', path: '/home/user/OpenProject.txt', dest: 'OpenProject.txt' };

describe('vscode_config (getters/vscode.py)', { timeout: 60_000 }, () => {
  it('with nothing to answer, the file is missing: null, and compare_config scores 0', async () => {
    expect(await GETTERS.vscode_config!(ctx, config)).toBeNull();
    expect(await METRICS.compare_config!(null, { expected: 'project' }, {})).toBe(0);
  });

  it("replays Ctrl+Shift+P, the enable-extensions command, Enter, Enter, Ctrl+Shift+P, the task's command, Enter", async () => {
    const script = path.join(session.env.home, 'palette.py');
    await writeFile(script, PALETTE);
    await session.env.launch(['xterm', '-T', 'Visual Studio Code', '-e', 'python3', script]);
    for (let i = 0; i < 100 && !(await session.env.windowTitles()).includes('Visual Studio Code'); i++) await new Promise((r) => setTimeout(r, 100));
    await session.env.activateWindow('Visual Studio Code');
    for (let i = 0; i < 50 && !existsSync(path.join(session.env.home, 'palette.log')); i++) await new Promise((r) => setTimeout(r, 100));

    const file = await GETTERS.vscode_config!(ctx, config);
    expect(file).toBe(path.join(ctx.workDir, 'OpenProject.txt'));
    expect(await readFile(file as string, 'utf8')).toBe('project');
    expect((await readFile(path.join(session.env.home, 'palette.log'), 'utf8')).split('\n')).toEqual([
      String.raw`'\x10Extensions: Enable All Extensions'`,
      "''",
      String.raw`'\x10OpenProject'`,
      '',
    ]);
    expect(await METRICS.compare_config!(file, { expected: 'project' }, {})).toBe(1);
    expect(await METRICS.compare_config!(file, { expected: 'Project' }, {})).toBe(0);
  });

  it('a task without the command is refused, naming the field', async () => {
    await expect(GETTERS.vscode_config!(ctx, { type: 'vscode_config', path: '/home/user/x.txt' })).rejects.toThrow(/vscode_extension_command/);
  });
});
