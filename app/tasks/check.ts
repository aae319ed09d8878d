/**
 * `tasks check`: for every task of an index (or one task file), whether this runner can score it and, apart from
 * that, whether this machine is ready to run it. Static support is the task's setup steps, getters and metrics
 * (evaluate.ts's unsupportedReason, plus what the chosen backend cannot read); readiness is the programs its
 * commands and getters need, each with the Debian package that provides it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GUEST_ONLY_GETTERS } from './apps/misc';
import { unsupportedReason } from './evaluate';
import { shlexSplit } from './environment';
import { loadTasks, withoutBom, type LoadedTask, type Task } from './schema';

export type Backend = 'local' | 'osworld';

/** A program a task needs on the local backend, and where it comes from. */
export interface Tool {
  name: string;
  /** Debian package, or null when Debian does not package it. */
  package: string | null;
  /** What to do when there is no package. */
  note?: string;
}

export interface TaskCheck {
  domain: string;
  id: string;
  status: 'supported' | 'unsupported' | 'missing-file' | 'invalid';
  /** Why it is not supported (or why the file could not be used). */
  reason?: string;
  /** Programs the task needs that this machine lacks (local backend, supported tasks). */
  missing: Tool[];
  ready: boolean;
}

export interface DomainSummary {
  domain: string;
  tasks: number;
  missingFiles: number;
  invalid: number;
  supported: number;
  ready: number;
}

export interface CheckReport {
  backend: Backend;
  tasks: TaskCheck[];
  domains: DomainSummary[];
  total: DomainSummary;
  /** Reasons with the number of tasks each makes unsupported, most common first. */
  reasons: Array<{ reason: string; tasks: number }>;
}

/** Names that exist in OSWorld but cannot be had here, with the reason a user reads. */
const NOT_HERE: Record<string, string> = {
  'getter googledrive_file': 'needs a Google Drive account',
  'getter gotoRecreationPage_and_get_html_content': 'a scripted visit of recreation.gov',
  'metric compare_image_text': 'OCR by easyocr, whose exact readings the published task relies on (it looks for " Ls", easyocr\'s reading of `ls`): another OCR engine would not give the reference\'s score',
};

/** Programs the tasks' commands start, by the name they use. */
const TOOLS: Record<string, { binaries: string[]; package: string | null; note?: string }> = {
  'google-chrome': { binaries: ['google-chrome', '/usr/lib/chromium/chromium'], package: 'chromium' },
  chromium: { binaries: ['chromium'], package: 'chromium' },
  socat: { binaries: ['socat'], package: 'socat' },
  gimp: { binaries: ['gimp'], package: 'gimp' },
  vlc: { binaries: ['vlc'], package: 'vlc' },
  thunderbird: { binaries: ['thunderbird'], package: 'thunderbird' },
  libreoffice: { binaries: ['libreoffice'], package: 'libreoffice' },
  soffice: { binaries: ['soffice'], package: 'libreoffice' },
  code: { binaries: ['code'], package: null, note: 'VS Code is not packaged by Debian: install it from https://code.visualstudio.com' },
  nautilus: { binaries: ['nautilus'], package: 'nautilus' },
  gedit: { binaries: ['gedit'], package: 'gedit' },
  'gnome-terminal': { binaries: ['gnome-terminal'], package: 'gnome-terminal' },
  ffmpeg: { binaries: ['ffmpeg'], package: 'ffmpeg' },
  tmux: { binaries: ['tmux'], package: 'tmux' },
  unzip: { binaries: ['unzip'], package: 'unzip' },
  zip: { binaries: ['zip'], package: 'zip' },
  git: { binaries: ['git'], package: 'git' },
  'xdg-mime': { binaries: ['xdg-mime'], package: 'xdg-utils' },
  'xdg-open': { binaries: ['xdg-open'], package: 'xdg-utils' },
  gio: { binaries: ['gio'], package: 'libglib2.0-bin' },
  gsettings: { binaries: ['gsettings'], package: 'libglib2.0-bin' },
  python3: { binaries: ['python3'], package: 'python3' },
  sqlite3: { binaries: ['sqlite3'], package: 'sqlite3' },
  xdotool: { binaries: ['xdotool'], package: 'xdotool' },
};

/** What getters and metrics need besides the task's own commands. */
const EVALUATOR_TOOLS: Record<string, string[]> = {
  vlc_playing_info: ['vlc'],
  default_video_player: ['xdg-mime'],
  vm_window_size: ['xdotool'],
  // Locally the terminal's text comes from the tmux under the desktop's xterm (resources/shims/deskpilot-terminal-shell).
  vm_terminal_output: ['tmux'],
  check_python_file_by_test_suite: ['python3'],
  compare_videos: ['ffmpeg'],
  compare_audios: ['ffmpeg'],
  update_browse_history: ['google-chrome'],
  chrome_open_tabs: ['google-chrome'],
  chrome_close_tabs: ['google-chrome'],
};
const CHROME_LIVE_GETTERS = ['open_tabs_info', 'active_tab_info', 'active_url_from_accessTree', 'active_tab_html_parse', 'active_tab_url_parse', 'url_dashPart', 'url_path_parse', 'macys_product_url_parse', 'page_info', 'info_from_website', 'pdf_from_url', 'number_of_search_results'];
for (const g of CHROME_LIVE_GETTERS) EVALUATOR_TOOLS[g] = ['google-chrome'];

function onPath(binary: string): boolean {
  if (binary.startsWith('/')) return existsSync(binary);
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, binary)));
}

/** Is this tool on the machine? (The shims for google-chrome and socat do not count: they need the real program.) */
export function hasTool(name: string, lookup: (binary: string) => boolean = onPath): boolean {
  return (TOOLS[name]?.binaries ?? [name]).some(lookup);
}

function commandWords(command: unknown, shell: boolean): string[] {
  if (Array.isArray(command)) return shell ? command.flatMap((c) => String(c).split(/[\s;&|()]+/)) : [String(command[0] ?? '')];
  if (typeof command !== 'string') return [];
  if (shell) return command.split(/[\s;&|()`'"]+/);
  try {
    return [shlexSplit(command)[0] ?? ''];
  } catch {
    return [];
  }
}

/** The programs a task needs on the local backend. */
export function toolsOf(task: Task): string[] {
  const needed = new Set<string>();
  for (const step of [...(task.config ?? []), ...(task.evaluator.postconfig ?? [])]) {
    if (EVALUATOR_TOOLS[step.type]) for (const t of EVALUATOR_TOOLS[step.type]!) needed.add(t);
    if (!['execute', 'command', 'launch'].includes(step.type)) continue;
    const shell = step.parameters?.shell === true || step.parameters?.shell === 'true';
    for (const word of commandWords(step.parameters?.command, shell)) {
      const name = path.basename(word);
      if (TOOLS[name] && !['python3', 'xdotool'].includes(name)) needed.add(name);
    }
  }
  const getters = [task.evaluator.result, task.evaluator.expected].flat().filter(Boolean) as Array<{ type?: string }>;
  for (const g of getters) for (const t of EVALUATOR_TOOLS[g.type ?? ''] ?? []) needed.add(t);
  for (const f of [task.evaluator.func].flat()) for (const t of EVALUATOR_TOOLS[f] ?? []) needed.add(t);
  return [...needed].sort();
}

/** Why the task cannot be scored with this backend, or null. */
export function staticReason(task: Task, backend: Backend): string | null {
  const why = unsupportedReason(task);
  if (why) return NOT_HERE[why] ? `${why} (${NOT_HERE[why]})` : why;
  if (backend === 'local') {
    const getters = [task.evaluator.result, task.evaluator.expected].flat().filter(Boolean) as Array<{ type?: string }>;
    for (const g of getters) {
      const note = GUEST_ONLY_GETTERS[g.type ?? ''];
      if (note) return `getter ${g.type} on the local backend (${note}; use --backend osworld)`;
    }
  }
  for (const g of [task.evaluator.result, task.evaluator.expected].flat().filter(Boolean) as Array<{ type?: string }>) {
    const key = `getter ${g.type}`;
    if (NOT_HERE[key]) return `${key} (${NOT_HERE[key]})`;
  }
  return null;
}

export function checkTask(loaded: Pick<LoadedTask, 'domain' | 'id' | 'task'>, backend: Backend, lookup?: (binary: string) => boolean): TaskCheck {
  const reason = staticReason(loaded.task, backend);
  if (reason) return { domain: loaded.domain, id: loaded.id, status: 'unsupported', reason, missing: [], ready: false };
  const missing =
    backend === 'local'
      ? toolsOf(loaded.task)
          .filter((t) => !hasTool(t, lookup))
          .map((t) => ({ name: t, package: TOOLS[t]?.package ?? null, ...(TOOLS[t]?.note ? { note: TOOLS[t]!.note } : {}) }))
      : [];
  return { domain: loaded.domain, id: loaded.id, status: 'supported', missing, ready: missing.length === 0 };
}

/** Count the tasks of an index per domain (the files themselves may be missing). */
function indexCounts(file: string, domains?: string[]): Map<string, number> | null {
  let raw: unknown;
  try {
    raw = JSON.parse(withoutBom(readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || 'evaluator' in raw) return null;
  const counts = new Map<string, number>();
  for (const [domain, ids] of Object.entries(raw as Record<string, unknown>)) {
    if (domains?.length && !domains.includes(domain)) continue;
    counts.set(domain, Array.isArray(ids) ? ids.length : 0);
  }
  return counts;
}

export async function checkTasks(file: string, options: { examplesDir?: string; domains?: string[]; backend?: Backend; lookup?: (binary: string) => boolean } = {}): Promise<CheckReport> {
  const backend = options.backend ?? 'local';
  const loaded = await loadTasks(file, { examplesDir: options.examplesDir, domains: options.domains });
  const tasks: TaskCheck[] = loaded.tasks.map((t) => checkTask(t, backend, options.lookup));
  for (const p of loaded.problems) {
    const missingFile = /cannot read \(ENOENT\)/.test(p.message);
    tasks.push({ domain: p.domain ?? '?', id: p.id ?? p.file, status: missingFile ? 'missing-file' : 'invalid', reason: missingFile ? `task file not found: ${p.file}` : p.message, missing: [], ready: false });
  }
  const counts = indexCounts(file, options.domains) ?? new Map<string, number>();
  for (const t of tasks) if (!counts.has(t.domain)) counts.set(t.domain, 0);
  const summary = (domain: string, list: TaskCheck[], total?: number): DomainSummary => ({
    domain,
    tasks: total ?? list.length,
    missingFiles: list.filter((t) => t.status === 'missing-file').length,
    invalid: list.filter((t) => t.status === 'invalid').length,
    supported: list.filter((t) => t.status === 'supported').length,
    ready: list.filter((t) => t.ready).length,
  });
  const domains = [...counts.keys()].sort().map((d) => {
    const list = tasks.filter((t) => t.domain === d);
    return summary(d, list, Math.max(counts.get(d) ?? 0, list.length));
  });
  const total = summary('total', tasks, domains.reduce((a, d) => a + d.tasks, 0));
  const byReason = new Map<string, number>();
  for (const t of tasks) if (t.status === 'unsupported' && t.reason) byReason.set(t.reason, (byReason.get(t.reason) ?? 0) + 1);
  const reasons = [...byReason.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([reason, n]) => ({ reason, tasks: n }));
  return { backend, tasks, domains, total, reasons };
}

/** The apt command that installs what the ready check found missing, or null. */
export function installCommand(report: CheckReport): string | null {
  const packages = [...new Set(report.tasks.flatMap((t) => t.missing.map((m) => m.package)).filter((p): p is string => !!p))].sort();
  return packages.length ? `sudo apt-get install -y ${packages.join(' ')}` : null;
}

export function formatCheck(report: CheckReport): string {
  const lines: string[] = [];
  for (const t of report.tasks) {
    const where = `${t.domain}/${t.id}`;
    if (t.status === 'supported') {
      lines.push(t.ready ? `${where}: supported` : `${where}: supported; not ready here: ${t.missing.map((m) => (m.package ? `${m.name} (apt-get install ${m.package})` : `${m.name} (${m.note})`)).join(', ')}`);
    } else if (t.status === 'unsupported') lines.push(`${where}: unsupported: ${t.reason}`);
    else if (t.status === 'missing-file') lines.push(`${where}: ${t.reason}`);
    else lines.push(`${where}: invalid: ${t.reason}`);
  }
  const header = ['domain', 'tasks', 'no file', 'invalid', 'scorable', 'ready here'];
  const rows = [...report.domains, report.total].map((d) => [d.domain, String(d.tasks), String(d.missingFiles), String(d.invalid), String(d.supported), report.backend === 'local' ? String(d.ready) : '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push('', `backend: ${report.backend}  (scorable: this runner has every step, getter and metric the task uses; ready: and this machine has its programs)`, fmt(header));
  for (const r of rows) lines.push(fmt(r));
  if (report.reasons.length) {
    lines.push('', 'why tasks are not scorable:');
    for (const r of report.reasons) lines.push(`  ${String(r.tasks).padStart(4)}  ${r.reason}`);
  }
  const install = installCommand(report);
  if (install) lines.push('', `to make the supported tasks ready here: ${install}   (or: deskpilot tasks doctor --fix)`);
  return `${lines.join('\n')}\n`;
}
