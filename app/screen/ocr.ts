/**
 * Reading the text on a captured screen (OCR), with tesseract.js and the English LSTM data from the npm package
 * @tesseract.js-data/eng: nothing is downloaded at run time (the data is read from node_modules, and tesseract.js's
 * cache in the working directory is switched off). This module reads pixels and gives text with its place on the
 * screen; what the text means for the person (risk, injection) is app/policy/screen-risk.ts's business.
 *
 * Two reads, each in its own tesseract.js worker thread (recognition never runs on the event loop; a 1920x1080
 * page takes seconds on two cores, and a label must not wait behind it):
 * - readPage: the whole screen, at the display's logical resolution, with automatic page layout (columns are kept
 *   apart, so sentences stay in order). At most one page read runs and one waits: a newer screenshot replaces a
 *   waiting one (it then fails with OcrSuperseded), so a slow machine never builds a backlog.
 * - readLabel: the words on and around one point, from small crops around it, enlarged 2x and read as one line.
 *   Tried on 1920x1080 Chromium pages: whole-page reads (any page-segmentation mode) miss much of the text inside
 *   buttons (bordered or coloured boxes: "Save changes", "Delete account" on red, "Pay now" on blue), and so do
 *   crops that take in much of the surroundings (one threshold for the whole crop), while a button-sized crop
 *   read as one line finds them in 10-60 ms. So the tight crop goes first; the wider one when the tight one finds
 *   nothing near the point or only part of a run of words (a click off the middle of a long label).
 *
 * Picking the label among the read words (labelAt) and the page queue are written here: tesseract.js gives words
 * and boxes, nothing about which of them name the control under a point.
 *
 * Coordinates in results are global desktop coordinates (the space of Proposal.screen), in logical units.
 */
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { createWorker, OEM, PSM, type Bbox, type Page, type Worker as TesseractWorker } from 'tesseract.js';
import { errorMessage } from '../base/errors';
import type { Frame } from './capture';
import type { Point } from './geometry';

export interface TextBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ReadWord {
  text: string;
  /** Tesseract's confidence, 0..100. */
  confidence: number;
  box: TextBox;
  /** The word touches the side of the crop it was read from: it may be only part of a word. */
  cut?: boolean;
}

export interface ReadLine {
  text: string;
  box: TextBox;
  words: ReadWord[];
}

export interface PageText {
  /** Lines in reading order (words below PAGE_CONFIDENCE left out). */
  lines: ReadLine[];
  /** The lines joined with "\n". */
  text: string;
  /** Time from the request to the result (queueing included), ms. */
  ms: number;
}

export interface LabelText {
  /** The words that belong together at the point, e.g. "Delete account". */
  text: string;
  box: TextBox;
  ms: number;
  /** Words of the same run were cut off by the crop, so the text may be incomplete. */
  truncated?: boolean;
}

/** The screen text could not be read at all (the OCR engine did not start, crashed, or was closed). */
export class OcrUnavailable extends Error {
  override name = 'OcrUnavailable';
}

/** A page read that was still waiting when a newer screenshot was given to readPage. */
export class OcrSuperseded extends Error {
  override name = 'OcrSuperseded';
}

/**
 * Words tesseract is less sure of than this are left out. Labels: icons, borders and textures read as letters are
 * common in a crop, and a wrong label misleads. Page text: it is scanned for phrases, so a doubtful word in the
 * middle of a sentence ("ighore" at 44) is kept rather than breaking the sentence apart.
 */
const LABEL_CONFIDENCE = 60;
const PAGE_CONFIDENCE = 30;
/** Label crops, in logical pixels: one button-sized line, then a wider block. */
const LABEL_CROPS = [
  { width: 160, height: 36, psm: PSM.SINGLE_LINE },
  { width: 320, height: 60, psm: PSM.SINGLE_BLOCK },
] as const;
/** Label crops are enlarged to this many image pixels per logical pixel (small UI text reads far better so). */
const LABEL_SCALE = 2;
/** How far from the point a word may be and still be its label (vertical logical pixels; horizontal count half). */
const LABEL_REACH = 24;
/** Words on one line belong to the same label while the gap between them is below this many line heights. */
const LABEL_GAP = 1.0;
const LABEL_MAX_CHARS = 80;

/** Where the English LSTM data of @tesseract.js-data/eng is (the same data tesseract.js would fetch from its CDN). */
export function englishDataPath(): string {
  const packageJson = createRequire(import.meta.url).resolve('@tesseract.js-data/eng/package.json');
  return path.join(path.dirname(packageJson), '4.0.0_best_int');
}

export interface ScreenReaderOptions {
  /** Folder holding eng.traineddata.gz (default: englishDataPath()). */
  langPath?: string;
}

interface Waiting {
  frame: Frame;
  requested: number;
  resolve: (text: PageText) => void;
  reject: (error: unknown) => void;
}

/** How long a pooled engine waits for the next run before its threads are stopped. */
const IDLE_MS = 60_000;
/** A start that takes longer than this is given up (it takes 0.3-1.5 s). */
const START_TIMEOUT_MS = 30_000;

/**
 * The two tesseract.js workers. Starting them costs 0.3-1 s (the WebAssembly engine and 3 MB of language data
 * each), so an engine whose reader was closed while idle is kept for the next reader in this process (the next run
 * in `deskpilot ui`, the next task): its threads are unref'd meanwhile, so they never keep a finished command alive,
 * and stopped after IDLE_MS.
 */
class OcrEngine {
  failure: Error | null = null;
  /** Jobs sent and not yet answered. */
  busy = 0;
  private draining = false;
  private readonly failureListeners = new Set<(error: Error) => void>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly threads: Array<{ ref(): void; unref(): void } & NodeJS.EventEmitter>;

  constructor(
    readonly langPath: string,
    readonly pageWorker: TesseractWorker,
    readonly labelWorker: TesseractWorker,
  ) {
    this.threads = [pageWorker, labelWorker]
      .map((worker) => (worker as unknown as { worker?: OcrEngine['threads'][number] }).worker)
      .filter((thread) => thread !== undefined);
    for (const thread of this.threads) {
      // tesseract.js does not listen for its thread's own failure; without this an out-of-memory crash in the
      // thread would be an uncaught exception here.
      thread.on('error', (error: unknown) => this.fail(new OcrUnavailable(`the OCR thread failed: ${errorMessage(error)}`)));
      thread.on('exit', () => this.fail(new OcrUnavailable('the OCR thread ended')));
    }
  }

  static async start(langPath: string): Promise<OcrEngine> {
    // tesseract.js never settles createWorker when its language data cannot be loaded: check for it first.
    const data = path.join(langPath, 'eng.traineddata.gz');
    try {
      await access(data);
    } catch {
      throw new OcrUnavailable(
        `there is no OCR language data at ${data}: install the npm package @tesseract.js-data/eng (npm ci), or switch reading the screen off with "ocr": {"enabled": false}`,
      );
    }
    const start = async (psm: PSM): Promise<TesseractWorker> => {
      let startFailed: (error: Error) => void = () => undefined;
      const failed = new Promise<never>((_, reject) => (startFailed = reject));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`it did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      });
      const created = createWorker('eng', OEM.LSTM_ONLY, {
        langPath,
        gzip: true,
        // tesseract.js would otherwise write eng.traineddata into the working directory.
        cacheMethod: 'none',
        // Without a handler tesseract.js throws a failed job's error from its message listener (uncaught). It is
        // also the only word of a failed start (createWorker then never settles); later jobs reject by themselves.
        errorHandler: (error: unknown) => startFailed(new Error(errorMessage(error))),
      });
      const worker = await Promise.race([created, failed, timedOut]).finally(() => clearTimeout(timer));
      // debug_file: tesseract's progress notes ("Estimating resolution as 127") would go to this process's stderr.
      await worker.setParameters({ tessedit_pageseg_mode: psm, debug_file: '/dev/null' });
      return worker;
    };
    const started = await Promise.allSettled([start(PSM.AUTO), start(PSM.SINGLE_LINE)]);
    const [page, label] = started;
    if (page.status === 'fulfilled' && label.status === 'fulfilled') return new OcrEngine(langPath, page.value, label.value);
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.terminate().catch(() => undefined) : undefined)));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    throw new OcrUnavailable(`the OCR engine did not start (language data in ${langPath}): ${errorMessage(failure?.reason)}`);
  }

  /**
   * Run one tesseract.js call. Never calls a stopped worker (tesseract.js would then reject a promise nobody
   * holds); fails at once when the engine fails, since a dead worker never answers.
   */
  run<T>(call: () => Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    this.busy++;
    return new Promise<T>((resolve, reject) => {
      const onFailure = (error: Error): void => reject(error);
      this.failureListeners.add(onFailure);
      const settle = (): void => {
        this.busy--;
        this.failureListeners.delete(onFailure);
        if (this.busy === 0 && this.draining) {
          this.draining = false;
          this.pool();
        }
      };
      call().then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(this.failure ?? new Error(`OCR failed: ${errorMessage(error)}`));
        },
      );
    });
  }

  /** In use by a reader: the threads keep the process alive while they work. */
  lease(): void {
    clearTimeout(this.idleTimer);
    this.draining = false;
    for (const thread of this.threads) thread.ref();
  }

  /**
   * Back to the pool once its last job is answered (the last screenshot of a run is often still being read; nobody
   * waits for it, and the threads are unref'd at once). A failed engine is stopped.
   */
  release(): void {
    if (this.failure) {
      void this.stop();
      return;
    }
    for (const thread of this.threads) thread.unref();
    if (this.busy > 0) this.draining = true;
    else this.pool();
  }

  private pool(): void {
    if (this.failure) return;
    idleEngines.push(this);
    this.idleTimer = setTimeout(() => {
      const at = idleEngines.indexOf(this);
      if (at >= 0) idleEngines.splice(at, 1);
      void this.stop();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const listener of this.failureListeners) listener(error);
    this.failureListeners.clear();
    const at = idleEngines.indexOf(this);
    if (at >= 0) idleEngines.splice(at, 1);
  }

  async stop(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.fail(new OcrUnavailable('the OCR engine was stopped'));
    await Promise.all([this.pageWorker.terminate(), this.labelWorker.terminate()].map((p) => p.catch(() => undefined)));
  }
}

const idleEngines: OcrEngine[] = [];

/** One run's use of the OCR engine: its own page queue, closed when the run ends. */
export class ScreenReader {
  private closedError: Error | null = null;
  private pageRunning = false;
  private pageWaiting: Waiting | null = null;
  private labelQueue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly engine: OcrEngine) {}

  /** A reader on an idle engine of this process, or on a new one (0.3-1 s). */
  static async open(options: ScreenReaderOptions = {}): Promise<ScreenReader> {
    const langPath = options.langPath ?? englishDataPath();
    const pooled = idleEngines.findIndex((e) => e.langPath === langPath);
    const engine = pooled >= 0 ? idleEngines.splice(pooled, 1)[0]! : await OcrEngine.start(langPath);
    engine.lease();
    return new ScreenReader(engine);
  }

  /** Read the whole screen. Rejects with OcrSuperseded if a newer frame is given before this one started. */
  readPage(frame: Frame): Promise<PageText> {
    const closed = this.closedError ?? this.engine.failure;
    if (closed) return Promise.reject(closed);
    return new Promise<PageText>((resolve, reject) => {
      this.pageWaiting?.reject(new OcrSuperseded('a newer screenshot was given to read first'));
      this.pageWaiting = { frame, requested: performance.now(), resolve, reject };
      this.pumpPage();
    });
  }

  private pumpPage(): void {
    const job = this.pageWaiting;
    if (this.pageRunning || !job || this.closedError) return;
    this.pageWaiting = null;
    this.pageRunning = true;
    this.recognizePage(job.frame)
      .then((lines) => job.resolve({ lines, text: lines.map((l) => l.text).join('\n'), ms: performance.now() - job.requested }))
      .catch(job.reject)
      .finally(() => {
        this.pageRunning = false;
        this.pumpPage();
      });
  }

  private async recognizePage(frame: Frame): Promise<ReadLine[]> {
    const { bounds } = frame.display;
    let pipeline = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } });
    // HiDPI: read at the logical size. Text there is as large as on a 1x screen, and the read is 4x cheaper at 2x.
    if (frame.width !== bounds.width || frame.height !== bounds.height) {
      pipeline = pipeline.resize(bounds.width, bounds.height, { fit: 'fill', kernel: 'lanczos3' });
    }
    const image = await greyscalePnm(pipeline);
    const page = await this.call(() => this.engine.pageWorker.recognize(image.data, {}, { blocks: true, text: false }));
    const toGlobal = (b: Bbox): TextBox => ({ x: bounds.x + b.x0, y: bounds.y + b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 });
    return linesOf(page.data, PAGE_CONFIDENCE, toGlobal);
  }

  /**
   * The label at a global point: the words on or next to it that form one run on one line. Null when no text is
   * there (an icon, an empty area) or the point is not on this frame's display.
   */
  readLabel(frame: Frame, point: Point): Promise<LabelText | null> {
    const closed = this.closedError ?? this.engine.failure;
    if (closed) return Promise.reject(closed);
    const requested = performance.now();
    const next = this.labelQueue.then(async () => {
      // The tight crop first; the wider one when it found nothing, or only part of the run (a click off centre).
      let found: Omit<LabelText, 'ms'> | null = null;
      for (const crop of LABEL_CROPS) {
        const label = await this.labelFromCrop(frame, point, crop);
        if (label && (!found || label.text.length > found.text.length)) found = label;
        if (found && !found.truncated) break;
      }
      return found ? { ...found, ms: performance.now() - requested } : null;
    });
    this.labelQueue = next.catch(() => undefined);
    return next;
  }

  private async labelFromCrop(
    frame: Frame,
    point: Point,
    crop: (typeof LABEL_CROPS)[number],
  ): Promise<Omit<LabelText, 'ms'> | null> {
    const { bounds } = frame.display;
    const local = { x: point.x - bounds.x, y: point.y - bounds.y };
    if (local.x < 0 || local.y < 0 || local.x >= bounds.width || local.y >= bounds.height) return null;
    // The crop in logical pixels, kept inside the display.
    const width = Math.min(crop.width, bounds.width);
    const height = Math.min(crop.height, bounds.height);
    const left = clamp(Math.round(local.x - width / 2), 0, bounds.width - width);
    const top = clamp(Math.round(local.y - height / 2), 0, bounds.height - height);
    const ratioX = frame.width / bounds.width;
    const ratioY = frame.height / bounds.height;
    const region = {
      left: Math.floor(left * ratioX),
      top: Math.floor(top * ratioY),
      width: Math.max(1, Math.min(frame.width - Math.floor(left * ratioX), Math.round(width * ratioX))),
      height: Math.max(1, Math.min(frame.height - Math.floor(top * ratioY), Math.round(height * ratioY))),
    };
    const pipeline = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } })
      .extract(region)
      .resize(width * LABEL_SCALE, height * LABEL_SCALE, { fit: 'fill', kernel: 'cubic' });
    const image = await greyscalePnm(pipeline);
    const worker = this.engine.labelWorker;
    await this.call(() => worker.setParameters({ tessedit_pageseg_mode: crop.psm }));
    const page = await this.call(() => worker.recognize(image.data, {}, { blocks: true, text: false }));
    const toGlobal = (b: Bbox): TextBox => ({
      x: bounds.x + left + b.x0 / LABEL_SCALE,
      y: bounds.y + top + b.y0 / LABEL_SCALE,
      width: (b.x1 - b.x0) / LABEL_SCALE,
      height: (b.y1 - b.y0) / LABEL_SCALE,
    });
    // A word touching a side of the crop that is not the screen's edge may have been cut by the crop.
    const cut = (b: Bbox): boolean =>
      (b.x0 <= 1 && left > 0) || (b.x1 >= width * LABEL_SCALE - 2 && left + width < bounds.width);
    const label = labelAt(linesOf(page.data, LABEL_CONFIDENCE, toGlobal, cut), point);
    if (!label) return null;
    // A run ending within a word gap of the crop's side may go on beyond it (the cut part often reads as nothing).
    const gap = LABEL_GAP * label.box.height;
    const cropLeft = bounds.x + left;
    const nearSide =
      (left > 0 && label.box.x - cropLeft < gap) ||
      (left + width < bounds.width && cropLeft + width - (label.box.x + label.box.width) < gap);
    return nearSide ? { ...label, truncated: true } : label;
  }

  /** Done with the reader: reads still waiting fail with OcrUnavailable, the engine goes back to the pool. */
  async close(): Promise<void> {
    if (this.closedError) return;
    this.closedError = new OcrUnavailable('the screen reader was closed');
    this.pageWaiting?.reject(this.closedError);
    this.pageWaiting = null;
    this.engine.release();
  }

  private call<T>(work: () => Promise<T>): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    return this.engine.run(work);
  }
}

/**
 * The image as a binary greyscale PNM (P5): the cheapest format tesseract's image reader (Leptonica) takes - no
 * compression, a one-line header - and the conversion runs in sharp's threads, not on the event loop.
 */
async function greyscalePnm(pipeline: sharp.Sharp): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await pipeline.greyscale().raw().toBuffer({ resolveWithObject: true });
  const grey = info.channels === 1 ? data : await sharp(data, { raw: info }).extractChannel(0).raw().toBuffer();
  return { data: Buffer.concat([Buffer.from(`P5\n${info.width} ${info.height}\n255\n`), grey]), width: info.width, height: info.height };
}

/** Tesseract's block tree -> lines of confident words, in reading order, with boxes mapped by `toBox`. */
function linesOf(
  page: Page,
  minConfidence: number,
  toBox: (b: Bbox) => TextBox,
  isCut: (b: Bbox) => boolean = () => false,
): ReadLine[] {
  const lines: ReadLine[] = [];
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const words = line.words
          .filter((w) => w.confidence >= minConfidence && /[\p{L}\p{N}]/u.test(w.text))
          .map((w) => ({ text: w.text.trim(), confidence: w.confidence, box: toBox(w.bbox), ...(isCut(w.bbox) ? { cut: true } : {}) }));
        if (words.length === 0) continue;
        lines.push({ text: words.map((w) => w.text).join(' '), box: toBox(line.bbox), words });
      }
    }
  }
  return lines;
}

/**
 * The label at `point` among read lines: the nearest word within reach (horizontal distance counts half: labels are
 * wide, and a click often lands beside the text on a wide button), grown along its line while the words are close
 * together (a gap of about a line height or more starts another control). Words cut by the crop are not part of the
 * text, and make it `truncated`.
 */
export function labelAt(lines: readonly ReadLine[], point: Point): Omit<LabelText, 'ms'> | null {
  let best: { words: readonly ReadWord[]; index: number; distance: number } | null = null;
  for (const line of lines) {
    for (const [index, word] of line.words.entries()) {
      if (word.cut) continue;
      const dx = Math.max(word.box.x - point.x, 0, point.x - (word.box.x + word.box.width));
      const dy = Math.max(word.box.y - point.y, 0, point.y - (word.box.y + word.box.height));
      const distance = Math.max(dx / 2, dy);
      if (distance <= LABEL_REACH && (!best || distance < best.distance)) best = { words: line.words, index, distance };
    }
  }
  if (!best) return null;
  const { words, index } = best;
  const close = (a: ReadWord, b: ReadWord): boolean =>
    b.box.x - (a.box.x + a.box.width) <= LABEL_GAP * Math.max(a.box.height, b.box.height);
  let first = index;
  let last = index;
  while (first > 0 && close(words[first - 1]!, words[first]!)) first--;
  while (last < words.length - 1 && close(words[last]!, words[last + 1]!)) last++;
  const grown = words.slice(first, last + 1);
  const run = grown.filter((w) => !w.cut);
  const x = Math.min(...run.map((w) => w.box.x));
  const y = Math.min(...run.map((w) => w.box.y));
  const right = Math.max(...run.map((w) => w.box.x + w.box.width));
  const bottom = Math.max(...run.map((w) => w.box.y + w.box.height));
  const text = run.map((w) => w.text).join(' ');
  return {
    text: text.length > LABEL_MAX_CHARS ? `${text.slice(0, LABEL_MAX_CHARS - 1)}…` : text,
    box: { x, y, width: right - x, height: bottom - y },
    ...(run.length < grown.length ? { truncated: true } : {}),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
