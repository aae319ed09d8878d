/**
 * Published LibreOffice Calc and Writer tasks, unchanged, through the CLI on a throwaway Xvfb desktop with the
 * real LibreOffice: the downloads (files LibreOffice wrote from flat ODF sources the test makes) come from the
 * offline cache, `tasks setup` opens them in LibreOffice, `tasks evaluate` scores 0 (for 6e99a1ad through the
 * task's own `libreoffice --convert-to csv` postconfig), the person fixes the file and closes LibreOffice, and
 * `tasks evaluate` scores 1.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadUrls, loadFixture, seededCache, tempDir } from '../helpers';
import { killAll, openTaskDesktop, type TaskDesktop } from '../task-desktop';
import { convertWithLibreOffice, esc, FODS_HEAD } from './build';

let d: TaskDesktop;
let work: string;
beforeAll(async () => {
  d = await openTaskDesktop();
  work = await tempDir('office-tasks');
});
afterAll(async () => {
  await d?.close();
});

/** A one-sheet flat ODS: a "spent" column shown with the given number style. */
function spentSheet(file: string, decimals: number | null): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const style = decimals === null ? '' : `<number:number-style style:name="N2"><number:number number:decimal-places="${decimals}" number:min-decimal-places="${decimals}" number:min-integer-digits="1"/></number:number-style>`;
  const cell = decimals === null ? '' : ' table:style-name="ce1"';
  const cellStyle = decimals === null ? '' : '<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N2"/>';
  const rows = [
    ['Mar 1', 12.3456],
    ['Mar 2', 7.1],
    ['Mar 3', 3],
  ]
    .map(([day, spent]) => `<table:table-row><table:table-cell office:value-type="string"><text:p>${day}</text:p></table:table-cell><table:table-cell${cell} office:value-type="float" office:value="${spent}"/></table:table-row>`)
    .join('');
  writeFileSync(
    file,
    `${FODS_HEAD}<office:automatic-styles>${style}${cellStyle}</office:automatic-styles><office:body><office:spreadsheet><table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string"><text:p>day</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>spent</text:p></table:table-cell></table:table-row>${rows}</table:table></office:spreadsheet></office:body></office:document>`,
  );
  return file;
}

function textDoc(file: string, font: string | null): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const style = font ? `<style:style style:name="T1" style:family="text"><style:text-properties style:font-name="${font}"/></style:style>` : '';
  const span = (t: string) => (font ? `<text:span text:style-name="T1">${esc(t)}</text:span>` : esc(t));
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text"><office:font-face-decls><style:font-face style:name="Times New Roman" svg:font-family="'Times New Roman'"/><style:font-face style:name="DejaVu Sans" svg:font-family="'DejaVu Sans'"/></office:font-face-decls><office:automatic-styles>${style}</office:automatic-styles><office:body><office:text><text:p>${span('Dublin Zoo is in Phoenix Park.')}</text:p><text:p>${span('It opened in 1831.')}</text:p></office:text></office:body></office:document>`,
  );
  return file;
}

const CSV_FILTER = 'csv:Text - txt - csv (StarCalc):44,34,UTF-8,,,,false,true,true,false,false,1';

/** The person saved and closed LibreOffice: nothing it started keeps the old document open. */
function closeLibreOffice(): void {
  killAll(d.processesInHome());
}

describe('published LibreOffice tasks on the local backend', { timeout: 240_000 }, () => {
  it('6e99a1ad (calc): sheet_print over the CSV the postconfig exports, 0 before, 1 after two decimals', async () => {
    const id = '6e99a1ad-07d2-4b66-a1ce-ece6d99c20a5';
    const task = await loadFixture('libreoffice_calc', id);
    const [download] = downloadUrls(task);
    const [goldXlsxUrl, goldCsvUrl] = (task.evaluator.expected as { path: string[] }).path;
    const [start] = convertWithLibreOffice([spentSheet(path.join(work, 'Keep_Two_decimal_points.fods'), null)], 'xlsx', path.join(work, 'start'));
    const [goldXlsx] = convertWithLibreOffice([spentSheet(path.join(work, 'Keep_Two_decimal_points_gold.fods'), 2)], 'xlsx', path.join(work, 'gold'));
    const [goldCsv] = convertWithLibreOffice([goldXlsx!], CSV_FILTER, path.join(work, 'goldcsv'));
    expect(readFileSync(goldCsv!, 'utf8')).toContain('12.35');
    await seededCache(d.cacheDir, [
      [download!, readFileSync(start!)],
      [goldXlsxUrl!, readFileSync(goldXlsx!)],
      [goldCsvUrl!, readFileSync(goldCsv!)],
    ]);

    await d.setup('libreoffice_calc', id);
    const before = await d.evaluate('libreoffice_calc', id);
    expect(before.score).toBe(0);
    // the postconfig's own conversion wrote the CSV the rule reads, with the values as shown
    expect(readFileSync(path.join(d.home, 'Keep_Two_decimal_points-Sheet1.csv'), 'utf8')).toContain('12.3456');

    closeLibreOffice();
    const [solved] = convertWithLibreOffice([spentSheet(path.join(work, 'solved', 'Keep_Two_decimal_points.fods'), 2)], 'xlsx', path.join(work, 'solved-out'));
    await copyFile(solved!, path.join(d.home, 'Keep_Two_decimal_points.xlsx'));
    const after = await d.evaluate('libreoffice_calc', id);
    expect(after.score).toBe(1);
  });

  it('0e763496 (writer): compare_font_names on the saved .docx, 0 before, 1 after Times New Roman', async () => {
    const id = '0e763496-b6bb-4508-a427-fad0b6c3e195';
    const task = await loadFixture('libreoffice_writer', id);
    const [download] = downloadUrls(task);
    const [start] = convertWithLibreOffice([textDoc(path.join(work, 'Dublin_Zoo_Intro.fodt'), 'DejaVu Sans')], 'docx', path.join(work, 'wstart'));
    await seededCache(d.cacheDir, [[download!, readFileSync(start!)]]);

    await d.setup('libreoffice_writer', id);
    const before = await d.evaluate('libreoffice_writer', id);
    expect(before.score).toBe(0);
    expect(before.getters[0]).toMatchObject({ type: 'vm_file' });

    closeLibreOffice();
    const [solved] = convertWithLibreOffice([textDoc(path.join(work, 'wsolved', 'Dublin_Zoo_Intro.fodt'), 'Times New Roman')], 'docx', path.join(work, 'wsolved-out'));
    await copyFile(solved!, path.join(d.home, 'Desktop/Dublin_Zoo_Intro.docx'));
    expect((await d.evaluate('libreoffice_writer', id)).score).toBe(1);
  });
});
