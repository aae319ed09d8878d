/**
 * The Debian packages the app domains need on the local backend (`tasks doctor` checks them; `--fix` installs the
 * missing ones with apt-get, through sudo when not root). What each is for is said here, once.
 */
import { spawnSync } from 'node:child_process';
import type { Check } from './machine-check';

export interface AppPackage {
  package: string;
  /** What the tasks use it for. */
  why: string;
}

export const APP_PACKAGES: AppPackage[] = [
  { package: 'chromium', why: 'chrome tasks: the google-chrome shim runs it (DevTools on 1337, forwarded to 9222)' },
  { package: 'socat', why: 'chrome tasks forward port 9222 to the browser with socat' },
  { package: 'gimp', why: 'gimp tasks' },
  { package: 'vlc', why: 'vlc tasks (the vlc shim adds the web interface on 8080 the VM has)' },
  { package: 'thunderbird', why: 'thunderbird tasks' },
  { package: 'libreoffice-calc', why: 'libreoffice_calc tasks and office multi_apps tasks (soffice --calc, headless --convert-to)' },
  { package: 'libreoffice-writer', why: 'libreoffice_writer tasks and office multi_apps tasks' },
  { package: 'libreoffice-impress', why: 'libreoffice_impress tasks and office multi_apps tasks' },
  { package: 'ffmpeg', why: 'multi_apps and vlc tasks convert media with ffmpeg; compare_videos and compare_audios decode with it' },
  { package: 'tmux', why: "the terminal's text for vm_terminal_output (tmux runs invisibly under the desktop's xterm)" },
  { package: 'xdg-utils', why: '`open` steps and the default-player check' },
  { package: 'libglib2.0-bin', why: 'gio and gsettings in os tasks' },
];

/** dpkg's word on a package. */
export function dpkgInstalled(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

export function missingAppPackages(installed: (pkg: string) => boolean = dpkgInstalled): AppPackage[] {
  return APP_PACKAGES.filter((p) => !installed(p.package));
}

/** The commands that install `packages` (none when nothing is missing); sudo in front when not root. */
export function aptCommands(packages: string[], root = process.getuid?.() === 0): string[][] {
  if (!packages.length) return [];
  const sudo = root ? [] : ['sudo'];
  return [
    [...sudo, 'apt-get', 'update', '-qq'],
    [...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', ...packages],
  ];
}

export function appPackageChecks(installed: (pkg: string) => boolean = dpkgInstalled): Check[] {
  return APP_PACKAGES.map((p) => {
    const ok = installed(p.package);
    return { name: p.package, ok, detail: ok ? `installed (${p.why})` : `not installed (${p.why})`, fix: ok ? undefined : 'deskpilot tasks doctor --fix', optional: true };
  });
}

/** Install what is missing, printing each command before it runs. Throws when one fails. */
export function installAppPackages(print: (line: string) => void, installed: (pkg: string) => boolean = dpkgInstalled): string[] {
  const missing = missingAppPackages(installed).map((p) => p.package);
  if (!missing.length) {
    print('app packages: all installed');
    return [];
  }
  for (const argv of aptCommands(missing)) {
    print(`running: ${argv.join(' ')}`);
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  }
  return missing;
}
