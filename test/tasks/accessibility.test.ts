/**
 * check_accessibility_tree as OSWorld's metrics/general.py scores it, on trees shaped like the guest server's
 * (desktop_env/server/main.py: element names are AT-SPI roles, `name` a plain attribute, states and attributes in
 * the st:/attr: namespaces, the element's text its own), with the rules of the two published tasks that use it; and
 * the published Thunderbird task evaluated through the CLI against a guest whose tree changes.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreAccessibilityTree, UBUNTU_A11Y_NS } from '../../app/tasks/apps/accessibility';
import { startFakeGuest, type FakeGuest } from '../../testkit/fake-guest/server';
import { cli, taskPath, tempDir } from './helpers';

const NS = Object.entries(UBUNTU_A11Y_NS)
  .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
  .join(' ');

function tree(body: string, namespaces = NS): string {
  return `<desktop-frame ${namespaces}>${body}</desktop-frame>`;
}

/** Thunderbird's compose window with these addresses in To (and one in Cc, which must not count). */
function compose(to: string[], cc: string[] = []): string {
  const pill = (address: string) => `<section attr:class="address-pill" name="${address}"><label attr:class="pill-label" name="${address}">${address}</label></section>`;
  return tree(
    `<application name="Thunderbird"><frame name="Write: Reminder of Payment" st:active="true">` +
      `<tool-bar attr:id="MsgHeadersToolbar"><label name="From">From</label>` +
      `<panel><label name="To">To</label>${to.map(pill).join('')}</panel>` +
      `<panel><label name="Cc">Cc</label>${cc.map(pill).join('')}</panel>` +
      `</tool-bar></frame></application>`,
  );
}

async function publishedRules(domain: string, id: string): Promise<unknown> {
  const task = JSON.parse(await readFile(taskPath(domain, id), 'utf8')) as { evaluator: { expected: { rules: unknown } } };
  return task.evaluator.expected.rules;
}

const ADDRESSES = ['fox@someuniversity.edu', 'iron@someuniversity.edu', 'nancy@someuniversity.edu', 'stella@someuniversity.edu'];

describe('check_accessibility_tree (metrics/general.py)', () => {
  it('f5c13cdd: every address must be a pill after the To label; one missing, or only in Cc, scores 0', async () => {
    const rules = await publishedRules('multi_apps', 'f5c13cdd-205c-4719-a562-348ae5cd1d91');
    expect(scoreAccessibilityTree(compose(ADDRESSES), rules)).toBe(1);
    expect(scoreAccessibilityTree(compose(['extra@x.org', ...ADDRESSES]), rules)).toBe(1);
    expect(scoreAccessibilityTree(compose(ADDRESSES.slice(0, 3)), rules)).toBe(0);
    expect(scoreAccessibilityTree(compose(ADDRESSES.slice(0, 3), [ADDRESSES[3]!]), rules)).toBe(0);
    // `~`: the pill must come after the label, as a later sibling.
    const before = compose(ADDRESSES).replace('<label name="To">To</label>', '').replace('</panel>', '<label name="To">To</label></panel>');
    expect(scoreAccessibilityTree(before, rules)).toBe(0);
  });

  it('12086550: the About Profiles tab in Thunderbird\'s tab list; a tab of that name elsewhere does not count', async () => {
    const rules = await publishedRules('thunderbird', '12086550-11c0-466b-b367-1d9e75b3910e');
    const tabs = (names: string[], id = 'tabmail-tabs') =>
      tree(`<application name="Thunderbird"><frame><page-tab-list attr:id="${id}">${names.map((n) => `<page-tab name="${n}"/>`).join('')}</page-tab-list></frame></application>`);
    expect(scoreAccessibilityTree(tabs(['Inbox', 'About Profiles']), rules)).toBe(1);
    expect(scoreAccessibilityTree(tabs(['Inbox']), rules)).toBe(0);
    expect(scoreAccessibilityTree(tabs(['About Profiles'], 'other-tabs'), rules)).toBe(0);
    expect(scoreAccessibilityTree(tabs(['About Profiles']).replace('name="Thunderbird"', 'name="Chromium"'), rules)).toBe(0);
  });

  it('namespaces are matched by URI, as lxml does, whatever prefix the tree declares', () => {
    const rules = [{ selectors: ['[attr|id=main]'] }];
    const other = `xmlns:a="${UBUNTU_A11Y_NS.attr}"`;
    expect(scoreAccessibilityTree(tree('<panel a:id="main"/>', other), rules)).toBe(1);
    // The right local name in another namespace, or without one, is not the attribute.
    expect(scoreAccessibilityTree(tree(`<panel st:id="main"/>`), rules)).toBe(0);
    expect(scoreAccessibilityTree(tree('<panel id="main"/>'), rules)).toBe(0);
    // And a plain [id=...] does not match the namespaced attribute.
    expect(scoreAccessibilityTree(tree('<panel attr:id="main"/>'), [{ selectors: ['[id=main]'] }])).toBe(0);
    // Inside :not(), too.
    expect(scoreAccessibilityTree(tree('<panel attr:id="main"/><panel attr:id="side"/>'), [{ selectors: ['panel:not([attr|id=main])'] }])).toBe(1);
    expect(scoreAccessibilityTree(tree('<panel attr:id="main"/>'), [{ selectors: ['panel:not([attr|id=main])'] }])).toBe(0);
  });

  it('text rules: the element\'s own text (before its first child), exact by default, fuzz.ratio when not; scores multiply', () => {
    const doc = tree('<entry name="email">anonym@outlook.com<label>ignored</label> tail</entry><label name="subject">Hello world</label>');
    expect(scoreAccessibilityTree(doc, [{ selectors: ['entry[name=email]'], text: 'anonym@outlook.com' }])).toBe(1);
    expect(scoreAccessibilityTree(doc, [{ selectors: ['entry[name=email]'], text: 'anonym@outlook.com ignored tail' }])).toBe(0);
    // fuzz.ratio("Hello word", "Hello world") = 2 * 10 / 21 (indel distance 1).
    const fuzzy = { selectors: ['label[name=subject]'], text: 'Hello word', exact: false };
    expect(scoreAccessibilityTree(doc, [fuzzy])).toBeCloseTo(20 / 21, 12);
    expect(scoreAccessibilityTree(doc, [fuzzy, fuzzy])).toBeCloseTo((20 / 21) ** 2, 12);
    // The best of several selected elements.
    expect(scoreAccessibilityTree(doc, [{ selectors: ['label'], text: 'Hello world' }])).toBe(1);
    // An element with no text matches the empty string only.
    expect(scoreAccessibilityTree(tree('<entry name="e"/>'), [{ selectors: ['entry'], text: '' }])).toBe(1);
  });

  it('xpath takes priority over selectors; the root itself can be selected', () => {
    const doc = tree('<application name="Thunderbird"><entry attr:id="x"/></application>');
    expect(scoreAccessibilityTree(doc, [{ xpath: '//entry[@attr:id="x"]', selectors: ['nothing-here'] }])).toBe(1);
    expect(scoreAccessibilityTree(doc, [{ xpath: '//entry[@attr:id="y"]', selectors: ['entry'] }])).toBe(0);
    expect(scoreAccessibilityTree(doc, [{ selectors: ['desktop-frame > application'] }])).toBe(1);
    expect(scoreAccessibilityTree(doc, [{ selectors: ['desktop-frame'] }])).toBe(1);
  });

  it('whatever fails scores 0, as the reference\'s try/except: no tree, bad XML, an unknown prefix, an xpath that is a number, a rule with neither', () => {
    const doc = tree('<entry name="e">x</entry>');
    const explained: string[] = [];
    expect(scoreAccessibilityTree(null, [{ selectors: ['entry'] }], (w) => explained.push(w))).toBe(0);
    expect(scoreAccessibilityTree('<desktop-frame><entry></desktop-frame>', [{ selectors: ['entry'] }], (w) => explained.push(w))).toBe(0);
    expect(scoreAccessibilityTree(doc, [{ selectors: ['[foo|id=x]'] }], (w) => explained.push(w))).toBe(0);
    expect(scoreAccessibilityTree(doc, [{ xpath: 'count(//entry)' }], (w) => explained.push(w))).toBe(0);
    expect(scoreAccessibilityTree(doc, [{ text: 'x' }], (w) => explained.push(w))).toBe(0);
    expect(scoreAccessibilityTree(doc, [{ xpath: '//entry/@name', text: 'e' }], (w) => explained.push(w))).toBe(0);
    expect(explained).toEqual([
      'no accessibility tree',
      expect.stringContaining('not well-formed XML'),
      expect.stringContaining('unknown namespace prefix "foo"'),
      expect.stringContaining('does not select nodes'),
      'a rule needs xpath or selectors',
      'a text rule selected something that is not an element',
    ]);
    // No rules at all: nothing fails, 1 (as the reference's loop over an empty list).
    expect(scoreAccessibilityTree(doc, [])).toBe(1);
  });
});

describe('the published Thunderbird task on the osworld backend', { timeout: 120_000 }, () => {
  let guest: FakeGuest;
  beforeAll(async () => {
    guest = await startFakeGuest({ home: await tempDir('a11y-guest') });
  });
  afterAll(async () => {
    await guest?.close();
  });

  it('12086550: evaluate reads /accessibility; 0 while the tab is not open, 1 once it is; the local backend says why it cannot', async () => {
    const file = taskPath('thunderbird', '12086550-11c0-466b-b367-1d9e75b3910e');
    const env = ['--backend', 'osworld', '--server', guest.url, '--cache', await tempDir('a11y-cache')];
    const withTabs = (names: string[]) =>
      tree(`<application name="Thunderbird"><frame><page-tab-list attr:id="tabmail-tabs">${names.map((n) => `<page-tab name="${n}"/>`).join('')}</page-tab-list></frame></application>`);
    guest.accessibilityTree = withTabs(['Inbox']);
    const before = await cli(['tasks', 'evaluate', file, '--json', ...env]);
    expect(JSON.parse(before.stdout), before.stderr).toMatchObject({ score: 0 });
    expect(guest.requests).toContain('GET /accessibility');
    guest.accessibilityTree = withTabs(['Inbox', 'About Profiles']);
    const after = await cli(['tasks', 'evaluate', file, '--json', ...env]);
    expect(JSON.parse(after.stdout), after.stderr).toMatchObject({ score: 1 });

    const check = await cli(['tasks', 'check', file, '--backend', 'local']);
    expect(check.stdout).toContain('getter accessibility_tree on the local backend');
  });
});
