/**
 * What the loop writes its run record through. Defined here, by the loop that uses it; app/runs/recorder.ts
 * implements it on disk (the loop never imports runs/).
 */
import type { RunEvent } from '../contract';

export interface Recorder {
  readonly dir: string;
  /** Append one event (synchronously; throws if the record cannot be written or is closed). */
  record(event: RunEvent): void;
  /** Store the image sent to the model at `step`; returns its file name inside `dir`. */
  saveImage(step: number, data: Buffer, mime: string): string;
  /**
   * The file inside `dir` holding the image of a `data:<mime>;base64,...` URL sent to the model: the step image with
   * the same bytes, or a new file (written once, however many requests carry it). Throws like saveImage.
   */
  imageFile(dataUrl: string): string;
  /** Flush, write run.json, close the events file. Safe to call more than once. */
  close(): Promise<void>;
}
