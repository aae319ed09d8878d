/**
 * VLC as OSWorld evaluates it (desktop_env/evaluators/{getters,metrics}/vlc.py): the player's state through its HTTP
 * interface (enabled in the VM's VLC preferences, locally by the `vlc` shim: password "password", port 8080), its
 * vlcrc settings, and the metrics over them. A setting missing from vlcrc counts as VLC's default, as in the reference, and, as there,
 * any line containing "key=" counts, commented or not (the last one wins).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { DOMParser } from '@xmldom/xmldom';
import xpath from 'xpath';
import type { Environment } from '../environment';
import type { Getter } from '../evaluator-types';
import { GuestEnvironment } from '../guest-env';
import type { Metric } from '../evaluator-types';
import { copyOut, destPath, dict, isFile, type Dict } from './util';

/** OSWorld's vlc_port. */
export const VLC_HTTP_PORT = 8080;

function vlcBase(env: Environment): string {
  const host = env instanceof GuestEnvironment ? new URL(env.client.base).hostname : '127.0.0.1';
  return `http://${host}:${Number(process.env.DESKPILOT_VLC_PORT ?? VLC_HTTP_PORT)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const VLC_GETTERS: Record<string, Getter> = {
  vlc_playing_info: async (ctx, config) => {
    const dest = destPath(ctx, config.dest, 'status.xml');
    const password = process.env.DESKPILOT_VLC_PASSWORD ?? 'password';
    // The interface is often not up right after launch: five tries, a second apart, as the reference.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const r = await fetch(`${vlcBase(ctx.env)}/requests/status.xml`, {
          headers: { authorization: `Basic ${Buffer.from(`:${password}`).toString('base64')}` },
          signal: AbortSignal.timeout(10_000),
        });
        if (r.ok) {
          await writeFile(dest, Buffer.from(await r.arrayBuffer()));
          return dest;
        }
      } catch {
        /* not up yet */
      }
      await sleep(1000);
    }
    return null;
  },
  vlc_config: (ctx, config) => copyOut(ctx, '/home/user/.config/vlc/vlcrc', destPath(ctx, config.dest, 'vlcrc')),
  default_video_player: async (ctx) => {
    const types = ['3gp', '3gpp', '3gpp2', 'avi', 'divx', 'dv', 'fli', 'flv', 'mp2t', 'mp4', 'mp4v-es', 'mpeg', 'mpeg-system', 'msvideo', 'ogg', 'quicktime', 'vnd.divx', 'vnd.mpegurl', 'vnd.rn-realvideo', 'webm', 'x-anim', 'x-avi', 'x-flc', 'x-fli', 'x-flv', 'x-m4v', 'x-matroska', 'x-mpeg', 'x-mpeg-system', 'x-mpeg2', 'x-ms-asf', 'x-ms-asf-plugin', 'x-ms-asx', 'x-ms-wm', 'x-ms-wmv', 'x-ms-wmx', 'x-ms-wvx', 'x-msvideo', 'x-nsv', 'x-ogm', 'x-ogm+ogg', 'x-theora', 'x-theora+ogg'];
    const counts = new Map<string, number>();
    for (const t of types) {
      const r = await ctx.env.execute(['xdg-mime', 'query', 'default', `video/${t}`]);
      if (r.status === 'success' && r.output) counts.set(r.output, (counts.get(r.output) ?? 0) + 1);
    }
    let best: [string, number] | undefined;
    for (const entry of counts) if (!best || entry[1] > best[1]) best = entry;
    return best?.[0] ?? 'unknown';
  },
};

async function text(file: unknown): Promise<string> {
  if (!isFile(file)) throw new Error(`no such file: ${String(file)}`);
  return readFile(file, 'utf8');
}

/** The value of the last line containing `key=` (the reference's loop), or the default. */
function setting(config: string, key: string, fallback: string): string {
  let value = fallback;
  for (const line of config.split('\n')) if (line.includes(`${key}=`)) value = line.split('=').at(-1)!.trim();
  return value;
}

/** A check of one vlcrc setting against rule[ruleKey]; a missing file scores 0. */
function vlcrcCheck(key: string, fallback: string, ruleKey: string): Metric {
  return async (file, rule) => {
    if (!isFile(file)) return 0;
    return setting(await text(file), key, fallback) === String(dict(rule, 'rule')[ruleKey]) ? 1 : 0;
  };
}

/** The text of the first of these paths (relative to the document element, as ElementTree's find) that has one. */
function first(root: Node, paths: string[]): string | null {
  for (const p of paths) {
    const node = xpath.select1(p, root) as Element | undefined;
    const value = node?.textContent;
    if (value) return value;
  }
  return null;
}

export const VLC_METRICS: Record<string, Metric> = {
  is_vlc_playing: async (file, rule) => {
    const doc = new DOMParser().parseFromString(await text(file), 'text/xml') as unknown as Document;
    const root = doc.documentElement as unknown as Node;
    const state = (xpath.select1('state', root) as Element | undefined)?.textContent;
    if (state !== 'playing') return 0;
    const r = dict(rule, 'rule');
    const meta = (name: string) => `information/category[@name="meta"]/info[@name="${name}"]`;
    if (r.type === 'file_name') {
      const info = first(root, ['filename', 'title', 'uri', 'location', 'name'].map(meta));
      if (!info) return 0;
      const want = String(r.file_name);
      return info.split(/[\\/]/).at(-1) === want || info.endsWith(want) ? 1 : 0;
    }
    if (r.type === 'url') {
      const info = first(root, [
        ...['url', 'URI', 'location', 'title', 'filename'].map(meta),
        'information/category[@name="Stream 0"]/info[@name="Codec"]',
        'information/category[@name="Stream 0"]/info[@name="Type"]',
        'information/category[@name="Stream 0"]/info[@name="Language"]',
      ]);
      if (!info) return 0;
      const want = String(r.url);
      if (info.includes(want) || info.endsWith(want)) return 1;
      try {
        const expected = new URL(want);
        if (info === expected.pathname.split('/').at(-1)) return 1;
        if (info.includes('://')) {
          const actual = new URL(info);
          if (expected.host === actual.host && actual.pathname.includes(expected.pathname)) return 1;
        }
      } catch {
        /* not URLs */
      }
      return 0;
    }
    return 0;
  },
  is_vlc_recordings_folder: async (file, rule) => {
    const want = String(dict(rule, 'rule').recording_file_path);
    for (const line of (await text(file)).split('\n')) {
      if (line.startsWith('#') || !line.trim()) continue;
      if (line.includes('input-record-path')) return line.split('=').at(-1)!.trim() === want ? 1 : 0;
    }
    return 0;
  },
  is_vlc_fullscreen: (window, screen) => {
    if (!window || !screen) return 0;
    const w = dict(window, 'window size');
    const s = dict(screen, 'screen size');
    return w.width === s.width && w.height === s.height ? 1 : 0;
  },
  check_qt_bgcone: vlcrcCheck('qt-bgcone', '1', 'expected_qt_bgcone'),
  check_qt_max_volume: vlcrcCheck('qt-max-volume', '125', 'expected_qt_max_volume'),
  check_qt_minimal_view: vlcrcCheck('qt-minimal-view', '0', 'expected_qt_minimal_view'),
  check_one_instance_when_started_from_file: vlcrcCheck('one-instance-when-started-from-file', '1', 'expected_one_instance_when_started_from_file'),
  check_play_and_exit: vlcrcCheck('play-and-exit', '0', 'expected_play_and_exit'),
  check_global_key_play_pause: async (file, rule) => {
    if (!isFile(file)) return 0;
    let value = '0';
    for (const line of (await text(file)).split('\n')) if (line.includes('global-key-play-pause=')) value = line.split('=').at(-1)!.trim() === '' ? '0' : '1';
    return value === String(dict(rule, 'rule').expected_global_key_play_pause) ? 1 : 0;
  },
  check_qt_slider_colours: async (file, rule) => {
    if (!isFile(file)) return 0;
    const r: Dict = dict(rule, 'rule');
    let colours = '153;210;153;20;210;20;255;199;15;245;39;29';
    for (const line of (await text(file)).split('\n')) if (line.includes('qt-slider-colours')) colours = line.split('=').at(-1)!.trim();
    if (r.type === 'match') return colours === String(r.expected_qt_slider_colours) ? 1 : 0;
    if (r.type === 'blackish') {
      const values = colours.split(';').map((v) => Number.parseInt(v, 10));
      if (values.some((v) => Number.isNaN(v))) return 0;
      for (let i = 0; i + 2 < values.length; i += 3) if (!(values[i]! < 100 && values[i + 1]! < 100 && values[i + 2]! < 100)) return 0;
      return 1;
    }
    return 0;
  },
};
