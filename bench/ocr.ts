/**
 * Screen text (app/screen/ocr.ts) on 1920x1080: what reading costs, and what it adds to an agent step.
 * - starting the engine (cold, then from the pool as the next run gets it);
 * - a whole-page read of the benchmark's desktop picture (bench/scene.ts: a window full of text, the slow case) and
 *   label reads at points on it; wall time and this process's CPU time (tesseract's worker threads included);
 * - the agent loop on the fixture desktop with OCR off and on (bench/agent-loop.ts), per step: how long the
 *   proposals waited for the screen text, and the time from one model reply to the next request. Once with a
 *   stand-in model that answers at once (nothing to overlap the read with: the worst case) and once with one that
 *   thinks for THINK_MS, as a real model does (the read runs meanwhile).
 */
import type { Frame } from '../app/screen/capture';
import { ScreenReader } from '../app/screen/ocr';
import { measureAgentLoop, type LoopFigures } from './agent-loop';

const THINK_MS = 2000;

interface Stat {
  median: number;
  p95: number;
  n: number;
}

function stat(samples: number[]): Stat {
  const s = [...samples].sort((a, b) => a - b);
  const rank = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
  return { median: rank(0.5), p95: rank(0.95), n: s.length };
}

export interface OcrBench {
  openColdMs: number;
  openPooledMs: number;
  page: Stat;
  pageCpu: Stat;
  pageLines: number;
  label: Stat;
  loop: Array<{ mode: string; ocrWait: Stat; between: Stat }>;
}

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** `frame`: a 1920x1080 capture of the benchmark scene. */
export async function benchOcr(frame: Frame, rounds: number, steps: number): Promise<OcrBench> {
  let t0 = performance.now();
  const reader = await ScreenReader.open();
  const openColdMs = performance.now() - t0;
  const page: number[] = [];
  const pageCpu: number[] = [];
  const label: number[] = [];
  let pageLines = 0;
  // Points on the scene: icon labels down the left, words in the text window, the top bar.
  const points = [
    { x: 60, y: 168 },
    { x: 500, y: 250 },
    { x: 900, y: 600 },
    { x: 100, y: 16 },
  ];
  try {
    for (let i = 0; i < rounds + 1; i++) {
      const c0 = cpu();
      t0 = performance.now();
      const text = await reader.readPage(frame);
      if (i > 0) {
        page.push(performance.now() - t0);
        pageCpu.push(cpu() - c0);
      }
      pageLines = text.lines.length;
      for (const point of points) {
        t0 = performance.now();
        await reader.readLabel(frame, point);
        if (i > 0) label.push(performance.now() - t0);
      }
    }
  } finally {
    await reader.close();
  }
  t0 = performance.now();
  const pooled = await ScreenReader.open();
  const openPooledMs = performance.now() - t0;
  await pooled.close();

  const loop: OcrBench['loop'] = [];
  const row = (mode: string, f: LoopFigures) =>
    loop.push({ mode, ocrWait: stat(f.ocrMs.length > 0 ? f.ocrMs : [0]), between: stat(f.betweenMs) });
  row('ocr off, model answers at once', await measureAgentLoop(steps, false, { ocr: false }));
  row('ocr on, model answers at once', await measureAgentLoop(steps, false, { ocr: true }));
  row(`ocr off, model thinks ${THINK_MS} ms`, await measureAgentLoop(steps, false, { ocr: false, thinkMs: THINK_MS }));
  row(`ocr on, model thinks ${THINK_MS} ms`, await measureAgentLoop(steps, false, { ocr: true, thinkMs: THINK_MS }));
  return { openColdMs, openPooledMs, page: stat(page), pageCpu: stat(pageCpu), pageLines, label: stat(label), loop };
}

export function ocrReport(r: OcrBench): string {
  const f = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(1) : '-');
  const off = (mode: string) => r.loop.find((l) => l.mode === mode.replace('ocr on', 'ocr off'));
  return [
    `Screen text (app/screen/ocr.ts, tesseract.js) on 1920x1080 (ms)`,
    `| what | median | p95 | n |`,
    `| --- | --- | --- | --- |`,
    `| start the engine (cold) | ${f(r.openColdMs)} | | 1 |`,
    `| start the engine (from the pool, next run) | ${f(r.openPooledMs)} | | 1 |`,
    `| read the whole page (text-dense scene, ${r.pageLines} lines) | ${f(r.page.median)} | ${f(r.page.p95)} | ${r.page.n} |`,
    `|   CPU time of that read (all threads) | ${f(r.pageCpu.median)} | ${f(r.pageCpu.p95)} | ${r.pageCpu.n} |`,
    `| read the label at a point | ${f(r.label.median)} | ${f(r.label.p95)} | ${r.label.n} |`,
    '',
    `Added time per agent step (fixture desktop, settle off; the proposals' wait for the screen text, and reply -> next request)`,
    `| mode | ocr wait median | ocr wait p95 | reply -> next request median | added vs ocr off |`,
    `| --- | --- | --- | --- | --- |`,
    ...r.loop.map((l) => {
      const base = l.mode.startsWith('ocr on') ? off(l.mode) : undefined;
      const added = base ? f(l.between.median - base.between.median) : '';
      return `| ${l.mode} | ${f(l.ocrWait.median)} | ${f(l.ocrWait.p95)} | ${f(l.between.median)} | ${added} |`;
    }),
  ].join('\n');
}
