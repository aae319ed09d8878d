/**
 * Published GIMP, VLC and Thunderbird task files, unchanged, through the CLI on a throwaway Xvfb desktop with the real GIMP and
 * VLC and Thunderbird: the downloads (an image made with sharp, a video made with ffmpeg, a profile archive made
 * with tar) come from the offline cache, `tasks
 * setup` opens them, `tasks evaluate` scores 0, the person does what the task asks in the running app, and `tasks
 * evaluate` scores 1. GIMP is driven as a person drives it, through its window (the task's own postconfig exports
 * the image with Shift+Ctrl+E); VLC through the web interface the local `vlc` stand-in enables as OSWorld's VM does,
 * and its files (vlcrc; a video the person turns with ffmpeg).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalEnvironment } from '../../app/tasks/local-env';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadUrls, loadFixture, seededCache, tempDir } from './helpers';
import { killAll, openTaskDesktop, type TaskDesktop } from './task-desktop';

let d: TaskDesktop;
let work: string;
beforeAll(async () => {
  d = await openTaskDesktop();
  work = await tempDir('gimp-vlc');
});
afterAll(async () => {
  await d?.close();
});

/** xdotool on the task desktop; '' when a search finds nothing. (Each call has its own timeout: execFileSync blocks the test's timer.) */
function x(...args: string[]): string {
  try {
    return execFileSync('xdotool', args, { env: { ...process.env, DISPLAY: d.session.display }, encoding: 'utf8', timeout: 10_000 });
  } catch {
    return '';
  }
}

/** The first window whose title matches, once it is shown. */
async function windowNamed(title: string, timeout = 90_000): Promise<string> {
  let id = '';
  await expect.poll(() => (id = x('search', '--onlyvisible', '--name', title).split('\n').filter(Boolean)[0] ?? ''), { timeout, interval: 500 }).not.toBe('');
  return id;
}

/** A picture that is not its own mirror image: a red-to-blue ramp with a white block near the left edge. */
async function lopsidedPng(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const block = x > width / 10 && x < width / 4 && y > height / 3 && y < (2 * height) / 3;
      pixels[i] = block ? 255 : Math.round((255 * (width - 1 - x)) / (width - 1));
      pixels[i + 1] = block ? 255 : Math.round((255 * y) / (height - 1));
      pixels[i + 2] = block ? 255 : Math.round((255 * x) / (width - 1));
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe('published GIMP tasks on the local backend', { timeout: 300_000 }, () => {
  it('72f83cdc: check_image_mirror on what GIMP exports (the postconfig\'s Shift+Ctrl+E); 0 as opened, 1 after Flip Horizontally', async () => {
    const id = '72f83cdc-bf76-4531-9a1b-eb893a13f8aa';
    const task = await loadFixture('gimp', id);
    const berry = await lopsidedPng(240, 160);
    await seededCache(d.cacheDir, [[downloadUrls(task)[0]!, berry]]);
    await d.setup('gimp', id);
    expect(readFileSync(path.join(d.home, 'Desktop/berry.png')).equals(berry)).toBe(true);
    const image = await windowNamed('berry');

    // Exported as opened: not a mirror image.
    const before = await d.evaluate('gimp', id);
    const exported = path.join(d.home, 'Desktop/berry_mirror.png');
    expect(existsSync(exported)).toBe(true);
    expect(before.score).toBe(0);

    // The export is a by-product of evaluating: an agent's run is evaluated once, onto a Desktop without it (and
    // a second Export As would stop at GIMP's "replace?" question).
    rmSync(exported);
    // The person flips the image: Image > Transform > Flip Horizontally, through the menus' mnemonics.
    x('windowactivate', '--sync', image);
    for (const k of ['alt+i', 't', 'h']) {
      x('key', '--clearmodifiers', k);
      await new Promise((r) => setTimeout(r, 700));
    }
    await windowNamed('^\\*\\[berry', 20_000); // the title's * says the image changed
    const after = await d.evaluate('gimp', id);
    expect(after.score).toBe(1);
    const { data, info } = await sharp(exported).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // The white block is now near the right edge.
    const at = (px: number, py: number) => data[(py * info.width + px) * 3 + 1];
    expect(at(info.width - 1 - 40, 80)).toBe(255);
    expect(at(40, 80)).not.toBe(255);
    killAll(d.processesInHome(/gimp/));
  });
});

/** A short test-pattern video with a tone, as the task's download. */
function testVideo(file: string, seconds: number): Buffer {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file], { timeout: 60_000 });
  return readFileSync(file);
}

const VLC_STATUS = 'http://127.0.0.1:8080/requests/status.xml';
const vlcAuth = { authorization: `Basic ${Buffer.from(':password').toString('base64')}` };

/** VLC's state through its web interface (the password the tasks' getter uses), or null while it is not up. */
async function vlcState(query = ''): Promise<string | null> {
  try {
    const r = await fetch(`${VLC_STATUS}${query}`, { headers: vlcAuth, signal: AbortSignal.timeout(5000) });
    if (!r.ok) return null;
    return /<state>([^<]*)<\/state>/.exec(await r.text())?.[1] ?? null;
  } catch {
    return null;
  }
}

function closeVlc(): void {
  killAll(d.processesInHome(/vlc/));
}

describe('published VLC tasks on the local backend', { timeout: 240_000 }, () => {
  it('59f21cfb: is_vlc_playing over the web interface; 0 while VLC is idle, 1 once it plays the video on the Desktop', async () => {
    const id = '59f21cfb-0120-4326-b255-a5b827b38967';
    const task = await loadFixture('vlc', id);
    const video = testVideo(path.join(work, 'music-video.mp4'), 90);
    await seededCache(d.cacheDir, [[downloadUrls(task)[0]!, video]]);
    await d.setup('vlc', id);
    const file = path.join(d.home, 'Desktop/Rick Astley - Never Gonna Give You Up (Official Music Video).mp4');
    expect(readFileSync(file).equals(video)).toBe(true);
    // The task's plain `vlc` comes up with the web interface OSWorld's VM has enabled, idle.
    await expect.poll(() => vlcState(), { timeout: 30_000, interval: 500 }).toBe('stopped');

    const before = await d.evaluate('vlc', id);
    expect(before.score).toBe(0);
    expect(before.getters[0]).toMatchObject({ type: 'vlc_playing_info' });
    expect(before.getters[0]!.value).not.toBeNull();

    // The person opens the video in the running VLC (here through its web interface, as a remote control would).
    await vlcState(`?command=in_play&input=${encodeURIComponent(pathToFileURL(file).href)}`);
    await expect.poll(() => vlcState(), { timeout: 30_000, interval: 500 }).toBe('playing');
    expect((await d.evaluate('vlc', id)).score).toBe(1);
    closeVlc();
  });

  it('aa4b5023: compare_videos of the saved video with the gold one (a cloud_file); upside down 0, turned the right way up 1', async () => {
    const id = 'aa4b5023-aef6-4ed9-bdc9-705f59ab9ad6';
    const task = await loadFixture('vlc', id);
    const gold = path.join(work, 'commercial.mp4');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-frames:v', '75', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', gold], { timeout: 60_000 });
    const flipped = path.join(work, 'flipped.mp4');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', gold, '-vf', 'vflip', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', flipped], { timeout: 60_000 });
    await seededCache(d.cacheDir, [
      [downloadUrls(task)[0]!, readFileSync(flipped)],
      [(task.evaluator.expected as { path: string }).path, readFileSync(gold)],
    ]);
    await d.setup('vlc', id);
    await expect.poll(() => vlcState(), { timeout: 30_000, interval: 500 }).not.toBeNull(); // VLC is up (the 3 s video may be over)
    expect((await d.evaluate('vlc', id)).score).toBe(0); // nothing saved yet
    // Saved under the right name (in the home, "where all my files are") but not turned: still 0.
    d.sh('ffmpeg -loglevel error -y -i Desktop/flipped_1984_Apple_Macintosh_Commercial.mp4 -c copy 1984_Apple_Macintosh_Commercial.mp4');
    expect((await d.evaluate('vlc', id)).score).toBe(0);
    // Flipped back and saved again.
    d.sh('ffmpeg -loglevel error -y -i Desktop/flipped_1984_Apple_Macintosh_Commercial.mp4 -vf vflip -c:v libx264 -pix_fmt yuv420p 1984_Apple_Macintosh_Commercial.mp4');
    expect((await d.evaluate('vlc', id)).score).toBe(1);
    closeVlc();
  });

  it('9195653c: check_qt_max_volume reads vlcrc after the postconfig restarts VLC; 0 by default, 1 at 200', async () => {
    const id = '9195653c-f4aa-453d-aa95-787f6ccfaae9';
    await d.setup('vlc', id);
    await expect.poll(() => vlcState(), { timeout: 30_000, interval: 500 }).toBe('stopped');
    const before = await d.evaluate('vlc', id);
    expect(before.score).toBe(0);

    // The person raises "Maximum volume displayed" (Preferences > All > Interface > Main interfaces > Qt) to 200,
    // which VLC keeps in vlcrc: written here as the preferences dialog saves it.
    const vlcrc = path.join(d.home, '.config/vlc/vlcrc');
    mkdirSync(path.dirname(vlcrc), { recursive: true });
    writeFileSync(vlcrc, '[qt] # Qt interface\n\n# Maximum volume displayed (integer)\nqt-max-volume=200\n');
    const after = await d.evaluate('vlc', id);
    expect(after.score).toBe(1);
    // VLC's restart (the postconfig's pkill and launch) kept the setting.
    expect(readFileSync(vlcrc, 'utf8')).toMatch(/^qt-max-volume=200$/m);
    closeVlc();
  });
});

/** A Thunderbird profile as the tasks' archive holds it: .thunderbird/ with one IMAP account and Local Folders. */
function profileArchive(): Buffer {
  const root = path.join(work, 'tb-profile');
  const profile = path.join(root, '.thunderbird/t5q2a5hp.default-release');
  mkdirSync(profile, { recursive: true });
  writeFileSync(path.join(root, '.thunderbird/profiles.ini'), '[Profile0]\nName=default-release\nIsRelative=1\nPath=t5q2a5hp.default-release\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n');
  const prefs = {
    'mail.account.account1.identities': 'id1', 'mail.account.account1.server': 'server1', 'mail.account.account2.server': 'server2',
    'mail.accountmanager.accounts': 'account1,account2', 'mail.accountmanager.defaultaccount': 'account1', 'mail.accountmanager.localfoldersserver': 'server2',
    'mail.identity.id1.fullName': 'Anonym', 'mail.identity.id1.useremail': 'anonym-x2024@outlook.com',
    'mail.server.server1.hostname': 'outlook.office365.com', 'mail.server.server1.name': 'anonym-x2024@outlook.com', 'mail.server.server1.type': 'imap', 'mail.server.server1.userName': 'anonym-x2024@outlook.com',
    'mail.server.server2.hostname': 'Local Folders', 'mail.server.server2.name': 'Local Folders', 'mail.server.server2.type': 'none', 'mail.server.server2.userName': 'nobody',
  };
  writeFileSync(path.join(profile, 'prefs.js'), Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  const archive = path.join(work, 'thunderbird-profile.tar.gz');
  execFileSync('tar', ['-czf', archive, '-C', root, '.thunderbird'], { timeout: 30_000 });
  return readFileSync(archive);
}

const windowList = () => execFileSync('wmctrl', ['-lx'], { env: { ...process.env, DISPLAY: d.session.display }, encoding: 'utf8', timeout: 10_000 });

describe('published Thunderbird tasks on the local backend', { timeout: 240_000 }, () => {
  it('030eeff7: check_thunderbird_prefs on the prefs.js Thunderbird writes when the postconfig closes it (by class)', async () => {
    const id = '030eeff7-b492-4218-b312-701ec99ee0cc';
    const task = await loadFixture('thunderbird', id);
    await seededCache(d.cacheDir, [[downloadUrls(task)[0]!, profileArchive()]]);
    await d.setup('thunderbird', id);
    // The unpacked profile is the one Thunderbird opens (its account's window), under the class the tasks close.
    await windowNamed('anonym-x2024@outlook.com - Mozilla Thunderbird');
    expect(windowList()).toMatch(/ Mail\.thunderbird +\S+ anonym-x2024@outlook\.com - Mozilla Thunderbird/);
    const prefs = path.join(d.home, '.thunderbird/t5q2a5hp.default-release/prefs.js');
    const running = () => d.processesInHome(/thunderbird/);

    expect((await d.evaluate('thunderbird', id)).score).toBe(0);
    await expect.poll(() => running().length, { timeout: 30_000, interval: 500 }).toBe(0); // the postconfig closed it
    expect(readFileSync(prefs, 'utf8')).toMatch(/^\/\/ Mozilla User Preferences/); // written by Thunderbird on closing

    // The person turns off "Automatically quote the original message": with Thunderbird closed, in prefs.js (as
    // the Config Editor would), then starts Thunderbird again.
    const edited = `${readFileSync(prefs, 'utf8')}user_pref("mail.identity.id1.auto_quote", false);\n`;
    writeFileSync(prefs, edited);
    await new LocalEnvironment({ display: d.session.display, home: d.home }).launch(['/usr/bin/thunderbird']);
    await windowNamed('anonym-x2024@outlook.com - Mozilla Thunderbird');
    await d.evaluate('thunderbird', id);
    await expect.poll(() => running().length, { timeout: 30_000, interval: 500 }).toBe(0);
    // Thunderbird read the setting and wrote it back (in its own order) when it closed: the file it left scores 1.
    expect(readFileSync(prefs, 'utf8')).not.toBe(edited);
    expect(readFileSync(prefs, 'utf8')).toMatch(/^user_pref\("mail\.identity\.id1\.auto_quote", false\);$/m);
    expect((await d.evaluate('thunderbird', id)).score).toBe(1);
  });
});
