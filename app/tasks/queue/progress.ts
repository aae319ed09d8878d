/**
 * What the follower shows: a progress line (done / failed / running / waiting, the running success rate, the ETA)
 * and one line per running task (worker, task, step). On a terminal the block is redrawn in place and each finished
 * task is printed above it; elsewhere (a log file) a line per task start and end, and the progress line after each
 * end.
 */
import { formatDuration } from '../progress';
import type { FollowEvent, FollowState } from './follow';

export class FollowProgress {
  private state: FollowState | null = null;
  private drawn = 0;
  private scored = 0;
  private scoreSum = 0;
  private finished = 0;
  private started: number;
  private seenRunning = new Set<string>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  line(): string {
    const s = this.state;
    if (!s) return 'waiting for the queue...';
    const width = 24;
    const filled = Math.round((s.total ? s.done / s.total : 1) * width);
    const rate = this.scored ? `${((this.scoreSum / this.scored) * 100).toFixed(1)}% (${this.scoreSum.toFixed(this.scoreSum % 1 ? 2 : 0)}/${this.scored})` : '-';
    // From this follower's own pace: tasks it saw finish since it started.
    const eta = this.finished ? ((this.now() - this.started) / this.finished) * (s.total - s.done) : null;
    const missing = s.missing.length ? ` | ${s.missing.length} missing from the queue` : '';
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${s.done}/${s.total} done, ${s.failed} failed | ${s.running.length} running, ${s.waiting} waiting | success ${rate} | ETA ${eta === null ? '?' : formatDuration(eta)}${missing}`;
  }

  workerLines(): string[] {
    return (this.state?.running ?? []).map((r) => `  ${r.worker}  ${r.domain}/${r.id}  step ${r.step}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`);
  }

  private clear(): void {
    if (!this.tty || !this.drawn) return;
    // Up to the block's first line, then clear to the end of the screen.
    this.write(`\r${this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : ''}\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.tty) return;
    const lines = [this.line(), ...this.workerLines()];
    this.write(lines.join('\n'));
    this.drawn = lines.length;
  }

  handle(event: FollowEvent): void {
    this.clear();
    if (event.kind === 'start') {
      this.started = this.now();
      if (event.skipped) this.write(`resuming: ${event.skipped} task(s) already have result.txt\n`);
    } else if (event.kind === 'warning') {
      this.write(`deskpilot: ${event.message}\n`);
    } else if (event.kind === 'task-end') {
      const o = event.outcome;
      this.finished++;
      if (o.status === 'scored' && o.score !== null) {
        this.scored++;
        this.scoreSum += o.score;
      }
      if (this.state) {
        const running = this.state.running.filter((r) => r.domain !== o.domain || r.id !== o.id);
        // Not seen running: it went from waiting to finished between two looks at the queue.
        const waiting = running.length < this.state.running.length ? this.state.waiting : Math.max(0, this.state.waiting - 1);
        this.state = { ...this.state, done: this.state.done + 1, failed: this.state.failed + (o.status === 'error' ? 1 : 0), running, waiting };
      }
      this.write(`${o.domain}/${o.id}: ${o.status === 'scored' ? `score ${o.score}` : o.reason}${event.worker ? ` (${event.worker})` : ''}\n`);
      if (!this.tty && this.state) this.write(`${this.line()}\n`);
    } else {
      this.state = event.state;
      if (!this.tty) {
        for (const r of event.state.running) {
          // Attempt 0: taken, but its worker has not said who it is yet (next look).
          if (r.attempt === 0) continue;
          const key = `${r.domain}/${r.id}#${r.attempt}`;
          if (this.seenRunning.has(key)) continue;
          this.seenRunning.add(key);
          this.write(`${r.domain}/${r.id}: running on ${r.worker}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}\n`);
        }
      }
    }
    this.draw();
  }

  /** Leave the terminal on a fresh line. */
  end(): void {
    if (this.tty && this.drawn) this.write('\n');
    this.drawn = 0;
  }
}
