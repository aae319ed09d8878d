/**
 * The run record: a folder written as the run happens, readable whatever moment the process dies at.
 *
 *   settings.json   the settings used, API key redacted (written once, atomically)
 *   events.jsonl    one RunEvent per line, appended with a synchronous write per event (SIGKILL keeps every
 *                   completed line; an fsync per event also survives a power cut), base64 image data stripped
 *   step-0001.png   the image each step sent to the model (written to a temp name, then renamed into place)
 *   image-<hash>.png  an image a request carried that is no step image (model-input events name their images'
 *                   files; the same bytes are never stored twice)
 *   run.json        a small summary written at close; readers never need it
 *
 * Streamed reasoning/content deltas are coalesced (same step and type, up to DELTA_FLUSH_CHARS or
 * DELTA_FLUSH_MS) so a long reasoning stream does not become one line and one syscall per token; the full text is
 * in the step's model-reply event anyway.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import {
  redactSettings,
  RunEventSchema,
  type RunEvent,
  type RunOutcome,
  type RunSettings,
} from '../contract';
import type { Recorder } from '../agent/recorder';
import { defaultRunsRoot } from '../settings';

export type { Recorder };

export interface RecorderOptions {
  /** Folder holding run folders; the run goes to `<root>/<runId>`. Default: defaultRunsRoot() from app/settings. */
  root?: string;
  /** Exact folder for this run (overrides root). */
  dir?: string;
  runId: string;
  settings: RunSettings;
  /** fsync after every event (default true). Without it a SIGKILL still keeps every line; a power cut may not. */
  fsync?: boolean;
}

export interface RunRecordSummary {
  runId: string;
  instruction: string | null;
  outcome: RunOutcome | 'unfinished';
  message: string;
  steps: number;
  startedAt: number | null;
  finishedAt: number | null;
  events: number;
  images: string[];
  /** Actions a person denied or edited (History shows a badge on runs that hold corrections). */
  corrections: number;
}

export const EVENTS_FILE = 'events.jsonl';
export const SETTINGS_FILE = 'settings.json';
export const SUMMARY_FILE = 'run.json';
const DELTA_FLUSH_CHARS = 2000;
const DELTA_FLUSH_MS = 250;
/** Data URLs of recent requests whose file is known, so an image sent again is not decoded and hashed again. */
const KNOWN_URLS = 16;

const IMAGE_EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/webp': 'webp',
};

/** The image types a run record holds; a reader accepts nothing else (the type ends up in a data: URL). */
export function isRecordedImageMime(mime: string): boolean {
  return Object.hasOwn(IMAGE_EXTENSIONS, mime.toLowerCase());
}

/** A decision that corrects the model: a person denied or edited the action. */
export function isCorrection(event: RunEvent): boolean {
  return event.type === 'decision' && event.by === 'person' && (event.decision.kind === 'deny' || event.decision.kind === 'edit');
}

/**
 * JSON for disk: no base64 image payloads (the images are files), no data URLs, and never an API key even if a
 * caller forgot to redact one.
 */
function diskJson(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === 'base64') return undefined;
    if (key === 'apiKey' && typeof v === 'string' && v !== '(set)') return '(set)';
    if (typeof v === 'string' && v.length > 256 && v.startsWith('data:')) {
      return `(data URL omitted: ${v.length} characters)`;
    }
    return v;
  });
}

function writeAtomically(path: string, data: string | Buffer): void {
  const temp = `${path}.partial`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

type DeltaEvent = Extract<RunEvent, { type: 'reasoning-delta' | 'content-delta' }>;

export function createRunRecorder(options: RecorderOptions): Recorder {
  const { runId } = options;
  if (!/^[\w.-]+$/.test(runId) || runId.startsWith('.')) {
    throw new Error(`run id "${runId}" must be letters, digits, ".", "_" or "-" (it names a folder)`);
  }
  const dir = resolve(options.dir ?? join(options.root ?? defaultRunsRoot(), runId));
  const eventsPath = join(dir, EVENTS_FILE);
  mkdirSync(dir, { recursive: true });
  if (existsSync(eventsPath)) {
    throw new Error(`${dir} already holds a run record; choose a new folder`);
  }
  writeAtomically(join(dir, SETTINGS_FILE), `${JSON.stringify(redactSettings(options.settings), null, 2)}\n`);
  const fd = openSync(eventsPath, 'a');
  const durable = options.fsync ?? true;

  const images: string[] = [];
  const summary: RunRecordSummary = {
    runId,
    instruction: null,
    outcome: 'unfinished',
    message: '',
    steps: 0,
    startedAt: null,
    finishedAt: null,
    events: 0,
    images,
    corrections: 0,
  };
  let pending: DeltaEvent | null = null;
  let pendingTimer: NodeJS.Timeout | null = null;
  let closed: Promise<void> | null = null;

  const writeLine = (event: RunEvent, sync: boolean): void => {
    writeSync(fd, `${diskJson(event)}\n`);
    if (sync && durable) fsyncSync(fd);
    summary.events++;
  };

  const flushDeltas = (): void => {
    if (pendingTimer) clearTimeout(pendingTimer);
    pendingTimer = null;
    if (!pending) return;
    const event = pending;
    pending = null;
    writeLine(event, false);
  };

  const record = (event: RunEvent): void => {
    if (closed) throw new Error(`the run record in ${dir} is closed; "${event.type}" event not written`);
    if (event.type === 'reasoning-delta' || event.type === 'content-delta') {
      if (pending && (pending.type !== event.type || pending.step !== event.step)) flushDeltas();
      pending = pending ? { ...pending, delta: pending.delta + event.delta } : { ...event };
      if (pending.delta.length >= DELTA_FLUSH_CHARS) flushDeltas();
      else if (!pendingTimer) {
        pendingTimer = setTimeout(() => {
          // A failed timed flush must not crash the process; the next record() reports the broken file.
          try {
            flushDeltas();
          } catch {
            /* reported by the next synchronous write */
          }
        }, DELTA_FLUSH_MS);
        pendingTimer.unref();
      }
      return;
    }
    flushDeltas();
    writeLine(event, true);
    if (event.type === 'run-started') {
      summary.instruction = event.instruction;
      summary.startedAt = event.at;
    } else if (event.type === 'run-finished') {
      summary.outcome = event.outcome;
      summary.message = event.message;
      summary.steps = event.steps;
      summary.finishedAt = event.at;
    } else if ('step' in event && typeof event.step === 'number') {
      summary.steps = Math.max(summary.steps, event.step);
    }
    if (isCorrection(event)) summary.corrections++;
  };

  /** sha256 of each stored image -> its file, so the same bytes are never stored twice. */
  const byHash = new Map<string, string>();
  const knownUrls = new Map<string, string>();
  const extensionOf = (mime: string): string => {
    const ext = IMAGE_EXTENSIONS[mime.toLowerCase()];
    if (!ext) throw new Error(`cannot store an image of type "${mime}"; expected one of ${Object.keys(IMAGE_EXTENSIONS).join(', ')}`);
    return ext;
  };
  const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

  const saveImage = (step: number, data: Buffer, mime: string): string => {
    if (closed) throw new Error(`the run record in ${dir} is closed; image of step ${step} not written`);
    const ext = extensionOf(mime);
    const base = `step-${String(step).padStart(4, '0')}`;
    let name = `${base}.${ext}`;
    // Several images in one step (zoom-in crops): step-0003-2.png, -3, ...
    for (let n = 2; images.includes(name); n++) name = `${base}-${n}.${ext}`;
    writeAtomically(join(dir, name), data);
    images.push(name);
    const hash = sha256(data);
    if (!byHash.has(hash)) byHash.set(hash, name);
    return name;
  };

  const imageFile = (dataUrl: string): string => {
    if (closed) throw new Error(`the run record in ${dir} is closed; an image of a request was not written`);
    const known = knownUrls.get(dataUrl);
    if (known) {
      knownUrls.delete(dataUrl);
      knownUrls.set(dataUrl, known);
      return known;
    }
    const match = /^data:([\w.+-]+\/[\w.+-]+);base64,/.exec(dataUrl.slice(0, 120));
    if (!match) throw new Error('an image of a request is not a base64 data URL; it was not recorded');
    const ext = extensionOf(match[1]!);
    const data = Buffer.from(dataUrl.slice(match[0].length), 'base64');
    const hash = sha256(data);
    let name = byHash.get(hash);
    if (!name) {
      name = `image-${hash.slice(0, 16)}.${ext}`;
      writeAtomically(join(dir, name), data);
      images.push(name);
      byHash.set(hash, name);
    }
    knownUrls.set(dataUrl, name);
    if (knownUrls.size > KNOWN_URLS) knownUrls.delete(knownUrls.keys().next().value!);
    return name;
  };

  const close = (): Promise<void> => {
    closed ??= (async () => {
      try {
        flushDeltas();
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      writeAtomically(join(dir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    })();
    return closed;
  };

  return { dir, record, saveImage, imageFile, close };
}

// ------------------------------------------------------------------------------------------------ reading

/** A file of a run folder as found on disk: its real path, missing, or refused (with why). */
export type RunFileLookup = { kind: 'file'; path: string } | { kind: 'missing' } | { kind: 'refused'; reason: string };

/** What the recorder names its files: letters, digits, "_", "-" and "." (not first); never a path. */
const RUN_FILE_NAME = /^[\w-][\w.-]{0,254}$/;

/**
 * Find the file `name` of the run folder `dir`. Names come from the record itself (events.jsonl says which image
 * each step sent) or from the UI, so they are not trusted: only a plain file name is accepted, and its real path
 * (symbolic links followed) must be a regular file directly in the folder's real path - a link to /etc/passwd in
 * a run folder is refused like "../../etc/passwd" is.
 */
export function findRunFile(dir: string, name: string): RunFileLookup {
  if (!RUN_FILE_NAME.test(name)) {
    return { kind: 'refused', reason: `"${name}" is not a file name of a run record (a plain name such as step-0001.png)` };
  }
  let root: string;
  let real: string;
  let isFile: boolean;
  try {
    root = realpathSync(dir);
    real = realpathSync(join(root, name));
    isFile = statSync(real).isFile();
  } catch {
    return { kind: 'missing' };
  }
  if (dirname(real) !== root) return { kind: 'refused', reason: `${name} links to ${real}, outside the run folder` };
  if (!isFile) return { kind: 'refused', reason: `${name} is not a regular file` };
  return { kind: 'file', path: real };
}

export interface RunRecord {
  dir: string;
  /** settings.json as written (redacted), or null when missing or unreadable (see problems). */
  settings: Record<string, unknown> | null;
  events: RunEvent[];
  /** The last line of events.jsonl was cut off (the process died while writing it); it was ignored. */
  truncated: boolean;
  /** Everything that was wrong, one sentence each; the readable rest is still returned. */
  problems: string[];
  /** run.json when the run was closed properly, else null. */
  summary: RunRecordSummary | null;
}

/** The text of a run file, or null with the reason in `problems` (missing, or refused by findRunFile). */
function readRunText(dir: string, name: string, problems: string[]): string | null {
  const found = findRunFile(dir, name);
  if (found.kind === 'missing') problems.push(`${name} is missing`);
  if (found.kind === 'refused') problems.push(`${found.reason}; it was not read`);
  return found.kind === 'file' ? readFileSync(found.path, 'utf8') : null;
}

function readJsonFile(dir: string, label: string, problems: string[]): unknown {
  const text = readRunText(dir, label, problems);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    problems.push(`${label} is not valid JSON: ${(error as Error).message}`);
    return null;
  }
}

/** Read a run folder, tolerating a torn last line, unknown or damaged lines (skipped, listed in problems). */
export function readRun(dir: string): RunRecord {
  const root = resolve(dir);
  if (!existsSync(join(root, EVENTS_FILE)) && !existsSync(join(root, SETTINGS_FILE))) {
    throw new Error(`${root} is not a run folder (no ${EVENTS_FILE} or ${SETTINGS_FILE} in it)`);
  }
  const problems: string[] = [];
  const settingsValue = readJsonFile(root, SETTINGS_FILE, problems);
  const settings =
    settingsValue && typeof settingsValue === 'object' && !Array.isArray(settingsValue)
      ? (settingsValue as Record<string, unknown>)
      : null;
  if (settingsValue !== null && !settings) problems.push(`${SETTINGS_FILE} is not a JSON object`);

  const events: RunEvent[] = [];
  let truncated = false;
  const text = readRunText(root, EVENTS_FILE, problems);
  if (text !== null) {
    const lines = text.split('\n');
    const last = lines.length - 1; // after the final "\n" this is "", otherwise a line without its newline
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        if (i === last) {
          truncated = true;
          problems.push(`${EVENTS_FILE}: the last line is incomplete (the run stopped while writing it); it was ignored`);
        } else {
          problems.push(`${EVENTS_FILE} line ${i + 1} is not valid JSON; it was skipped`);
        }
        return;
      }
      const parsed = RunEventSchema.safeParse(value);
      if (parsed.success) {
        events.push(parsed.data);
      } else {
        const issue = parsed.error.issues[0];
        const type = (value as { type?: unknown } | null)?.type;
        problems.push(
          `${EVENTS_FILE} line ${i + 1} (${typeof type === 'string' ? `"${type}"` : 'no type'}) is not a valid event` +
            `${issue ? ` at "${issue.path.join('.')}": ${issue.message}` : ''}; it was skipped`,
        );
      }
    });
  }

  for (const event of events) {
    if (event.type !== 'observation' || !event.image.file) continue;
    const image = findRunFile(root, event.image.file);
    if (image.kind === 'missing') problems.push(`step ${event.step}: image ${event.image.file} is missing`);
    if (image.kind === 'refused') problems.push(`step ${event.step}: ${image.reason}; the image is not shown`);
    if (!isRecordedImageMime(event.image.mime)) {
      problems.push(`step ${event.step}: "${event.image.mime}" is not an image type a run records; the image is not shown`);
    }
  }

  const summary = existsSync(join(root, SUMMARY_FILE)) ? (readJsonFile(root, SUMMARY_FILE, problems) as RunRecordSummary | null) : null;
  return { dir: root, settings, events, truncated, problems, summary };
}
