/**
 * The app domains' metrics and profile getters, with cases taken from what OSWorld's reference code does (its
 * fallbacks, quirks and options), on real files: images made with sharp, SQLite databases made with better-sqlite3,
 * zip files made with zip(1).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROME_STEPS, compareUrls, parseQs } from '../../app/tasks/apps/chrome';
import { ssimPlane } from '../../app/tasks/apps/ssim';
import { DownloadCache } from '../../app/tasks/cache';
import { GETTERS, type GetterContext } from '../../app/tasks/getters';
import { LocalEnvironment } from '../../app/tasks/local-env';
import { METRICS } from '../../app/tasks/metrics';
import { tempDir } from './helpers';

const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

async function png(dir: string, name: string, width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Promise<string> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  const file = path.join(dir, name);
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(file);
  return file;
}

describe('SSIM as scikit-image computes it (7x7 uniform window, K1 0.01, K2 0.03, sample covariance)', () => {
  it('two flat images: (2ab + C1) / (a² + b² + C1), by hand', () => {
    const a = { width: 9, height: 9, data: new Array(81).fill(100) };
    const b = { width: 9, height: 9, data: new Array(81).fill(110) };
    const byHand = (2 * 100 * 110 + C1) / (100 ** 2 + 110 ** 2 + C1);
    expect(byHand).toBeCloseTo(0.995476, 5);
    expect(Math.abs(ssimPlane(a, b) - byHand)).toBeLessThan(1e-3);
  });

  it('one 7x7 window, a two-level pattern against its negative, by hand', () => {
    const x = Array.from({ length: 49 }, (_, i) => (i % 2 === 0 ? 255 : 0)); // 25 pixels 255, 24 pixels 0
    const y = x.map((v) => 255 - v);
    const n = 49;
    const ux = (25 * 255) / n;
    const uy = (24 * 255) / n;
    const ex2 = (25 * 255 * 255) / n;
    const ey2 = (24 * 255 * 255) / n;
    const vx = (n / (n - 1)) * (ex2 - ux * ux);
    const vy = (n / (n - 1)) * (ey2 - uy * uy);
    const vxy = (n / (n - 1)) * (0 - ux * uy); // x*y is 0 at every pixel
    const byHand = ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    expect(byHand).toBeLessThan(-0.9);
    expect(Math.abs(ssimPlane({ width: 7, height: 7, data: x }, { width: 7, height: 7, data: y }) - byHand)).toBeLessThan(1e-3);
  });

  it('the border is cropped: an 8x7 image has two windows, and the score is their mean', () => {
    const x = Array.from({ length: 56 }, (_, i) => ((i % 8) * 30) % 256);
    const y = x.map((v, i) => (i % 8 === 7 ? 0 : v));
    // Window 0 (columns 0-6) is identical: 1. Window 1 (columns 1-7) differs in its last column: by hand below.
    const col = (c: number) => (c * 30) % 256;
    const wx = [];
    const wy = [];
    for (let r = 0; r < 7; r++) for (let c = 1; c < 8; c++) {
      wx.push(col(c));
      wy.push(c === 7 ? 0 : col(c));
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const [mx, my] = [mean(wx), mean(wy)];
    const cov = (p: number[], q: number[], mp: number, mq: number) => (49 / 48) * (mean(p.map((v, i) => v * q[i]!)) - mp * mq);
    const s1 = ((2 * mx * my + C1) * (2 * cov(wx, wy, mx, my) + C2)) / ((mx * mx + my * my + C1) * (cov(wx, wx, mx, mx) + cov(wy, wy, my, my) + C2));
    expect(Math.abs(ssimPlane({ width: 8, height: 7, data: x }, { width: 8, height: 7, data: y }) - (1 + s1) / 2)).toBeLessThan(1e-3);
  });

  it('an image smaller than the window is an error, as in scikit-image', () => {
    expect(() => ssimPlane({ width: 6, height: 6, data: new Array(36).fill(0) }, { width: 6, height: 6, data: new Array(36).fill(0) })).toThrow(/win_size/);
  });
});

describe('image metrics (gimp.py, compare_images)', () => {
  let dir: string;
  let berry: string;
  beforeAll(async () => {
    dir = await tempDir('images');
    berry = await png(dir, 'berry.png', 40, 30, (x, y) => [x * 6, y * 8, (x * y) % 256]);
  });

  it('check_image_mirror: the flipped image scores 1, the original 0, a missing file 0', async () => {
    const mirrored = path.join(dir, 'mirror.png');
    await sharp(berry).flop().toFile(mirrored);
    expect(await METRICS.check_image_mirror!(berry, mirrored, {})).toBe(1);
    expect(await METRICS.check_image_mirror!(berry, berry, {})).toBe(0);
    expect(await METRICS.check_image_mirror!(path.join(dir, 'none.png'), mirrored, {})).toBe(0);
    expect(await METRICS.check_image_mirror!(null, mirrored, {})).toBe(0);
  });

  it('check_structure_sim: same picture 1; different sizes 0; unrelated picture 0', async () => {
    const big = path.join(dir, 'big.png');
    await sharp(berry).resize(80, 60).toFile(big);
    const noise = await png(dir, 'noise.png', 40, 30, (x, y) => [(x * 97 + y * 31) % 256, (x * 13 + y * 101) % 256, (x * y * 7) % 256]);
    expect(await METRICS.check_structure_sim!(berry, berry, {})).toBe(1);
    expect(await METRICS.check_structure_sim!(berry, big, {})).toBe(0);
    expect(await METRICS.check_structure_sim!(berry, noise, {})).toBe(0);
    expect(await METRICS.check_structure_sim_resized!(big, berry, {})).toBe(1);
  });

  it('check_brightness_decrease_and_structure_sim: the darker copy is the source that scores 1', async () => {
    const dark = path.join(dir, 'dark.png');
    await sharp(berry).linear(0.6, 0).toFile(dark);
    expect(await METRICS.check_brightness_decrease_and_structure_sim!(dark, berry, {})).toBe(1);
    expect(await METRICS.check_brightness_decrease_and_structure_sim!(berry, dark, {})).toBe(0);
  });

  it('check_palette_and_structure_sim: a palette PNG of the same picture 1, the RGB original 0', async () => {
    const flat = await png(dir, 'flat.png', 40, 30, (x) => (x < 20 ? [200, 40, 40] : [40, 40, 200]));
    const indexed = path.join(dir, 'indexed.png');
    await sharp(flat).png({ palette: true, colours: 4 }).toFile(indexed);
    expect(await METRICS.check_palette_and_structure_sim!(indexed, flat, {})).toBe(1);
    expect(await METRICS.check_palette_and_structure_sim!(flat, flat, {})).toBe(0);
  });

  it('compare_images: SSIM of the grey images; with reference_base_result, rescaled above the base', async () => {
    expect(await METRICS.compare_images!(berry, berry, {})).toBeCloseTo(1, 6);
    const dark = path.join(dir, 'dark2.png');
    await sharp(berry).linear(0.5, 0).toFile(dark);
    const plain = (await METRICS.compare_images!(berry, dark, {})) as number;
    expect(plain).toBeLessThan(1);
    expect(await METRICS.compare_images!(berry, dark, { reference_base_result: plain })).toBe(0);
    expect(await METRICS.compare_images!(berry, path.join(dir, 'missing.png'), {})).toBe(0);
  });

  it('check_image_size, check_config_status, check_green_background on a wide image fails as the reference does', async () => {
    expect(await METRICS.check_image_size!(berry, { width: 40 }, {})).toBe(1);
    expect(await METRICS.check_image_size!(berry, { width: 40, height: 31 }, {})).toBe(0);
    const gimprc = path.join(dir, 'gimprc');
    await writeFile(gimprc, '# GIMP gimprc\n\n(theme "Dark")\n(default-image\n    (width 1920))\n(show-tips no)\n');
    expect(await METRICS.check_config_status!(gimprc, { key: 'show-tips', value: 'no' }, {})).toBe(1);
    expect(await METRICS.check_config_status!(gimprc, { key: 'theme', value: '"Light"' }, {})).toBe(0);
    const green = await png(dir, 'green.png', 40, 30, () => [10, 200, 10]);
    await expect(METRICS.check_green_background!(green, berry, {})).rejects.toThrow(/out of bounds/);
  });
});

describe('Chrome metrics (metrics/chrome.py, utils.compare_urls)', () => {
  it('compare_urls ignores scheme case, "www." and a lone trailing slash, not the path or query', () => {
    expect(compareUrls('https://www.airbnb.com', 'https://airbnb.com/')).toBe(true);
    expect(compareUrls('HTTPS://WWW.Example.com/a', 'https://example.com/a')).toBe(true);
    expect(compareUrls('https://example.com/a/', 'https://example.com/a')).toBe(false);
    expect(compareUrls('https://example.com/?q=1', 'https://example.com/?q=2')).toBe(false);
    expect(compareUrls(null, null)).toBe(true);
    expect(parseQs('q=a+b&empty=&x=%2F&q=2').get('q')).toEqual(['a b', '2']);
  });

  it('is_expected_tabs: the same URLs in any order; no tabs 0', () => {
    const rule = { type: 'url', urls: ['https://www.lonelyplanet.com', 'https://www.airbnb.com'] };
    expect(METRICS.is_expected_tabs!([{ url: 'https://airbnb.com/' }, { url: 'https://www.lonelyplanet.com/' }], rule, {})).toBe(1);
    expect(METRICS.is_expected_tabs!([{ url: 'https://airbnb.com/' }], rule, {})).toBe(0);
    expect(METRICS.is_expected_tabs!([], rule, {})).toBe(0);
  });

  it('is_expected_bookmarks: folder names as a set; liked authors with alternatives per entry', () => {
    const bookmarks = { bookmark_bar: { children: [{ type: 'folder', name: 'Favorites', children: [] }, { type: 'folder', name: 'Liked Authors', children: [{ type: 'url', url: 'b' }, { type: 'url', url: 'a2' }] }] } };
    expect(METRICS.is_expected_bookmarks!(bookmarks, { type: 'bookmark_bar_folders_names', names: ['Liked Authors', 'Favorites'] }, {})).toBe(1);
    expect(METRICS.is_expected_bookmarks!(bookmarks, { type: 'bookmark_bar_folders_names', names: ['Favorites'] }, {})).toBe(0);
    expect(METRICS.is_expected_bookmarks!(bookmarks, { type: 'liked_authors_websites_urls', urls: [['a1', 'a2'], 'b'] }, {})).toBe(1);
    expect(METRICS.is_expected_bookmarks!(bookmarks, { type: 'liked_authors_websites_urls', urls: [['a1', 'a3'], 'b'] }, {})).toBe(0);
    expect(METRICS.is_expected_bookmarks!([], { type: 'bookmark_bar_folders_names', names: [] }, {})).toBe(0);
  });

  it('cookies, history, experiments, font size', () => {
    const cookies = [[1, '.amazon.com', 'x'], [2, 'www.example.com', 'y']];
    expect(METRICS.is_cookie_deleted!(cookies, { type: 'domains', domains: ['.amazon.com'] }, {})).toBe(0);
    expect(METRICS.is_cookie_deleted!(cookies.slice(1), { type: 'domains', domains: ['.amazon.com'] }, {})).toBe(1);
    expect(METRICS.check_history_deleted!([['https://www.youtube.com/watch?v=1', 't', 1]], { type: 'keywords', keywords: ['youtube'] }, {})).toBe(0);
    expect(METRICS.check_history_deleted!([['https://www.bbc.co.uk/', 't', 1]], { type: 'keywords', keywords: ['youtube'] }, {})).toBe(1);
    expect(METRICS.check_enabled_experiments!(['read-anything@1', 'tab-groups@2'], { type: 'names', names: ['read-anything', 'tab-groups'] }, {})).toBe(1);
    expect(METRICS.check_font_size!({ default_font_size: 20 }, { type: 'range', min: 16, max: 24 }, {})).toBe(1);
    expect(METRICS.check_font_size!({ default_font_size: 24 }, { type: 'range', min: 16, max: 24 }, {})).toBe(0);
    expect(METRICS.is_expected_url_pattern_match!({ url: 'https://seatgeek.com/help/Buying-Tickets' }, { expected: ['Buying-Tickets'] }, {})).toBe(1);
    expect(METRICS.is_expected_search_query!({ url: 'https://www.google.com/search?q=cats' }, { expect: { pattern: 'q=dogs' } }, {})).toBe(0);
  });

  it('compare_htmls: element by element; an attribute differs -> 0, unless it is sdnum and ignore_sdnum is set', async () => {
    const dir = await tempDir('html');
    const a = path.join(dir, 'a.html');
    const b = path.join(dir, 'b.html');
    const c = path.join(dir, 'c.html');
    await writeFile(a, '<html><body><table><tr><td sdnum="1033;0;0">5</td></tr></table></body></html>');
    await writeFile(b, '<html><body><table><tr><td sdnum="1033;0;0.00">5</td></tr></table></body></html>');
    await writeFile(c, '<html><body><table><tr><td sdnum="1033;0;0">6</td></tr></table></body></html>');
    expect(await METRICS.compare_htmls!(a, a, {})).toBe(1);
    expect(await METRICS.compare_htmls!(a, b, {})).toBe(0);
    expect(await METRICS.compare_htmls!(a, b, { ignore_sdnum: true })).toBe(1);
    expect(await METRICS.compare_htmls!(a, c, { ignore_sdnum: true })).toBe(0);
  });
});

describe("Chrome's profile files (getters/chrome.py) and update_browse_history", () => {
  let home: string;
  let ctx: GetterContext;
  const profile = (...p: string[]) => path.join(home, '.config/google-chrome', ...p);
  beforeAll(async () => {
    home = await tempDir('chrome-home');
    const env = new LocalEnvironment({ display: ':0', home });
    ctx = { env, cache: new DownloadCache(await tempDir('cache')), workDir: await tempDir('work') };
  });

  it('without a profile the getters give the reference fallbacks', async () => {
    expect(await GETTERS.default_search_engine!(ctx, {})).toBe('Google');
    expect(await GETTERS.enable_enhanced_safety_browsing!(ctx, {})).toBe('Google');
    expect(await GETTERS.enable_do_not_track!(ctx, {})).toBe('false');
    expect(await GETTERS.chrome_font_size!(ctx, {})).toEqual({ default_fixed_font_size: 13, default_font_size: 16 });
    expect(await GETTERS.bookmarks!(ctx, {})).toEqual([]);
    expect(await GETTERS.history!(ctx, { dest: 'history.sqlite' })).toBeNull();
  });

  it('Preferences and Local State are read as the reference reads them', async () => {
    await mkdir(profile('Default'), { recursive: true });
    await writeFile(profile('Default/Preferences'), JSON.stringify({ default_search_provider_data: { template_url_data: { short_name: 'Bing' } }, safebrowsing: { enhanced: true }, profile: { name: 'Thomas' }, webkit: { webprefs: { default_font_size: 20 } } }));
    await writeFile(profile('Local State'), JSON.stringify({ browser: { enabled_labs_experiments: ['read-anything@1'] } }));
    expect(await GETTERS.default_search_engine!(ctx, {})).toBe('Bing');
    expect(await GETTERS.enable_enhanced_safety_browsing!(ctx, {})).toBe('true');
    expect(await GETTERS.enable_safe_browsing!(ctx, {})).toBe('true');
    expect(await GETTERS.profile_name!(ctx, {})).toBe('Thomas');
    expect(await GETTERS.new_startup_page!(ctx, {})).toBe('true');
    expect(await GETTERS.enabled_experiments!(ctx, {})).toEqual(['read-anything@1']);
    expect(await GETTERS.chrome_font_size!(ctx, {})).toEqual({ default_font_size: 20 });
  });

  it('update_browse_history adds visits to the profile History; the history getter and check_history_deleted see them', async () => {
    const db = new Database(profile('Default/History'));
    db.exec('CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR, visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL, last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL)');
    db.exec('CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL, visit_time INTEGER NOT NULL, from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL, segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL)');
    db.close();
    const logs: string[] = [];
    await CHROME_STEPS.update_browse_history!(
      { history: [{ url: 'https://www.youtube.com/watch?v=1', title: 'A video', visit_time_from_now_in_seconds: 3600 }, { url: 'https://www.bbc.co.uk/', title: 'BBC', visit_time_from_now_in_seconds: 60 }] },
      { env: ctx.env, cache: ctx.cache, screen: { width: 1280, height: 800 }, log: (l) => logs.push(l) },
      'config[0]',
    );
    expect(logs[0]).toMatch(/2 visit\(s\) written/);
    const rows = (await GETTERS.history!(ctx, { dest: 'history.sqlite' })) as unknown[][];
    expect(rows.map((r) => r[0])).toEqual(['https://www.youtube.com/watch?v=1', 'https://www.bbc.co.uk/']);
    // Chrome's clock: microseconds since 1601; the older visit is an hour before the newer one, give or take.
    expect(Math.round(((rows[1]![2] as number) - (rows[0]![2] as number)) / 1e6)).toBe(3540);
    expect(METRICS.check_history_deleted!(rows, { type: 'keywords', keywords: ['youtube'] }, {})).toBe(0);
  });

  it('cookie_data falls back to Network/Cookies, where newer Chrome keeps them', async () => {
    await mkdir(profile('Default/Network'), { recursive: true });
    const db = new Database(profile('Default/Network/Cookies'));
    db.exec("CREATE TABLE cookies(creation_utc INTEGER, host_key TEXT, name TEXT, encrypted_value BLOB); INSERT INTO cookies VALUES (13300000000000000, '.amazon.com', 'session-id', x'0102')");
    db.close();
    const cookies = await GETTERS.cookie_data!(ctx, { dest: 'Cookies' });
    expect(cookies).toEqual([[13300000000000000, '.amazon.com', 'session-id', '0102']]);
    expect(METRICS.is_cookie_deleted!(cookies, { type: 'domains', domains: ['.amazon.com'] }, {})).toBe(0);
  });
});

describe('VLC, Thunderbird, archives and the rest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('apps-misc');
  });

  it('is_vlc_playing reads state and the file name from status.xml', async () => {
    const status = path.join(dir, 'status.xml');
    const xml = (state: string) => `<?xml version="1.0" encoding="utf-8" standalone="yes" ?><root><state>${state}</state><information><category name="meta"><info name='filename'>song.mp3</info></category></information></root>`;
    await writeFile(status, xml('playing'));
    expect(await METRICS.is_vlc_playing!(status, { type: 'file_name', file_name: 'song.mp3' }, {})).toBe(1);
    expect(await METRICS.is_vlc_playing!(status, { type: 'file_name', file_name: 'other.mp3' }, {})).toBe(0);
    await writeFile(status, xml('paused'));
    expect(await METRICS.is_vlc_playing!(status, { type: 'file_name', file_name: 'song.mp3' }, {})).toBe(0);
  });

  it('vlcrc checks: a missing key is the default; as in the reference, the last line containing key= wins', async () => {
    const vlcrc = path.join(dir, 'vlcrc');
    await writeFile(vlcrc, '[qt]\n# Show background cone (boolean)\n#qt-bgcone=1\n');
    expect(await METRICS.check_qt_bgcone!(vlcrc, { expected_qt_bgcone: 0 }, {})).toBe(0);
    expect(await METRICS.check_qt_max_volume!(vlcrc, { expected_qt_max_volume: 125 }, {})).toBe(1);
    await writeFile(vlcrc, '#qt-bgcone=1\nqt-bgcone=0\nqt-slider-colours=10;20;30;40;50;60\ninput-record-path=/home/user/Desktop\n');
    expect(await METRICS.check_qt_bgcone!(vlcrc, { expected_qt_bgcone: 0 }, {})).toBe(1);
    expect(await METRICS.check_qt_slider_colours!(vlcrc, { type: 'blackish' }, {})).toBe(1);
    expect(await METRICS.is_vlc_recordings_folder!(vlcrc, { recording_file_path: '/home/user/Desktop' }, {})).toBe(1);
    expect(await METRICS.check_qt_bgcone!(path.join(dir, 'none'), { expected_qt_bgcone: 0 }, {})).toBe(0);
    expect(METRICS.is_vlc_fullscreen!({ width: 1920, height: 1080 }, { width: 1920, height: 1080 }, {})).toBe(1);
    expect(METRICS.is_vlc_fullscreen!(null, { width: 1920, height: 1080 }, {})).toBe(0);
  });

  it('check_thunderbird_prefs: expect rules must match, unexpect rules must not', async () => {
    const prefs = path.join(dir, 'prefs.js');
    await writeFile(prefs, '// Mozilla User Preferences\nuser_pref("mail.spellcheck.inline", false);\nuser_pref("mailnews.default_sort_order", 2);\n');
    const rule = { expect: { 'mail.spellcheck.inline': { method: 'eq', ref: false } }, unexpect: { 'mailnews.default_sort_order': { method: 'eq', ref: 1 } } };
    expect(await METRICS.check_thunderbird_prefs!(prefs, rule, {})).toBe(1);
    expect(await METRICS.check_thunderbird_prefs!(prefs, { ...rule, unexpect: { 'mailnews.default_sort_order': { method: 'eq', ref: 2 } } }, {})).toBe(0);
    expect(await METRICS.check_thunderbird_prefs!(prefs, { expect: { 'missing.pref': { method: 'eq', ref: 1 } } }, {})).toBe(0);
  });

  it('check_thunderbird_filter parses msgFilterRules.dat into records', async () => {
    const rules = path.join(dir, 'msgFilterRules.dat');
    await writeFile(rules, 'version="9"\nlogging="no"\nname="Promotions"\nenabled="yes"\ntype="17"\naction="Move to folder"\nactionValue="mailbox://nobody@Local%20Folders/Promotions"\ncondition="AND (subject,contains,discount)"\n');
    const expect1 = { expect: [{ name: 'Promotions', enabled: 'yes', action: 'Move to folder', condition: ['AND (subject,contains,discount)'] }] };
    expect(await METRICS.check_thunderbird_filter!(rules, expect1, {})).toBe(1);
    expect(await METRICS.check_thunderbird_filter!(rules, { expect: [{ name: 'Other' }] }, {})).toBe(0);
  });

  it('compare_zip_files and compare_archive', async () => {
    await mkdir(path.join(dir, 'z/a'), { recursive: true });
    await writeFile(path.join(dir, 'z/a/one.txt'), 'one\n');
    execFileSync('zip', ['-qr', '../first.zip', 'a'], { cwd: path.join(dir, 'z') });
    execFileSync('zip', ['-qr', '../second.zip', 'a'], { cwd: path.join(dir, 'z') });
    await writeFile(path.join(dir, 'z/a/one.txt'), 'changed\n');
    execFileSync('zip', ['-qr', '../third.zip', 'a'], { cwd: path.join(dir, 'z') });
    const [first, second, third] = ['first', 'second', 'third'].map((n) => path.join(dir, `${n}.zip`));
    expect(await METRICS.compare_zip_files!(first, second, {})).toBe(1);
    expect(await METRICS.compare_zip_files!(first, third, {})).toBe(0);
    expect(await METRICS.compare_zip_files!(null, second, {})).toBe(0);
    expect(await METRICS.compare_archive!(first, second, { file_path: 'a', file_type: 'text' })).toBe(1);
    expect(await METRICS.compare_archive!(first, third, { file_path: 'a', file_type: 'text' })).toBe(0);
  });

  it('check_python_file_by_test_suite runs the test function of the task file; run_sqlite3; gsettings lists', async () => {
    const test = path.join(dir, 'test_solution.py');
    await writeFile(path.join(dir, 'solution.py'), 'def add(a, b):\n    return a + b\n');
    await writeFile(test, 'from solution import add\n\ndef test():\n    return add(2, 3) == 5\n');
    expect(await METRICS.check_python_file_by_test_suite!(null, test, {})).toBe(1);
    await writeFile(path.join(dir, 'solution.py'), 'def add(a, b):\n    return a - b\n');
    expect(await METRICS.check_python_file_by_test_suite!(null, test, {})).toBe(0);
    const dbFile = path.join(dir, 'db.sqlite');
    const db = new Database(dbFile);
    db.exec('CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (3), (4)');
    db.close();
    expect(await METRICS.run_sqlite3!(dbFile, { sql: 'SELECT sum(v) FROM t' }, {})).toBe(7);
    expect(METRICS.check_gnome_favorite_apps!("['thunderbird.desktop', 'vim.desktop']\n", { expected: ['vim.desktop', 'thunderbird.desktop'] }, {})).toBe(1);
    expect(METRICS.is_utc_0!('Local time: x\nUniversal time: x\nRTC time: x\nTime zone: Etc/UTC (UTC, +0000)\n', undefined, {})).toBe(1);
  });

  it('compare_result_files: numbers within 1e-4 or contained in the answer; check_html_background_image', async () => {
    const [a, b] = [path.join(dir, 'answer.txt'), path.join(dir, 'gold.txt')];
    await writeFile(b, '3.14159\n');
    await writeFile(a, 'The value is 3.14159');
    expect(await METRICS.compare_result_files!(a, b, {})).toBe(1);
    await writeFile(a, '3.14160');
    expect(await METRICS.compare_result_files!(a, b, {})).toBe(1);
    await writeFile(a, '3.2');
    expect(await METRICS.compare_result_files!(a, b, {})).toBe(0);
    const html = path.join(dir, 'index.html');
    await writeFile(html, "<html><head><style>body { background-image: url('bg.png'); }</style></head></html>");
    expect(await METRICS.check_html_background_image!(html, { value: 'bg.png' }, {})).toBe(1);
    expect(await METRICS.check_html_background_image!(html, { value: 'other.png' }, {})).toBe(0);
  });
});

describe("check_left_panel over the guest server's accessibility tree (slides.py)", () => {
  const NS = 'xmlns:st="uri:deskat:state.at-spi.gnome.org" xmlns:cp="uri:deskat:component.at-spi.gnome.org"';
  const tree = (splitPane: string, wrap = (inner: string) => `<root-pane name=""><panel>${inner}</panel></root-pane>`) =>
    `<desktop-frame ${NS}><application name="soffice"><frame name="deck.pptx - LibreOffice Impress">${wrap(splitPane)}</frame></application></desktop-frame>`;

  it('a visible split-pane at (0, 0) inside a panel of a root-pane: the slide pane is shown', () => {
    expect(METRICS.check_left_panel!(tree('<split-pane st:visible="true" cp:parentcoord="(0, 0)" cp:size="(250, 900)"/>'), undefined, {})).toBe(1);
    // Nested deeper still counts: ElementTree's iter() walks every descendant.
    expect(METRICS.check_left_panel!(tree('<filler><split-pane st:visible="true" cp:parentcoord="(0, 0)"/></filler>'), undefined, {})).toBe(1);
  });

  it('the reference tests that `visible` is there, not its value: "false" counts, an empty or missing one does not', () => {
    expect(METRICS.check_left_panel!(tree('<split-pane st:visible="false" cp:parentcoord="(0, 0)"/>'), undefined, {})).toBe(1);
    expect(METRICS.check_left_panel!(tree('<split-pane st:visible="" cp:parentcoord="(0, 0)"/>'), undefined, {})).toBe(0);
    expect(METRICS.check_left_panel!(tree('<split-pane cp:parentcoord="(0, 0)"/>'), undefined, {})).toBe(0);
  });

  it('elsewhere, or outside a panel of a root-pane, or with the attribute in no namespace: not the slide pane', () => {
    expect(METRICS.check_left_panel!(tree('<split-pane st:visible="true" cp:parentcoord="(250, 0)"/>'), undefined, {})).toBe(0);
    expect(METRICS.check_left_panel!(tree('<split-pane st:visible="true" cp:parentcoord="(0, 0)"/>', (inner) => `<root-pane>${inner}</root-pane>`), undefined, {})).toBe(0);
    expect(METRICS.check_left_panel!(tree('<split-pane st:visible="true" cp:parentcoord="(0, 0)"/>', (inner) => `<panel>${inner}</panel>`), undefined, {})).toBe(0);
    expect(METRICS.check_left_panel!(tree('<split-pane visible="true" parentcoord="(0, 0)"/>'), undefined, {})).toBe(0);
  });

  it('no tree (the getter failed) or text that is not XML raises, as ElementTree.fromstring does', () => {
    expect(() => METRICS.check_left_panel!(null, undefined, {})).toThrow(/must be XML text, got None/);
    expect(() => METRICS.check_left_panel!('<root-pane><panel></root-pane>', undefined, {})).toThrow(/not XML/);
  });
});
