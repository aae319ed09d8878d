/**
 * compare_csv, compare_conference_city_in_order, content_from_vm_file, the PDF metrics (on PDFs LibreOffice
 * exports), rapidfuzz's ratio, and what the evaluation records when an office file is missing.
 */
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DownloadCache } from '../../../app/tasks/cache';
import type { Environment } from '../../../app/tasks/environment';
import { evaluateTask } from '../../../app/tasks/evaluate';
import { GETTERS } from '../../../app/tasks/getters';
import { checkPdfPages, comparePdfs } from '../../../app/tasks/office/pdf';
import { fuzzRatio100, pyFloatRepr, pySplitlines, pyStrip } from '../../../app/tasks/office/pystr';
import { compareConferenceCityInOrder, compareCsv, ScoreZero } from '../../../app/tasks/office/table';
import { fuzzRatio } from '../../../app/tasks/pyvalues';
import type { Task } from '../../../app/tasks/schema';
import { tempDir } from '../helpers';
import { convertWithLibreOffice, esc, xlsx } from './build';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('files');
});

describe('compare_csv', () => {
  it('line by line; strict off strips lines, ignore_case folds case; any of a list of gold files', () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    const c = path.join(dir, 'c.csv');
    writeFileSync(a, 'Name,Total\r\nAlice,3\r\n');
    writeFileSync(b, 'name,total \nalice,3\n');
    writeFileSync(c, 'Name,Total\nAlice,3');
    expect(compareCsv(a, c, {})).toBe(1);
    expect(compareCsv(a, b, {})).toBe(0);
    expect(compareCsv(a, b, { strict: false, ignore_case: true })).toBe(1);
    expect(compareCsv(a, [b, c], {})).toBe(1);
    expect(compareCsv(a, [path.join(dir, 'none.csv'), c], {})).toBe(1);
    expect(() => compareCsv(path.join(dir, 'none.csv'), c, {})).toThrow(ScoreZero);
    expect(() => compareCsv(a, c, { strip: true })).toThrow(/compare_csv option strip/);
  });
});

describe('compare_conference_city_in_order', () => {
  it('C2:C22 of the active sheet contain the expected cities in order (accents, case and punctuation ignored)', () => {
    const cities = ['Zürich', 'New York, NY', 'São Paulo'];
    const cells: Record<string, string> = { C1: 'City' };
    cities.forEach((c, i) => (cells[`C${i + 2}`] = c));
    const book = xlsx(path.join(dir, 'cities.xlsx'), { sheets: [{ name: 'Sheet1', cells }] });
    const expected = ['zurich', ['new york', 'nyc'], 'sao paulo', ...new Array(18).fill('')];
    // empty expected entries never match: the reference requires a non-empty normalised candidate
    expect(() => compareConferenceCityInOrder(book, { expected })).not.toThrow();
    expect(compareConferenceCityInOrder(book, { expected })).toBe(0);
    const full: Record<string, string> = { C1: 'City', ...Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`C${i + 2}`, `City ${i}`])) };
    full.C2 = 'Zürich';
    const fullBook = xlsx(path.join(dir, 'cities21.xlsx'), { sheets: [{ name: 'Sheet1', cells: full }] });
    const want = ['zurich', ...Array.from({ length: 20 }, (_, i) => `city ${i + 1}`)];
    expect(compareConferenceCityInOrder(fullBook, { expected: want })).toBe(1);
    expect(compareConferenceCityInOrder(fullBook, { expected: ['geneva', ...want.slice(1)] })).toBe(0);
    expect(() => compareConferenceCityInOrder(fullBook, { expected: want.slice(0, 5) })).toThrow(/list index out of range/);
  });
});

describe('content_from_vm_file', () => {
  it('the last row of the first sheet, as pandas prints each value', async () => {
    const root = await tempDir('content-env');
    await mkdir(path.join(root, 'home/user'), { recursive: true });
    const dates = { numFmts: '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>', xfs: ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>', '<xf numFmtId="164" fontId="0" fillId="0" borderId="0"/>'] };
    xlsx(path.join(root, 'home/user/log.xlsx'), { sheets: [{ name: 'Sheet1', cells: { A1: 'date', B1: 'n', C1: 'x', D1: 'note', A2: { v: 45292, s: 1 }, B2: 3, C2: 1.5, D2: 'ok', A3: { v: 45293, s: 1 }, B3: 4, C3: 2 } }], ...dates });
    const env = { kind: 'local', readFile: async (p: string) => (await import('node:fs/promises')).readFile(path.join(root, p)).catch(() => null) } as unknown as Environment;
    const ctx = { env, cache: new DownloadCache(await tempDir('content-cache')), workDir: await tempDir('content-work') };
    const row = await GETTERS.content_from_vm_file!(ctx, { type: 'content_from_vm_file', path: '/home/user/log.xlsx', file_type: 'xlsx', file_content: 'last_row' });
    expect(row).toEqual(['2024-01-02 00:00:00', '4', '2.0', 'nan']);
  });
});

describe('PDF metrics', () => {
  it('compare_pdfs: rapidfuzz ratio of the extracted text; check_pdf_pages: the page count against a relation', async () => {
    const write = (name: string, lines: string[]) => {
      const f = path.join(dir, `${name}.fodt`);
      writeFileSync(
        f,
        `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>${lines.map((l) => (l === '<break>' ? '<text:p text:style-name="Break"/>' : `<text:p>${esc(l)}</text:p>`)).join('')}</office:text></office:body></office:document>`,
      );
      return f;
    };
    const [a, b, c] = convertWithLibreOffice([write('pa', ['Quarterly report', 'Revenue grew by ten percent']), write('pb', ['Quarterly report', 'Revenue grew by ten percent']), write('pc', ['Quarterly summary', 'Costs fell'])], 'pdf', path.join(dir, 'pdf'));
    expect(await comparePdfs(a, b)).toBe(1);
    const partial = await comparePdfs(a, c);
    expect(partial).toBeGreaterThan(0.2);
    expect(partial).toBeLessThan(0.8);
    expect(partial).toBeCloseTo(fuzzRatio100('Quarterly report\nRevenue grew by ten percent', 'Quarterly summary\nCosts fell') / 100, 6);
    expect(await comparePdfs([a, a], [b, c])).toBeCloseTo((1 + partial) / 2, 12);
    expect(await checkPdfPages(a, { relation: 'eq', ref_value: 1 })).toBe(1);
    expect(await checkPdfPages(a, { relation: 'gt', ref_value: 1 })).toBe(0);
    await expect(checkPdfPages(path.join(dir, 'none.pdf'), { relation: 'eq', ref_value: 1 })).rejects.toThrow(/cannot read the PDF/);
  });
});

describe('Python string behaviour', () => {
  it('fuzz.ratio matches rapidfuzz on known values and the quadratic reference on random strings', () => {
    expect(fuzzRatio100('this is a test', 'this is a test!')).toBeCloseTo(96.55172413793103, 10);
    expect(fuzzRatio100('', '')).toBe(100);
    expect(fuzzRatio100('abc', '')).toBe(0);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200; i++) {
      const mk = (len: number) => Array.from({ length: len }, () => 'abcdé😀 '[Math.floor(rnd() * 8)]).join('');
      const x = mk(Math.floor(rnd() * 90));
      const y = mk(Math.floor(rnd() * 90));
      expect(fuzzRatio100(x, y)).toBeCloseTo(fuzzRatio(x, y) * 100, 9);
    }
  });

  it('float repr, splitlines and strip as Python does them', () => {
    expect([1, 0.1, 1e-5, 1.5e16, 123456789.125, -0.5, 1e21].map(pyFloatRepr)).toEqual(['1.0', '0.1', '1e-05', '1.5e+16', '123456789.125', '-0.5', '1e+21']);
    expect(pySplitlines('a\r\nb\rc\nd\u2028e\n')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pyStrip('\u3000 x\x1c')).toBe('x');
  });
});

describe('the evaluation records why an office file scored 0', () => {
  it('a missing result file: score 0, the metric\'s error names the file', async () => {
    const root = await tempDir('eval-env');
    const env = { kind: 'local', readFile: async () => null } as unknown as Environment;
    const task = {
      id: 't',
      instruction: 'x',
      config: [],
      evaluator: { func: 'compare_table', result: { type: 'vm_file', path: '/home/user/out.xlsx', dest: 'out.xlsx' }, options: { rules: [{ type: 'sheet_name' }] } },
    } as unknown as Task;
    const evaluation = await evaluateTask(task, 'DONE', { env, cache: new DownloadCache(path.join(root, 'cache')), screen: { width: 800, height: 600 }, workDir: path.join(root, 'work') });
    expect(evaluation.score).toBe(0);
    expect(evaluation.metrics[0]).toMatchObject({ name: 'compare_table', score: 0 });
    expect(evaluation.metrics[0]!.error).toMatch(/result file was not found/);
  });
});
