import { describe, expect, it } from 'vitest';
import type { Decision, Proposal, Risk } from '../../app/contract';
import type { ComputerAction } from '../../app/base/actions';
import { ApprovalPolicy, actionKey, summarizeAction, type Approver } from '../../app/policy/approval';
import { classifyRisk } from '../../app/policy/risk';

const SAFE: Risk = { level: 'safe', reasons: [] };
const RISKY: Risk = { level: 'risky', reasons: ['ctrl+w closes the current tab or window.'] };
const BLOCKED: Risk = { level: 'blocked', reasons: ['Blocked by a deny rule: never close windows'] };

function proposal(action: Proposal['action'], risk: Risk = SAFE, id = '1.0', tool = 'computer_use'): Proposal {
  return { id, step: 1, index: 0, callId: 'c1', tool, action, summary: 'x', risk };
}

/** A person who answers from a script and remembers what they were shown and told. */
class ScriptedPerson implements Approver {
  asked: Proposal[] = [];
  told: string[] = [];
  constructor(private readonly answers: Array<Decision | (() => Promise<Decision>)>) {}
  decide(p: Proposal): Promise<Decision> {
    this.asked.push(p);
    const next = this.answers.shift();
    if (!next) throw new Error('the script ran out of answers');
    return typeof next === 'function' ? next() : Promise.resolve(next);
  }
  refused(_p: Proposal, message: string): void {
    this.told.push(message);
  }
}

const signal = () => new AbortController().signal;
const click = { action: 'left_click', coordinate: [500, 300] };
const closeTab = { action: 'key', keys: ['ctrl', 'w'] };

describe('approval modes', () => {
  it('ask: every action goes to the person', async () => {
    const person = new ScriptedPerson([{ kind: 'approve' }, { kind: 'deny', note: 'not that tab' }]);
    const policy = new ApprovalPolicy('ask', person);
    expect(await policy.decide(proposal(click), signal())).toEqual({ decision: { kind: 'approve' }, by: 'person' });
    expect(await policy.decide(proposal(closeTab, RISKY), signal())).toEqual({
      decision: { kind: 'deny', note: 'not that tab' },
      by: 'person',
    });
    expect(person.asked).toHaveLength(2);
  });

  it('risky: safe actions pass, risky ones are asked', async () => {
    const person = new ScriptedPerson([{ kind: 'approve' }]);
    const policy = new ApprovalPolicy('risky', person);
    expect(await policy.decide(proposal(click), signal())).toEqual({ decision: { kind: 'approve' }, by: 'policy' });
    expect((await policy.decide(proposal(closeTab, RISKY), signal())).by).toBe('person');
    expect(person.asked.map((p) => p.action)).toEqual([closeTab]);
  });

  it('auto: asks nothing', async () => {
    const person = new ScriptedPerson([]);
    const policy = new ApprovalPolicy('auto', person);
    expect(await policy.decide(proposal(closeTab, RISKY), signal())).toEqual({ decision: { kind: 'approve' }, by: 'policy' });
    expect(person.asked).toHaveLength(0);
  });

  it.each(['ask', 'risky', 'auto'] as const)('%s: a blocked action is denied with the rule reason, never shown', async (mode) => {
    const person = new ScriptedPerson([]);
    const policy = new ApprovalPolicy(mode, person);
    expect(await policy.decide(proposal(closeTab, BLOCKED), signal())).toEqual({
      decision: { kind: 'deny', note: 'Blocked by a deny rule: never close windows' },
      by: 'rule',
    });
    expect(person.asked).toHaveLength(0);
  });

  it('without anyone to ask, actions that need a person are denied with a note saying so', async () => {
    const policy = new ApprovalPolicy('risky', null);
    const result = await policy.decide(proposal(closeTab, RISKY), signal());
    expect(result.by).toBe('policy');
    expect(result.decision).toMatchObject({ kind: 'deny', note: expect.stringMatching(/needs a person's approval/) });
    expect(await policy.decide(proposal(click), signal())).toEqual({ decision: { kind: 'approve' }, by: 'policy' });
  });
});

describe('approve all identical actions', () => {
  it('approves the same action again without asking, but not a different one', async () => {
    const person = new ScriptedPerson([{ kind: 'approve-all' }, { kind: 'deny', note: '' }]);
    const policy = new ApprovalPolicy('ask', person);
    expect(await policy.decide(proposal(closeTab, RISKY), signal())).toEqual({ decision: { kind: 'approve-all' }, by: 'person' });
    // Same combo, spelled differently, with keys in another order in the object.
    const again = { keys: ['Control+W'], action: 'key' };
    expect(await policy.decide(proposal(again, RISKY, '2.0'), signal())).toEqual({ decision: { kind: 'approve' }, by: 'approve-all' });
    expect((await policy.decide(proposal({ action: 'key', keys: ['ctrl', 'q'] }, RISKY, '3.0'), signal())).by).toBe('person');
    expect(person.asked).toHaveLength(2);
  });

  it('never lets a blocked action through, and forgets on reset()', async () => {
    const person = new ScriptedPerson([{ kind: 'approve-all' }, { kind: 'approve' }]);
    const policy = new ApprovalPolicy('ask', person);
    await policy.decide(proposal(closeTab, RISKY), signal());
    expect((await policy.decide(proposal(closeTab, BLOCKED), signal())).by).toBe('rule');
    policy.reset();
    expect((await policy.decide(proposal(closeTab, RISKY), signal())).by).toBe('person');
  });

  it('actionKey ignores key order and combo spelling, not the arguments', () => {
    expect(actionKey({ action: 'left_click', coordinate: [1, 2] })).toBe(actionKey({ coordinate: [1, 2], action: 'left_click' }));
    expect(actionKey({ action: 'left_click', coordinate: [1, 2] })).not.toBe(actionKey({ action: 'left_click', coordinate: [1, 3] }));
    expect(actionKey({ action: 'key', keys: ['shift', 'ctrl', 't'] })).toBe(actionKey({ action: 'key', keys: ['ctrl+shift+T'] }));
    expect(actionKey({ action: 'type', text: 'a' })).not.toBe(actionKey({ action: 'type', text: 'A' }));
  });
});

describe('edits', () => {
  it('a valid edit is validated again, re-classified and returned', async () => {
    const person = new ScriptedPerson([{ kind: 'edit', action: { action: 'left_click', coordinate: [510, 320] } }]);
    const policy = new ApprovalPolicy('ask', person, { space: { kind: 'grid', size: 1000 } });
    const result = await policy.decide(proposal(click), signal(), { instruction: 'x' });
    expect(result.decision).toEqual({ kind: 'edit', action: { action: 'left_click', coordinate: [510, 320] } });
    expect(result.by).toBe('person');
    expect(result.edited).toEqual({
      action: { action: 'left_click', coordinate: [510, 320] },
      risk: SAFE,
      summary: 'Click at model point (510, 320)',
    });
  });

  it('an edit that turns risky carries the new risk', async () => {
    const person = new ScriptedPerson([{ kind: 'edit', action: { action: 'type', text: 'sudo reboot' } }]);
    const result = await new ApprovalPolicy('ask', person).decide(proposal({ action: 'type', text: 'hi' }), signal());
    expect(result.edited?.risk.level).toBe('risky');
  });

  it('an invalid edit is refused with a clear message and the person is asked again', async () => {
    const person = new ScriptedPerson([
      { kind: 'edit', action: { action: 'left_click', coordinate: ['left', 5] } },
      { kind: 'edit', action: { action: 'fly' } },
      { kind: 'edit', action: { action: 'left_click', coordinate: [1200, 5] } },
      { kind: 'approve' },
    ]);
    const policy = new ApprovalPolicy('ask', person, { space: { kind: 'grid', size: 1000 } });
    expect(await policy.decide(proposal(click), signal())).toEqual({ decision: { kind: 'approve' }, by: 'person' });
    expect(person.asked).toHaveLength(4);
    expect(person.told).toHaveLength(3);
    expect(person.told[0]).toMatch(/not a valid computer_use action at "coordinate.0"/);
    expect(person.told[1]).toMatch(/not a valid computer_use action/);
    expect(person.told[2]).toMatch(/\(1200, 5\) is outside the model's 0\.\.1000 grid/);
  });

  it('a mobile proposal is edited against the mobile schema', async () => {
    const person = new ScriptedPerson([
      { kind: 'edit', action: { action: 'left_click', coordinate: [1, 1] } },
      { kind: 'edit', action: { action: 'click', coordinate: [1, 1] } },
    ]);
    const result = await new ApprovalPolicy('ask', person).decide(proposal({ action: 'click', coordinate: [2, 2] }, SAFE, '1.0', 'mobile_use'), signal());
    expect(person.told[0]).toMatch(/not a valid mobile_use action/);
    expect(result.decision).toEqual({ kind: 'edit', action: { action: 'click', coordinate: [1, 1] } });
  });

  it('an edit into a blocked action is refused', async () => {
    const person = new ScriptedPerson([{ kind: 'edit', action: { action: 'key', keys: ['alt', 'f4'] } }, { kind: 'stop' }]);
    const policy = new ApprovalPolicy('ask', person, { denyRules: [{ match: 'keys', pattern: 'alt+f4', reason: 'no closing' }] });
    expect(await policy.decide(proposal(click), signal())).toEqual({ decision: { kind: 'stop' }, by: 'person' });
    expect(person.told[0]).toMatch(/blocked: Blocked by a deny rule: no closing/);
  });

  it('absolute coordinates (qwen2.5-vl): an edited point outside the screenshot is refused and the person asked again', async () => {
    const person = new ScriptedPerson([
      { kind: 'edit', action: { action: 'left_click', coordinate: [1400, 300] } },
      { kind: 'edit', action: { action: 'left_click_drag', coordinate: [100, 900] } },
      { kind: 'edit', action: { action: 'left_click', coordinate: [1280, 720] } },
    ]);
    const policy = new ApprovalPolicy('ask', person, { space: { kind: 'absolute' } });
    const result = await policy.decide(proposal(click), signal(), { instruction: 'x', imageSize: { width: 1280, height: 720 } });
    expect(person.told).toEqual([
      'The edited coordinate (1400, 300) is outside the 1280x720 screenshot the model saw (absolute pixel coordinates). Nothing was performed.',
      'The edited coordinate (100, 900) is outside the 1280x720 screenshot the model saw (absolute pixel coordinates). Nothing was performed.',
    ]);
    // The far edge is inside (inclusive, as on grids).
    expect(result.decision).toEqual({ kind: 'edit', action: { action: 'left_click', coordinate: [1280, 720] } });
  });

  it('an edit is checked against the built-in deny rules unless the run removed them', async () => {
    const wipe = { action: 'type', text: "r''m -rf ~" };
    const person = new ScriptedPerson([{ kind: 'edit', action: wipe }, { kind: 'stop' }]);
    await new ApprovalPolicy('ask', person).decide(proposal(click), signal());
    expect(person.told[0]).toMatch(/blocked: Blocked by a deny rule: deletes your home folder .*rm-home-or-root/);

    const allowed = new ScriptedPerson([{ kind: 'edit', action: wipe }]);
    const result = await new ApprovalPolicy('ask', allowed, { denyRules: [] }).decide(proposal(click), signal());
    expect(result.edited?.risk.level).toBe('risky');
  });

  it('invalid deny rules fail when the policy is made', () => {
    expect(() => new ApprovalPolicy('ask', null, { denyRules: [{ match: 'text', pattern: '(', reason: 'r' }] })).toThrow(/deny rule 1/);
  });
});

describe('stopping', () => {
  it('an abort while the person is deciding ends in stop', async () => {
    const controller = new AbortController();
    const person = new ScriptedPerson([() => new Promise<Decision>(() => undefined)]);
    const pending = new ApprovalPolicy('ask', person).decide(proposal(click), controller.signal);
    controller.abort();
    expect(await pending).toEqual({ decision: { kind: 'stop' }, by: 'policy' });
  });
});

describe('summaries a person reads', () => {
  it.each([
    [{ action: 'left_click', coordinate: [500, 300] }, { x: 412, y: 88 }, 'Click at (412, 88)'],
    [{ action: 'double_click', coordinate: [500, 300] }, undefined, 'Double-click at model point (500, 300)'],
    [{ action: 'type', text: 'hello' }, undefined, 'Type “hello” (5 chars)'],
    [{ action: 'type', text: 'line1\nline2' }, undefined, 'Type “line1⏎line2” (11 chars)'],
    [{ action: 'key', keys: ['Control_L', 'W'] }, undefined, 'Press ctrl+w'],
    [{ action: 'scroll', pixels: -3, coordinate: [1, 1] }, { x: 5, y: 6 }, 'Scroll down 3 at (5, 6)'],
    [{ action: 'hscroll', pixels: 2 }, undefined, 'Scroll right 2'],
    [{ action: 'wait', time: 2 }, undefined, 'Wait 2 s'],
    [{ action: 'terminate', status: 'success' }, undefined, 'Finish the task: success'],
    [{ action: 'swipe', coordinate: [1, 2], coordinate2: [3, 4] }, undefined, 'Swipe from model point (1, 2) to model point (3, 4)'],
    [{ action: 'system_button', button: 'Home' }, undefined, 'Press the Home button'],
  ] as const)('%j', (action, screen, expected) => {
    expect(summarizeAction(action as never, screen)).toBe(expected);
  });

  it('long text is cut and the character count is real', () => {
    const summary = summarizeAction({ action: 'type', text: '🙂'.repeat(100) });
    expect(summary).toBe(`Type “${'🙂'.repeat(60)}…” (100 chars)`);
  });
});

describe('classifier and policy together', () => {
  it('risky mode asks before alt+F4 with the reason, and never before a plain click', async () => {
    const person = new ScriptedPerson([{ kind: 'deny', note: 'keep it open' }]);
    const policy = new ApprovalPolicy('risky', person);
    const ctx = { instruction: 'check the weather' };
    const close: ComputerAction = { action: 'key', keys: ['alt', 'F4'] };
    const closeProposal = proposal(close, classifyRisk(close, ctx, []));
    expect((await policy.decide(closeProposal, signal())).decision).toEqual({ kind: 'deny', note: 'keep it open' });
    expect(person.asked[0]?.risk.reasons[0]).toMatch(/alt\+f4 closes the focused window/);
    const plainClick: ComputerAction = { action: 'left_click', coordinate: [1, 1] };
    expect((await policy.decide(proposal(plainClick, classifyRisk(plainClick, ctx, [])), signal())).by).toBe('policy');
  });
});
