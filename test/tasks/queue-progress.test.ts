/**
 * What the follower of a queued run shows: the progress line (done / failed / running / waiting, success rate, ETA)
 * and a line per running task with its worker and step, redrawn in place on a terminal, a line per event in a log.
 */
import { describe, expect, it } from 'vitest';
import type { FollowState } from '../../app/tasks/queue/follow';
import { FollowProgress } from '../../app/tasks/queue/progress';

const state = (over: Partial<FollowState>): FollowState => ({ total: 4, done: 0, failed: 0, running: [], waiting: 4, missing: [], ...over });
const outcome = (id: string, status: 'scored' | 'error', score: number | null) => ({ domain: 'os', id, dir: `/r/os/${id}`, status, score, reason: status === 'error' ? 'agent: server gone' : 'ok' });

describe('the queued run progress', () => {
  it('counts, success rate and ETA from the tasks seen finishing; per-worker lines with the step', () => {
    let now = 0;
    const written: string[] = [];
    const progress = new FollowProgress((t) => written.push(t), true, () => now);
    progress.handle({ kind: 'start', total: 4, skipped: 0 });
    progress.handle({ kind: 'state', state: state({ running: [{ domain: 'os', id: 'a', worker: 'gpu-1', attempt: 1, step: 3 }, { domain: 'os', id: 'b', worker: 'gpu-2', attempt: 2, step: 1 }], waiting: 2 }) });
    expect(progress.workerLines()).toEqual(['  gpu-1  os/a  step 3', '  gpu-2  os/b  step 1 (attempt 2)']);
    now = 60_000;
    progress.handle({ kind: 'task-end', outcome: outcome('a', 'scored', 1), worker: 'gpu-1' });
    now = 120_000;
    progress.handle({ kind: 'task-end', outcome: outcome('b', 'error', null), worker: 'gpu-2' });
    // Two finished in 2 minutes, two to go: about 2 minutes left. The error does not count as a 0.
    expect(progress.line()).toContain('2/4 done, 1 failed | 0 running, 2 waiting | success 100.0% (1/1) | ETA 2m00s');
    expect(written.join('')).toContain('os/b: agent: server gone (gpu-2)\n');
    // Redrawn in place: the cursor goes back up over the block before each redraw.
    expect(written.some((t) => t.includes('\x1b[J'))).toBe(true);
  });

  it('in a log: a line when a task starts running and when it ends, no cursor movement', () => {
    const written: string[] = [];
    const progress = new FollowProgress((t) => written.push(t), false, () => 0);
    progress.handle({ kind: 'start', total: 1, skipped: 2 });
    const running = state({ total: 1, waiting: 0, running: [{ domain: 'os', id: 'a', worker: 'w1', attempt: 1, step: 0 }] });
    progress.handle({ kind: 'state', state: running });
    progress.handle({ kind: 'state', state: running });
    progress.handle({ kind: 'task-end', outcome: outcome('a', 'scored', 0), worker: 'w1' });
    const text = written.join('');
    expect(text).toContain('resuming: 2 task(s) already have result.txt\n');
    expect(text.match(/os\/a: running on w1/g)).toHaveLength(1);
    expect(text).toContain('os/a: score 0 (w1)\n');
    expect(text).not.toContain('\x1b[');
  });
});
