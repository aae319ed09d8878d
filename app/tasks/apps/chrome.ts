/**
 * Chrome as OSWorld evaluates it: setup steps that open and close tabs over the DevTools protocol and plant
 * browsing history, getters that read the live browser (tabs, the active tab, pages) or its profile files
 * (Preferences, Local State, Bookmarks, History and Cookies in ~/.config/google-chrome), and the metrics that judge
 * them. Semantics follow desktop_env/{controllers/setup.py, evaluators/getters/chrome.py, metrics/chrome.py},
 * including the fallbacks the reference returns when a file is missing ("Google", "false", [] ...).
 *
 * Deliberate differences, each because the reference's way does not work without its VM: the active tab is the
 * browser's visible, most recently used tab (the reference reads the address bar from the accessibility tree and
 * reloads the page in a new tab; here the tab is read as it is, so `goto_prefix` is not needed); cookies are read
 * from Default/Cookies or, where newer Chrome keeps them, Default/Network/Cookies; update_browse_history writes into
 * the profile's own History database (created by one headless run of the browser when there is none yet) instead of
 * a template downloaded from Google Drive.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse as parseHtml } from 'parse5';
import { SetupError, UnsupportedError } from '../errors';
import type { Getter, GetterContext } from '../evaluator-types';
import type { Metric } from '../evaluator-types';
import { pyRegex, readText } from '../pyvalues';
import type { AppStep } from '../evaluator-types';
import { activeTab, closeTab, ensureBrowser, listTabs, openTab, tabInfo, waitForLoad, withBrowser, type Tab } from './chrome-cdp';
import { copyOut, destPath, dict, isFile, list, str, truthy, type Dict } from './util';

/** Where OSWorld's getters find the profile (Google Chrome's default user data directory). */
export const CHROME_PROFILE = '/home/user/.config/google-chrome';
const PROFILE_FILE = (name: string) => `${CHROME_PROFILE}/Default/${name}`;

// ---------------------------------------------------------------------------------------------------------------
// URLs as the reference compares them (metrics/utils.py compare_urls, Python's urlparse / parse_qs).

interface UrlParts {
  scheme: string;
  netloc: string;
  path: string;
  params: string;
  query: string;
  fragment: string;
}

/** urllib.parse.urlparse, for the parts compare_urls touches. */
export function urlParse(url: string): UrlParts {
  let rest = url;
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
    rest = end < 0 ? '' : rest.slice(2 + end);
  }
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let params = '';
  const semi = rest.lastIndexOf('/') >= 0 ? rest.indexOf(';', rest.lastIndexOf('/')) : rest.indexOf(';');
  if (semi >= 0) {
    params = rest.slice(semi + 1);
    rest = rest.slice(0, semi);
  }
  return { scheme, netloc, path: rest, params, query, fragment };
}

function urlUnparse(p: UrlParts): string {
  let url = p.path;
  if (p.params) url = `${url};${p.params}`;
  if (p.netloc || (p.scheme && ['http', 'https', 'ftp', 'file', 'ws', 'wss'].includes(p.scheme) && url.startsWith('/'))) {
    if (url && !url.startsWith('/')) url = `/${url}`;
    url = `//${p.netloc}${url}`;
  }
  if (p.scheme) url = `${p.scheme}:${url}`;
  if (p.query) url = `${url}?${p.query}`;
  if (p.fragment) url = `${url}#${p.fragment}`;
  return url;
}

/** compare_urls: scheme (http if none) and host lower-cased, "www." dropped, a lone "/" path ignored. */
export function compareUrls(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  const normalize = (url: string) => {
    const p = urlParse(url);
    return urlUnparse({ ...p, scheme: (p.scheme || 'http').toLowerCase(), netloc: p.netloc.toLowerCase().replaceAll('www.', ''), path: p.path === '/' ? '' : p.path });
  };
  return normalize(String(a)) === normalize(String(b));
}

/** are_lists_equal: same length, and every expected item has an equal item in the other list. */
function listsEqual(a: unknown[], b: unknown[], eq: (x: unknown, y: unknown) => boolean): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => eq(x, y)));
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** urllib.parse.parse_qs: values per key, "+" as space, blank values dropped. */
export function parseQs(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of query.split(/[&;]/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = percentDecode(part.slice(0, eq).replace(/\+/g, ' '));
    const value = percentDecode(part.slice(eq + 1).replace(/\+/g, ' '));
    if (!value) continue;
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Setup steps.

function stringList(value: unknown, what: string): string[] {
  return list(value, what).map((u, i) => str(u, `${what}[${i}]`));
}

const chromeOpenTabs: AppStep = async (params, ctx, where) => {
  const urls = stringList(params.urls_to_open, 'chrome_open_tabs: urls_to_open');
  let base: string;
  try {
    base = await ensureBrowser(ctx.env);
  } catch (error) {
    throw new SetupError(`${where} chrome_open_tabs: ${(error as Error).message}`);
  }
  const before = await listTabs(base);
  for (const [i, url] of urls.entries()) {
    const tab = await openTab(base, url);
    await waitForLoad(base, tab.id);
    ctx.log?.(`${where} chrome_open_tabs: opened tab ${i + 1}: ${url}`);
    // As the reference: once the first tab is open, the tab the browser started with goes.
    if (i === 0 && before[0]) await closeTab(base, before[0].id).catch(() => undefined);
  }
};

const chromeCloseTabs: AppStep = async (params, ctx, where) => {
  const urls = stringList(params.urls_to_close, 'chrome_close_tabs: urls_to_close');
  let base: string;
  try {
    base = await ensureBrowser(ctx.env);
  } catch (error) {
    throw new SetupError(`${where} chrome_close_tabs: ${(error as Error).message}`);
  }
  for (const url of urls) {
    // The reference closes the first tab (in the browser's order) whose URL compares equal.
    const tabs = [...(await listTabs(base))].reverse();
    const tab = tabs.find((t) => compareUrls(t.url, url));
    if (tab) {
      await closeTab(base, tab.id);
      ctx.log?.(`${where} chrome_close_tabs: closed ${tab.url}`);
    } else ctx.log?.(`${where} chrome_close_tabs: no tab at ${url}`);
  }
};

/** Microseconds since 1601-01-01 UTC, Chrome's time base. */
export function chromeTime(date: Date): number {
  return (date.getTime() + 11_644_473_600_000) * 1000;
}

const updateBrowseHistory: AppStep = async (params, ctx, where) => {
  const history = list(params.history, 'update_browse_history: history').map((h, i) => dict(h, `update_browse_history: history[${i}]`));
  const file = PROFILE_FILE('History');
  let data = await ctx.env.readFile(file);
  if (data === null) {
    // A profile that never ran: one headless run creates its History database with the browser's own schema.
    const r = await ctx.env.execute(['google-chrome', '--headless', '--disable-gpu', '--dump-dom', 'about:blank'], { timeoutMs: 60_000 });
    data = await ctx.env.readFile(file);
    if (data === null) {
      throw new SetupError(`${where} update_browse_history: ${file} does not exist and a headless google-chrome run did not create it (${r.status === 'error' ? r.message : `exit ${r.returncode}`}); install chromium`);
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deskpilot-history-'));
  try {
    const local = path.join(dir, 'History');
    await writeFile(local, data);
    const db = new Database(local);
    try {
      const addUrl = db.prepare('INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, hidden) VALUES (?, ?, 1, 0, ?, 0)');
      const addVisit = db.prepare('INSERT INTO visits (url, visit_time, from_visit, transition, segment_id, visit_duration) VALUES (?, ?, 0, 805306368, 0, 0)');
      const now = Date.now();
      db.transaction(() => {
        for (const [i, item] of history.entries()) {
          const seconds = Number(item.visit_time_from_now_in_seconds);
          if (!Number.isFinite(seconds)) throw new SetupError(`${where} update_browse_history: history[${i}].visit_time_from_now_in_seconds must be a number`);
          const time = chromeTime(new Date(now - seconds * 1000));
          const id = addUrl.run(str(item.url, `history[${i}].url`), str(item.title ?? '', `history[${i}].title`), time).lastInsertRowid;
          addVisit.run(id, time);
        }
      })();
    } finally {
      db.close();
    }
    await ctx.env.writeFile(file, await readFile(local));
    ctx.log?.(`${where} update_browse_history: ${history.length} visit(s) written to ${file}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

export const CHROME_STEPS: Record<string, AppStep> = {
  chrome_open_tabs: chromeOpenTabs,
  chrome_close_tabs: chromeCloseTabs,
  update_browse_history: updateBrowseHistory,
};

// ---------------------------------------------------------------------------------------------------------------
// Getters: profile files.

/** A JSON profile file, or undefined when it is missing or unreadable (the reference then returns its fallback). */
async function profileJson(ctx: GetterContext, file: string): Promise<Dict | undefined> {
  const data = await ctx.env.readFile(file);
  if (data === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Dict) : undefined;
  } catch {
    return undefined;
  }
}

/** data.get(a, {}).get(b, default) */
function at(data: Dict | undefined, keys: string[], fallback: unknown): unknown {
  let value: unknown = data;
  for (const key of keys) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return fallback;
    value = (value as Dict)[key];
  }
  return value;
}

/** A getter over Preferences (or Local State): `pick` gets the parsed file; a missing file or a failed pick gives `fallback`. */
function fromPrefs(file: string, fallback: unknown, pick: (data: Dict) => unknown): Getter {
  return async (ctx) => {
    const data = await profileJson(ctx, file);
    if (!data) return fallback;
    try {
      return pick(data);
    } catch {
      return fallback;
    }
  };
}

const PREFERENCES = PROFILE_FILE('Preferences');
const LOCAL_STATE = `${CHROME_PROFILE}/Local State`;

/** Rows of a profile SQLite database, as Python's fetchall gives them (lists; blobs as hex). */
async function sqliteRows(ctx: GetterContext, sources: string[], dest: string, sql: string): Promise<unknown[][] | null> {
  let local: string | null = null;
  for (const source of sources) {
    local = await copyOut(ctx, source, dest);
    if (local) break;
  }
  if (!local) return null;
  try {
    const db = new Database(local, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(sql).raw().all() as unknown[][]).map((row) => row.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? Number(v) : v)));
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Getters: the live browser.

async function browser(ctx: GetterContext): Promise<string> {
  return ensureBrowser(ctx.env, { waitMs: 20_000, launch: true });
}

/** The active tab's URL, or null when no browser answers (the reference's get_active_url_from_accessTree). */
async function activeUrl(ctx: GetterContext): Promise<string | null> {
  try {
    return (await activeTab(await browser(ctx)))?.url ?? null;
  } catch {
    return null;
  }
}

function normalizeTabUrl(url: string): string {
  return percentDecode(url).replace(/\/+$/, '');
}

type HtmlParse = (page: import('playwright-core').Page, config: Dict) => Promise<Dict>;

/** get_active_tab_html_parse's categories: texts from the active tab found by class, label text, XPath or input. */
const htmlParse: HtmlParse = async (page, config) => {
  const out: Dict = {};
  const texts = async (selector: string) => {
    try {
      return (await page.locator(selector).allTextContents()).map((t) => t.trim());
    } catch {
      return [] as string[];
    }
  };
  const directTexts = async (selector: string): Promise<string[]> => {
    try {
      const first = page.locator(selector).first();
      if (!(await first.count())) return [];
      return await first.evaluate((node) => Array.from(node.childNodes).filter((n) => n.nodeType === 3).map((n) => (n.textContent ?? '').trim()).filter(Boolean));
    } catch {
      return [];
    }
  };
  const onlyChildTexts = async (selector: string): Promise<string[]> => {
    try {
      return await page.locator(selector).evaluateAll((nodes) => nodes.flatMap((n) => { const h = n.querySelector('h3'); return h ? [(h.textContent ?? '').trim()] : []; }));
    } catch {
      return [];
    }
  };
  const liTexts = async (selector: string): Promise<string[]> => {
    try {
      return await page.locator(`${selector} li.catAllProducts`).evaluateAll((nodes) => nodes.flatMap((n) => { const s = n.querySelector('span'); return s ? [((s as HTMLElement).innerText ?? '').trim()] : []; }));
    } catch {
      return [];
    }
  };
  const byIndex = (source: Dict, get: (cls: string) => Promise<string[]>) =>
    Promise.all(Object.entries(source).map(async ([cls, order]) => {
      const found = await get(`.${cls}`);
      for (const [index, key] of Object.entries(dict(order, `class object ${cls}`))) out[String(key)] = found[Number.parseInt(index, 10)] ?? '';
    }));
  const category = config.category;
  if (category === 'class') {
    await byIndex(dict(config.class_multiObject ?? {}, 'class_multiObject'), texts);
    await byIndex(dict(config.class_multiObject_child ?? {}, 'class_multiObject_child'), directTexts);
    await byIndex(dict(config.class_multiObject_only_child ?? {}, 'class_multiObject_only_child'), onlyChildTexts);
    for (const [cls, objects] of Object.entries(dict(config.class_multiObject_search_exist ?? {}, 'class_multiObject_search_exist'))) {
      const found = await texts(`.${cls}`);
      const wanted = list(objects, `class_multiObject_search_exist.${cls}`).map(String);
      for (const w of wanted) if (w !== 'is_other_exist') out[w] = found.includes(w);
      if (wanted.includes('is_other_exist')) out.is_other_exist = found.some((f) => !wanted.includes(f));
    }
    for (const [cls, key] of Object.entries(dict(config.class_singleObject ?? {}, 'class_singleObject'))) out[String(key)] = (await texts(`.${cls}`))[0] ?? '';
  } else if (category === 'label') {
    for (const [label, key] of Object.entries(dict(config.labelObject ?? {}, 'labelObject'))) {
      try {
        out[String(key)] = ((await page.locator(`text=${label}`).first().textContent({ timeout: 5000 })) ?? '').trim();
      } catch {
        out[String(key)] = '';
      }
    }
  } else if (category === 'xpath' || category === 'input') {
    const object = dict((category === 'xpath' ? config.xpathObject : config.inputObject) ?? {}, category === 'xpath' ? 'xpathObject' : 'inputObject');
    for (const [xpath, key] of Object.entries(object)) {
      try {
        const el = page.locator(`xpath=${xpath}`).first();
        if (!(await el.count())) out[String(key)] = '';
        else out[String(key)] = ((category === 'xpath' ? await el.textContent({ timeout: 5000 }) : await el.inputValue({ timeout: 5000 })) ?? '').trim();
      } catch {
        out[String(key)] = '';
      }
    }
  } else if (category === 'class&url') {
    const mark = (found: string[], wanted: string[]) => {
      for (const w of wanted) if (found.some((f) => f.toLowerCase() === w.toLowerCase())) out[w.toLowerCase()] = true;
      if (found.some((f) => wanted.every((w) => !w.toLowerCase().includes(f.toLowerCase())))) out.is_other_exist = true;
      if (!('is_other_exist' in out)) out.is_other_exist = false;
    };
    for (const [cls, objects] of Object.entries(dict(config.class_multiObject ?? {}, 'class_multiObject'))) mark(await texts(`.${cls}`), list(objects, cls).map(String));
    for (const [cls, objects] of Object.entries(dict(config.class_multiObject_li ?? {}, 'class_multiObject_li'))) mark(await liTexts(`.${cls}`), list(objects, cls).map(String));
    const url = page.url().toLowerCase();
    for (const key of list(config.url_include_expected ?? [], 'url_include_expected').map(String)) {
      if (!(key.toLowerCase() in out)) out[key.toLowerCase()] = url.includes(key.toLowerCase());
    }
    for (const [key, value] of Object.entries(dict(config.url_include_expected_multichoice ?? {}, 'url_include_expected_multichoice'))) {
      const v = String(value).toLowerCase();
      if (!(v in out)) out[v] = url.includes(key.toLowerCase());
    }
  } else throw new UnsupportedError(`active_tab_html_parse category ${JSON.stringify(category)}`);
  return out;
};

/** get_macys_product_url_parse: facets of a Macy's listing URL path. */
function macysUrlParse(url: string, parseKeys: string[]): Dict {
  const p = percentDecode(urlParse(url).path);
  const result: Dict = { mens_clothing: p.includes('mens-clothing') ? true : null };
  const parts = p.replace(/^\/+|\/+$/g, '').split('/');
  const kv: Dict = {};
  let shirts = p.includes('shirts');
  let shortSleeve = p.includes('short-sleeve');
  for (let i = 0; i < parts.length - 1; i++) {
    if (parts[i]!.includes(',') && parts[i + 1]!.includes(',')) {
      const keys = parts[i]!.split(',').map((k) => k.trim());
      const values = parts[i + 1]!.split(',').map((v) => v.trim());
      keys.slice(0, values.length).forEach((k, j) => {
        const v = values[j]!;
        kv[k] = k === 'Price_discount_range' ? (v ? v.split('|').map((x) => x.trim()) : null) : v || null;
        if (k === 'Product_department' && ['shirts', 'Shirts', 'Shirt'].includes(v)) shirts = true;
        if (k === 'Sleeve_length' && ['short-sleeve', 'Short Sleeve'].includes(v)) shortSleeve = true;
      });
      break;
    }
  }
  for (const f of ['Men_regular_size_t', 'Price_discount_range']) if (!(f in kv)) kv[f] = null;
  result.shirts = shirts ? true : null;
  result.short_sleeve = shortSleeve ? true : null;
  for (const key of parseKeys) {
    if (!(key in kv)) continue;
    if (key === 'Price_discount_range') {
      const v = kv[key];
      result[key] = Array.isArray(v) && v.includes('50_PERCENT_ off & more') && !v.includes('30_PERCENT_ off & more') && !v.includes('20_PERCENT_ off & more') ? '50_PERCENT_ off & more' : 'not_50_PERCENT_ off & more';
    } else result[key] = kv[key];
  }
  return result;
}

const macys: Getter = async (ctx, config) => {
  const url = await activeUrl(ctx);
  return url === null ? null : macysUrlParse(url, list(config.parse_keys ?? [], 'parse_keys').map(String));
};

export const CHROME_GETTERS: Record<string, Getter> = {
  default_search_engine: fromPrefs(PREFERENCES, 'Google', (d) => at(d, ['default_search_provider_data', 'template_url_data', 'short_name'], 'Google')),
  enabled_experiments: fromPrefs(LOCAL_STATE, [], (d) => at(d, ['browser', 'enabled_labs_experiments'], [])),
  profile_name: fromPrefs(PREFERENCES, null, (d) => at(d, ['profile', 'name'], null)),
  chrome_language: fromPrefs(LOCAL_STATE, 'en-US', (d) => at(d, ['intl', 'app_locale'], 'en-US')),
  chrome_font_size: fromPrefs(PREFERENCES, { default_fixed_font_size: 13, default_font_size: 16 }, (d) =>
    at(d, ['webkit', 'webprefs'], { default_fixed_font_size: 13, default_font_size: 16, minimum_font_size: 13 }),
  ),
  enable_do_not_track: fromPrefs(PREFERENCES, 'false', (d) => (truthy(at(d, ['enable_do_not_track'], {})) ? 'true' : 'false')),
  enable_enhanced_safety_browsing: fromPrefs(PREFERENCES, 'Google', (d) => (truthy(at(d, ['safebrowsing', 'enhanced'], {})) ? 'true' : 'false')),
  enable_safe_browsing: fromPrefs(PREFERENCES, 'false', (d) =>
    truthy(at(d, ['safebrowsing', 'enhanced'], false)) || truthy(at(d, ['safebrowsing', 'enabled'], false)) ? 'true' : 'false',
  ),
  new_startup_page: fromPrefs(PREFERENCES, 'Google', (d) => (!('session' in d) ? 'true' : at(d, ['session', 'restore_on_startup'], {}) === 5 ? 'true' : 'false')),
  find_unpacked_extension_path: fromPrefs(PREFERENCES, 'Google', (d) =>
    Object.values(dict(at(d, ['extensions', 'settings'], {}), 'extensions.settings')).map((e) => {
      const p = dict(e, 'extension').path;
      if (p === undefined) throw new Error('extension without a path');
      return p;
    }),
  ),
  find_installed_extension_name: fromPrefs(PREFERENCES, 'Google', (d) =>
    Object.values(dict(at(d, ['extensions', 'settings'], {}), 'extensions.settings')).map((e) => {
      const name = dict(dict(dict(e, 'extension').manifest, 'manifest'), 'manifest').name;
      if (name === undefined) throw new Error('extension manifest without a name');
      return name;
    }),
  ),
  data_delete_automacally: fromPrefs(PREFERENCES, 'Google', (d) => {
    const profile = dict(d.profile, 'profile');
    return profile.default_content_setting_values !== undefined && profile.default_content_setting_values !== null ? 'true' : 'false';
  }),
  bookmarks: async (ctx) => {
    const data = await ctx.env.readFile(PROFILE_FILE('Bookmarks'));
    if (!data || data.length === 0) return [];
    const parsed = dict(JSON.parse(data.toString('utf8')), 'Bookmarks');
    return parsed.roots ?? {};
  },
  history: (ctx, config) => sqliteRows(ctx, [PROFILE_FILE('History')], destPath(ctx, config.dest, 'history.sqlite'), 'SELECT url, title, last_visit_time FROM urls'),
  cookie_data: (ctx, config) =>
    sqliteRows(ctx, [PROFILE_FILE('Cookies'), PROFILE_FILE('Network/Cookies')], destPath(ctx, config.dest, 'Cookies'), 'SELECT * FROM cookies'),

  open_tabs_info: async (ctx) => {
    let base: string;
    try {
      base = await browser(ctx);
    } catch {
      return [];
    }
    // The reference lists the tabs in the order the browser opened them.
    const tabs = [...(await listTabs(base))].reverse();
    for (const tab of tabs) await waitForLoad(base, tab.id, 10_000);
    return (await listTabs(base)).reverse().map((t) => ({ title: t.title, url: t.url }));
  },
  active_tab_info: async (ctx) => {
    let tab: Tab | null;
    try {
      tab = await activeTab(await browser(ctx));
    } catch {
      return null;
    }
    if (!tab) return null;
    try {
      return await tabInfo(tab);
    } catch {
      return null;
    }
  },
  active_url_from_accessTree: async (ctx) => activeUrl(ctx),
  active_tab_url_parse: async (ctx, config) => {
    const url = await activeUrl(ctx);
    if (url === null) return null;
    const query = parseQs(urlParse(url).query);
    const keys = list(config.parse_keys, 'active_tab_url_parse: parse_keys').map(String);
    let out: Dict = Object.fromEntries(keys.map((k) => [k, query.get(k)?.[0] ?? '']));
    for (const [from, to] of Object.entries(dict(config.replace ?? {}, 'active_tab_url_parse: replace'))) {
      if (!(from in out)) throw new Error(`active_tab_url_parse: replace names ${from}, which is not in parse_keys`);
      const value = out[from];
      delete out[from];
      out[String(to)] = value;
    }
    if (config.split_list) out = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, String(v).split(',')]));
    return out;
  },
  url_dashPart: async (ctx, config) => {
    const url = await activeUrl(ctx);
    if (url === null) return null;
    const index = Number.parseInt(String(config.partIndex), 10);
    const parts = url.split('/');
    if (!Number.isFinite(index) || index >= parts.length) return null;
    let part = parts.at(index)!;
    if (config.needDeleteId) part = part.split('?')[0]!;
    if (config.returnType === 'string') return part;
    if (config.returnType === 'json') return { [String(config.key)]: part };
    return null;
  },
  url_path_parse: macys,
  macys_product_url_parse: macys,
  active_tab_html_parse: async (ctx, config) => {
    let base: string;
    let url: string | null;
    try {
      base = await browser(ctx);
      url = (await activeTab(base))?.url ?? null;
    } catch {
      return null;
    }
    if (url === null) return null;
    return withBrowser(base, async (b) => {
      const page = b.contexts().flatMap((c) => c.pages()).find((p) => normalizeTabUrl(p.url()) === normalizeTabUrl(url));
      if (!page) return {};
      await page.waitForLoadState('load', { timeout: 30_000 }).catch(() => undefined);
      return htmlParse(page, config);
    });
  },
  page_info: async (ctx, config) => {
    const url = str(config.url, 'page_info: url');
    try {
      return await withBrowser(await browser(ctx), async (b) => {
        const page = await b.contexts()[0]!.newPage();
        try {
          await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
          return { title: await page.title(), url: page.url(), content: await page.content() };
        } finally {
          await page.close().catch(() => undefined);
        }
      });
    } catch {
      return { title: 'Connection failed', url, content: '' };
    }
  },
  info_from_website: async (ctx, config) => {
    const url = str(config.url, 'info_from_website: url');
    try {
      return await withBrowser(await browser(ctx), async (b) => {
        const page = await b.contexts()[0]!.newPage();
        try {
          await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
          const infos: unknown[] = [];
          for (const [i, raw] of list(config.infos ?? [], 'info_from_website: infos').entries()) {
            const info = dict(raw, `info_from_website: infos[${i}]`);
            if (page.url() !== url) await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
            const action = info.action ?? 'inner_text';
            const selectors = Array.isArray(info.selector) ? info.selector.map(String) : [str(info.selector, `infos[${i}].selector`)];
            if (action === 'click_and_inner_text' || action === 'click_and_attribute') {
              for (const sel of selectors.slice(0, -1)) {
                await page.locator(sel).first().click({ timeout: 10_000 });
                await page.waitForLoadState('load');
              }
            } else if (action !== 'inner_text' && action !== 'attribute') throw new UnsupportedError(`info_from_website action ${JSON.stringify(action)}`);
            const el = page.locator(selectors.at(-1)!).first();
            await el.waitFor({ state: 'attached', timeout: 10_000 });
            infos.push(String(action).endsWith('attribute') ? await el.getAttribute(str(info.attribute, `infos[${i}].attribute`)) : await el.innerText());
          }
          return infos;
        } finally {
          await page.close().catch(() => undefined);
        }
      });
    } catch (error) {
      if (error instanceof UnsupportedError) throw error;
      return config.backups ?? null;
    }
  },
  pdf_from_url: async (ctx, config) => {
    const url = str(config.path, 'pdf_from_url: path');
    const dest = destPath(ctx, config.dest, 'page.pdf');
    try {
      await withBrowser(await browser(ctx), async (b) => {
        const page = await b.contexts()[0]!.newPage();
        try {
          await page.goto(url, { waitUntil: 'networkidle', timeout: 60_000 });
          await page.pdf({ path: dest });
        } finally {
          await page.close().catch(() => undefined);
        }
      });
    } catch {
      // As the reference after its retries: an empty PDF, so the metric scores the failure.
      await writeFile(dest, '%PDF-1.4\n%EOF\n');
    }
    return dest;
  },
  number_of_search_results: async (ctx) => {
    try {
      return await withBrowser(await browser(ctx), async (b) => {
        const page = await b.contexts()[0]!.newPage();
        try {
          await page.goto('https://google.com/search?q=query', { waitUntil: 'networkidle', timeout: 45_000 });
          return await page.locator('.search-result').count();
        } finally {
          await page.close().catch(() => undefined);
        }
      });
    } catch {
      return 0;
    }
  },
  googledrive_file: async () => {
    throw new UnsupportedError('googledrive_file getter (needs a Google Drive account)');
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Metrics.

function urlOf(info: unknown): unknown {
  return info && typeof info === 'object' && !Array.isArray(info) ? (info as Dict).url ?? null : info;
}

/** BeautifulSoup's view of an HTML document, node by node in document order (recursiveChildGenerator). */
interface SoupNode {
  kind: 'tag' | 'text';
  name?: string;
  text: string;
  attrs?: Map<string, string | string[]>;
}

// Attributes BeautifulSoup splits into lists of words.
const MULTI_VALUED = new Set(['class', 'rel', 'rev', 'accept-charset', 'headers', 'accesskey', 'dropzone']);

type P5Node = { nodeName: string; tagName?: string; value?: string; data?: string; attrs?: Array<{ name: string; value: string }>; childNodes?: P5Node[]; content?: P5Node };

function soupNodes(html: string): SoupNode[] {
  const doc = parseHtml(html) as unknown as P5Node;
  const out: SoupNode[] = [];
  const textOf = (n: P5Node): string => (n.nodeName === '#text' ? n.value ?? '' : (n.childNodes ?? []).map(textOf).join(''));
  const walk = (n: P5Node) => {
    for (const child of n.childNodes ?? []) {
      if (child.nodeName === '#text') out.push({ kind: 'text', text: child.value ?? '' });
      else if (child.nodeName === '#comment') out.push({ kind: 'text', text: child.data ?? '' });
      else if (child.nodeName === '#documentType') out.push({ kind: 'text', text: 'html' });
      else if (child.tagName) {
        const attrs = new Map<string, string | string[]>();
        for (const a of child.attrs ?? []) attrs.set(a.name, MULTI_VALUED.has(a.name) ? a.value.split(/\s+/).filter(Boolean) : a.value);
        out.push({ kind: 'tag', name: child.tagName, text: textOf(child), attrs });
        walk(child.content ?? child);
      }
    }
  };
  walk(doc);
  return out;
}

function sameAttrs(a: Map<string, string | string[]>, b: Map<string, string | string[]>, skip?: string): boolean {
  const keys = (m: Map<string, unknown>) => [...m.keys()].filter((k) => k !== skip);
  const ka = keys(a);
  if (ka.length !== keys(b).length) return false;
  return ka.every((k) => b.has(k) && JSON.stringify(a.get(k)) === JSON.stringify(b.get(k)));
}

export const CHROME_METRICS: Record<string, Metric> = {
  is_expected_tabs: (openTabs, rule) => {
    if (!truthy(openTabs)) return 0;
    const r = dict(rule, 'rule');
    if (r.type !== 'url') return 0;
    const actual = list(openTabs, 'open tabs').map((t) => dict(t, 'tab').url);
    return listsEqual(list(r.urls, 'rule.urls'), actual, compareUrls) ? 1 : 0;
  },
  is_expected_active_tab: (info, rule) => {
    if (!truthy(info)) return 0;
    const r = dict(rule, 'rule');
    return r.type === 'url' && compareUrls(r.url, urlOf(info)) ? 1 : 0;
  },
  is_expected_active_tab_approximate: (info, rule) => {
    if (!truthy(info)) return 0;
    const r = dict(rule, 'rule');
    if (r.type !== 'url') return 0;
    const strip = (u: unknown) => urlUnparse({ ...urlParse(String(u)), query: '' });
    return strip(r.url) === strip(urlOf(info)) ? 1 : 0;
  },
  is_expected_url_pattern_match: (result, rules) => {
    if (!truthy(result)) return 0;
    const url = typeof result === 'string' ? result : result && typeof result === 'object' && 'url' in result ? String((result as Dict).url) : null;
    if (url === null) return 0;
    return list(dict(rules, 'rules').expected, 'rules.expected').every((p) => pyRegex(String(p)).test(url)) ? 1 : 0;
  },
  is_expected_installed_extensions: (installed, expected) => {
    if (!truthy(installed)) return 0;
    const aliases = [new Set(['Zoom Chrome Extension', 'Zoom for Google Chrome'])];
    const canon = (name: unknown) => {
      const s = String(name);
      const group = aliases.find((g) => g.has(s));
      return group ? [...group].sort()[0]! : s;
    };
    const have = new Set(list(installed, 'installed extensions').map(canon));
    return list(dict(expected, 'expected').expected, 'expected.expected').every((e) => have.has(canon(e))) ? 1 : 0;
  },
  is_expected_bookmarks: (bookmarks, rule) => {
    if (!truthy(bookmarks)) return 0;
    const r = dict(rule, 'rule');
    const bar = list(dict(dict(bookmarks, 'bookmarks').bookmark_bar, 'bookmark_bar').children, 'bookmark_bar.children').map((b) => dict(b, 'bookmark'));
    const sameSet = (a: unknown[], b: unknown[]) => {
      const x = new Set(a.map(String));
      const y = new Set(b.map(String));
      return x.size === y.size && [...x].every((v) => y.has(v));
    };
    if (r.type === 'bookmark_bar_folders_names') return sameSet(bar.filter((b) => b.type === 'folder').map((b) => b.name), list(r.names, 'rule.names')) ? 1 : 0;
    if (r.type === 'bookmark_bar_websites_urls') return sameSet(bar.filter((b) => b.type === 'url').map((b) => b.url), list(r.urls, 'rule.urls')) ? 1 : 0;
    if (r.type === 'liked_authors_websites_urls') {
      const folder = bar.find((b) => b.type === 'folder' && b.name === 'Liked Authors');
      if (!folder) return 0;
      const urls = list(folder.children, 'Liked Authors').map((b) => dict(b, 'bookmark')).filter((b) => b.type === 'url').map((b) => b.url);
      // Each expected entry is a URL or a list of acceptable URLs: some choice of one per entry must equal the folder.
      const options = list(r.urls, 'rule.urls').map((u) => (Array.isArray(u) ? u : [u]));
      const target = new Set(urls.map(String));
      const search = (i: number, chosen: Set<string>): boolean => {
        if (i === options.length) return chosen.size === target.size && [...chosen].every((v) => target.has(v));
        return options[i]!.some((u) => target.has(String(u)) && search(i + 1, new Set([...chosen, String(u)])));
      };
      return search(0, new Set()) ? 1 : 0;
    }
    throw new TypeError(`${String(r.type)} not support yet!`);
  },
  is_expected_search_query: (info, rules) => {
    if (!truthy(info)) return 0;
    const pattern = String(dict(dict(rules, 'rules').expect, 'rules.expect').pattern);
    return pyRegex(pattern).test(String(dict(info, 'active tab').url)) ? 1 : 0;
  },
  is_cookie_deleted: (cookies, rule) => {
    const r = dict(rule, 'rule');
    if (r.type !== 'domains') throw new TypeError(`${String(r.type)} not support yet!`);
    const domains = list(cookies, 'cookies').map((c) => list(c, 'cookie')[1]);
    return list(r.domains, 'rule.domains').some((d) => domains.some((c) => compareUrls(d, c))) ? 0 : 1;
  },
  check_history_deleted: (history, rule) => {
    const r = dict(rule, 'rule');
    if (r.type !== 'keywords') throw new TypeError(`${String(r.type)} not support yet!`);
    const urls = list(history, 'history').map((h) => String(list(h, 'history row')[0]));
    return list(r.keywords, 'rule.keywords').some((k) => urls.some((u) => u.includes(String(k)))) ? 0 : 1;
  },
  check_enabled_experiments: (experiments, rule) => {
    const r = dict(rule, 'rule');
    if (r.type !== 'names') throw new TypeError(`${String(r.type)} not support yet!`);
    const names = list(experiments, 'experiments').map((e) => String(e).split('@')[0]);
    const want = list(r.names, 'rule.names');
    return names.length === want.length && names.every((n, i) => n === want[i]) ? 1 : 0;
  },
  check_font_size: (fontSize, rule) => {
    const size = Number(dict(fontSize, 'font size').default_font_size);
    const r = dict(rule, 'rule');
    if (r.type === 'value') return size === Number(r.value) ? 1 : 0;
    if (r.type === 'range') return Number(r.min) < size && size < Number(r.max) ? 1 : 0;
    throw new TypeError(`${String(r.type)} not support yet!`);
  },
  is_added_to_steam_cart: (info, rule) => {
    const content = String(dict(info, 'active tab').content);
    return list(dict(rule, 'rule').items, 'rule.items').every((item) => content.includes(String(item))) ? 1 : 0;
  },
  is_shortcut_on_desktop: (shortcuts, rule) => {
    const r = dict(rule, 'rule');
    const entries = Object.values(dict(shortcuts, 'shortcuts')).map(String);
    const lineValues = (content: string, key: string) => content.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
    if (r.type === 'name') {
      const want = String(r.name);
      return entries.some((c) => c.includes(`Name=${want}\n`) || lineValues(c, 'Name').some((n) => n === want || n.toLowerCase().includes(want.toLowerCase()) || want.toLowerCase().includes(n.toLowerCase()))) ? 1 : 0;
    }
    if (r.type === 'exec') {
      const want = String(r.exec);
      return entries.some((c) => c.includes(`Exec=${want}\n`) || lineValues(c, 'Exec').some((e) => e === want || e.includes(want) || want.includes(e))) ? 1 : 0;
    }
    throw new TypeError(`${String(r.type)} not support yet!`);
  },
  compare_htmls: (file1, file2, options) => {
    if (!isFile(file1) || !isFile(file2)) return 0;
    const a = soupNodes(readText(file1));
    const b = soupNodes(readText(file2));
    const skip = options.ignore_sdnum ? 'sdnum' : undefined;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x.kind !== y.kind) return 0;
      if (x.kind === 'text') {
        if (x.text !== y.text) return 0;
        continue;
      }
      if (x.name !== y.name || x.text.trim() !== y.text.trim()) return 0;
      if (!sameAttrs(x.attrs!, y.attrs!)) {
        // The reference, with ignore_sdnum, returns the comparison without sdnum as the element's verdict.
        if (skip && sameAttrs(x.attrs!, y.attrs!, skip)) continue;
        return 0;
      }
    }
    return 1;
  },
};
