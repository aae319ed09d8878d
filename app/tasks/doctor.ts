/**
 * `tasks doctor`: what this machine lacks to run OSWorld task files on the local backend, and how to fix it.
 * `--fix` (as root) creates the `user` account with home /home/user and password "password" that tasks assume.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { appPackageChecks } from './app-packages';

import type { Check } from './machine-check';

export type { Check };

function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

function userExists(name: string): boolean {
  return spawnSync('getent', ['passwd', name], { stdio: 'ignore' }).status === 0;
}

const APT = 'sudo apt-get install -y';

export function runChecks(options: { home?: string } = {}): Check[] {
  const checks: Check[] = [];
  const tool = (name: string, pkg: string, why: string, optional = false) => {
    const found = which(name);
    checks.push({ name, ok: !!found, detail: found ? found : `not found (${why})`, fix: found ? undefined : `${APT} ${pkg}`, optional });
  };
  const root = process.getuid?.() === 0;
  const remapped = options.home && path.resolve(options.home) !== '/home/user';
  if (remapped) {
    checks.push({ name: 'home', ok: true, detail: `/home/user is remapped to ${path.resolve(options.home!)} (--home)` });
  } else {
    const hasUser = userExists('user');
    checks.push({
      name: 'user account',
      ok: hasUser,
      detail: hasUser ? 'user "user" exists' : 'no user "user" (tasks assume user/password)',
      fix: hasUser ? undefined : root ? 'deskpilot tasks doctor --fix' : 'sudo deskpilot tasks doctor --fix   (or run with --home DIR to remap /home/user)',
    });
    const hasHome = existsSync('/home/user');
    checks.push({
      name: 'home',
      ok: hasHome,
      detail: hasHome ? '/home/user exists' : '/home/user is missing',
      fix: hasHome ? undefined : 'deskpilot tasks doctor --fix   (or --home DIR to remap /home/user)',
    });
  }
  const sudo = which('sudo');
  checks.push({
    name: 'sudo',
    ok: !!sudo || root || !!remapped,
    detail: remapped
      ? 'in the remapped home a stand-in runs `sudo -S cmd` as this user'
      : sudo
        ? sudo
        : root
          ? 'not installed; running as root, so a stand-in runs `sudo -S cmd` directly'
          : 'not installed (tasks run `echo password | sudo -S ...`)',
    fix: sudo || root || remapped ? undefined : `${APT} sudo && echo 'user ALL=(ALL) ALL' | sudo tee /etc/sudoers.d/user`,
  });
  tool('Xvfb', 'xvfb', 'a fresh display per task');
  tool('openbox', 'openbox', 'window manager for the task display');
  tool('wmctrl', 'wmctrl', 'activate_window / close_window steps');
  tool('xdotool', 'xdotool', 'the pyautogui stand-in used by setup commands');
  const terminal = which('xterm');
  checks.push({
    name: 'terminal',
    ok: !!terminal,
    detail: terminal ? `${terminal} (opened by Ctrl+Alt+T, titled "Terminal")` : 'xterm not found (Ctrl+Alt+T must open a terminal)',
    fix: terminal ? undefined : `${APT} xterm`,
  });
  const python = which('python3');
  checks.push({ name: 'python', ok: !!python, detail: python ? `${python} (\`python\` is provided as python3)` : 'python3 not found (setup commands run python -c)', fix: python ? undefined : `${APT} python3` });
  const pyautogui = python ? spawnSync('python3', ['-c', 'import pyautogui'], { stdio: 'ignore', env: { ...process.env, DISPLAY: '' } }).status === 0 : false;
  checks.push({ name: 'pyautogui', ok: true, detail: pyautogui ? 'installed' : 'not installed; the built-in stand-in (xdotool) is used' });
  tool('xdg-open', 'xdg-utils', '`open` steps', true);
  tool('gio', 'libglib2.0-bin', 'some os tasks use `gio trash`', true);
  tool('unzip', 'unzip', 'tasks that unpack downloads', true);
  tool('git', 'git', 'tasks with git repositories', true);
  if (root) {
    // VLC will not run as root; the vlc shim (resources/shims) then runs it in a user namespace.
    const ns = spawnSync('unshare', ['--user', '--map-user=1000', '--map-group=1000', 'true'], { stdio: 'ignore' }).status === 0;
    checks.push({
      name: 'vlc as root',
      ok: ns,
      detail: ns ? 'VLC runs in a user namespace as uid 1000 (it refuses root)' : 'VLC refuses to run as root, and no user namespace can be made here (unshare --user failed)',
      fix: ns ? undefined : 'run the tasks as a user (sudo deskpilot tasks doctor --fix creates one), or allow user namespaces',
      optional: true,
    });
  }
  checks.push(...appPackageChecks());
  return checks;
}

export function formatChecks(checks: Check[]): string {
  const lines = checks.map((c) => `${c.ok ? 'ok  ' : c.optional ? 'warn' : 'FAIL'}  ${c.name.padEnd(13)} ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`);
  const missing = checks.filter((c) => !c.ok && !c.optional).length;
  lines.push(missing ? `\n${missing} required item(s) missing for the local backend.` : '\nready for the local backend.');
  return lines.join('\n') + '\n';
}

/** Create user `user` (home /home/user, password "password", sudo group if present). Root only. */
export function fixUser(): string[] {
  if (process.getuid?.() !== 0) throw new Error('doctor --fix must run as root (it creates the `user` account)');
  const done: string[] = [];
  const run = (cmd: string, args: string[], input?: string) => {
    const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  };
  if (!userExists('user')) {
    run('useradd', ['--create-home', '--home-dir', '/home/user', '--shell', '/bin/bash', 'user']);
    done.push('created user "user" with home /home/user');
  }
  run('chpasswd', [], 'user:password\n');
  done.push('set the password of "user" to "password"');
  if (spawnSync('getent', ['group', 'sudo'], { stdio: 'ignore' }).status === 0) {
    run('usermod', ['-aG', 'sudo', 'user']);
    done.push('added "user" to the sudo group');
  }
  return done;
}
