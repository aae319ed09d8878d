/**
 * Reading the screen for the loop (settings.ocr): each step's screenshot is read by OCR in worker threads
 * (app/screen/ocr.ts) while the model thinks; a proposal then learns the label at its point and whether text
 * addressed to the agent is still in the model's view (app/policy/screen-risk.ts). Every wait is bounded by
 * `ocr.waitMs` (then the action goes ahead without it, and the record says so), and a stop ends it at once.
 */
import type { AnyAction } from '../base/actions';
import { errorMessage } from '../base/errors';
import type { OcrSettings, RunEventInit } from '../contract';
import type { Frame } from '../devices/device';
import { findInjection, InjectionWatch, needsPersonAfterInjection, type InjectionSighting } from '../policy/screen-risk';
import type { Point } from '../screen/geometry';
import { OcrUnavailable, ScreenReader, type LabelText, type PageText } from '../screen/ocr';
import { TIMED_OUT, type RunControl } from './run-control';

/** What the screen text says about one proposal: the label at its point, and a sighting the model can still see. */
export interface ScreenSeen {
  label: LabelText | null;
  sighting: InjectionSighting | null;
}

export const NOTHING_SEEN: ScreenSeen = { label: null, sighting: null };

export class ScreenReading {
  /** The reader (null when it could not start), and why it could not. */
  private reader: Promise<ScreenReader | null> | null = null;
  private readerReady: ScreenReader | null = null;
  private readerError = '';
  private closed = false;
  /** The current step's screenshot and its page read (awaited once per step). */
  private reading: { step: number; frame: Frame; page: Promise<PageText | null>; waited: PageText | null | undefined } | null =
    null;
  private readonly injections: InjectionWatch;

  /** `visibleFor`: how many requests a screenshot stays in the model's view (the history's image window). */
  constructor(
    private readonly ocr: OcrSettings,
    visibleFor: number,
    private readonly control: RunControl,
  ) {
    this.injections = new InjectionWatch(visibleFor);
  }

  /** Start the OCR threads (when reading is on): ready while the first screenshot is taken and the model thinks. */
  open(): void {
    if (!this.ocr.enabled) return;
    this.reader = ScreenReader.open().then(
      (reader) => (this.readerReady = reader),
      (error: unknown) => {
        this.readerError = errorMessage(error);
        return null;
      },
    );
  }

  /** Start reading the step's screenshot (in the reader's worker thread: the loop goes on to ask the model). */
  startReading(step: number, frame: Frame): void {
    if (!this.reader) return;
    const started = performance.now();
    const page = this.reader
      .then((reader) => {
        if (!reader) throw new OcrUnavailable(this.readerError);
        return reader.readPage(frame);
      })
      .then(
        (text) => {
          const injection = findInjection(text.text);
          if (injection) this.injections.record({ step, text: injection });
          this.emit({
            step,
            status: 'read',
            ms: performance.now() - started,
            lines: text.lines.length,
            ...(injection ? { injection } : {}),
          });
          return text;
        },
        (error: unknown) => {
          this.emit({ step, status: 'unavailable', error: errorMessage(error) });
          return null;
        },
      );
    this.reading = { step, frame, page, waited: undefined };
  }

  /**
   * What the screen text says about one action: the label at its point (read now, from a crop: tens of ms) and
   * a sighting of text addressed to the agent (the step's page read, awaited once per step). Each waits at most
   * `ocr.waitMs`; Stop ends the wait at once. `toScreen` maps a model point to the global screen point.
   */
  async seen(
    step: number,
    action: AnyAction,
    frame: Frame,
    toScreen: (coordinate: readonly [number, number]) => Point,
  ): Promise<ScreenSeen> {
    const reading = this.reading;
    if (!this.reader || !reading || reading.step !== step) return NOTHING_SEEN;
    const { waitMs } = this.ocr;
    // Scrolls are summarised and judged without a label; every other action with a point gets one.
    const point =
      'coordinate' in action && action.coordinate && action.action !== 'scroll' && action.action !== 'hscroll'
        ? toScreen(action.coordinate)
        : null;
    const label = point
      ? this.reader.then((reader) => reader?.readLabel(frame, point) ?? null).catch(() => null)
      : Promise.resolve(null);
    const [page, labelText] = await Promise.all([
      reading.waited !== undefined ? reading.waited : this.control.within(reading.page, waitMs),
      this.control.within(label, waitMs),
    ]);
    if (reading.waited === undefined) {
      reading.waited = page === TIMED_OUT ? null : page;
      if (page === TIMED_OUT) {
        this.emit({
          step,
          status: 'unavailable',
          error: `the screen text was not read within ${waitMs} ms; the step's actions went ahead without it`,
        });
      }
    }
    return {
      label: labelText === TIMED_OUT ? null : labelText,
      sighting: needsPersonAfterInjection(action) ? this.injections.activeAt(step) : null,
    };
  }

  private emit(event: Omit<Extract<RunEventInit, { type: 'screen-text' }>, 'type'>): void {
    // A read that ends after the run does not write into a closed record.
    if (!this.closed) this.control.emit({ type: 'screen-text', ...event });
  }

  /** Stop the OCR threads; a reader still starting is closed once it is up (a stopped run does not wait for it). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.readerReady) await this.readerReady.close();
    else void this.reader?.then((reader) => reader?.close());
  }
}
