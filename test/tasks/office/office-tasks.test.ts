/**
 * Published LibreOffice Calc, Writer, Impress and multi_apps office tasks, unchanged, through the CLI on a throwaway
 * Xvfb desktop with the real LibreOffice: the downloads (files LibreOffice wrote from flat ODF sources the test
 * makes) come from the offline cache, `tasks setup` opens them in LibreOffice, `tasks evaluate` scores 0 (for
 * 6e99a1ad through the task's own `libreoffice --convert-to csv` postconfig), the person closes LibreOffice and
 * solves the task with a script (LibreOffice headless, or Python's zipfile on the saved package), and
 * `tasks evaluate` scores 1.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadUrls, loadFixture, seededCache, tempDir } from '../helpers';
import { killAll, openTaskDesktop, type TaskDesktop } from '../task-desktop';
import { convertWithLibreOffice, esc, FODS_HEAD, SOFFICE } from './build';

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

interface SlideText {
  title: string;
  /** The title paragraph's alignment (ODF fo:text-align); unset is LibreOffice's default, left. */
  titleAlign?: 'end';
  bullets: string[];
}

/** A flat ODP deck: per slide a title frame and an outline frame of bullets. */
function deck(file: string, slides: SlideText[]): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const frame = (y: number, height: number, inner: string, cls: string) =>
    `<draw:frame presentation:class="${cls}" svg:x="2cm" svg:y="${y}cm" svg:width="24cm" svg:height="${height}cm"><draw:text-box>${inner}</draw:text-box></draw:frame>`;
  const pages = slides.map((s, i) => {
    const title = s.title ? `<text:p${s.titleAlign ? ' text:style-name="Right"' : ''}>${esc(s.title)}</text:p>` : '<text:p/>';
    const bullets = `<text:list>${s.bullets.map((b) => `<text:list-item><text:p>${esc(b)}</text:p></text:list-item>`).join('')}</text:list>`;
    return `<draw:page draw:name="page${i + 1}">${frame(1, 3, title, 'title')}${frame(5, 10, bullets, 'outline')}</draw:page>`;
  });
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.presentation"><office:automatic-styles><style:style style:name="Right" style:family="paragraph"><style:paragraph-properties fo:text-align="end"/></style:style></office:automatic-styles><office:body><office:presentation>${pages.join('')}</office:presentation></office:body></office:document>`,
  );
  return file;
}

/** A flat ODT of plain paragraphs. */
function paragraphsDoc(file: string, paragraphs: string[]): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>${paragraphs.map((t) => `<text:p>${esc(t)}</text:p>`).join('')}</office:text></office:body></office:document>`,
  );
  return file;
}

/**
 * What a person scripting python-pptx-style edits does to slide 2's empty title: the one empty paragraph gets
 * the text as a run with the paragraph's own end-of-paragraph properties (as typing into it in Impress does) and
 * right alignment. Python's zipfile rewrites the package in place.
 */
const TYPE_RIGHT_ALIGNED_TITLE = String.raw`
import re, shutil, sys, zipfile
src, text = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(src + '.tmp', 'w', zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == 'ppt/slides/slide2.xml':
            xml = data.decode()
            m = re.search(r'<a:p><a:endParaRPr(.*?)>(.*?)</a:endParaRPr></a:p>', xml)
            props, inner = m.group(1), m.group(2)
            typed = f'<a:p><a:pPr algn="r"/><a:r><a:rPr{props}>{inner}</a:rPr><a:t>{text}</a:t></a:r><a:endParaRPr{props}>{inner}</a:endParaRPr></a:p>'
            data = (xml[:m.start()] + typed + xml[m.end():]).encode()
        zout.writestr(item, data)
shutil.move(src + '.tmp', src)
`;

/** Every paragraph's text of a pptx, slide by slide, one a line: the "place all the text" part of bb83cab4. */
const SLIDE_TEXT_TO_LINES = String.raw`
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = sorted((n for n in z.namelist() if re.fullmatch(r'ppt/slides/slide\d+\.xml', n)), key=lambda n: int(re.findall(r'\d+', n)[0]))
    lines = []
    for n in names:
        for para in re.findall(r'<a:p>(.*?)</a:p>', z.read(n).decode()):
            text = ''.join(re.findall(r'<a:t>(.*?)</a:t>', para))
            if text:
                lines.append(text)
open(sys.argv[2], 'w').write('\n'.join(lines) + '\n')
`;

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

  it('08aced46 (impress): compare_pptx_files on the saved .pptx, 0 before, 1 after a right-aligned title "Note" on slide 2', async () => {
    const id = '08aced46-45a2-48d7-993b-ed3fb5b32302';
    const task = await loadFixture('libreoffice_impress', id);
    const [download] = downloadUrls(task);
    const goldUrl = (task.evaluator.expected as { path: string }).path;
    const slides = (title2: string): SlideText[] => [
      { title: 'Study notes', bullets: ['Read chapter 3', 'Write a summary'] },
      { title: title2, titleAlign: 'end', bullets: ['Exams start in May'] },
    ];
    const [start] = convertWithLibreOffice([deck(path.join(work, 'istart', '22_6.fodp'), slides(''))], 'pptx', path.join(work, 'istart-out'));
    const [gold] = convertWithLibreOffice([deck(path.join(work, 'igold', '22_6.fodp'), slides('Note'))], 'pptx', path.join(work, 'igold-out'));
    await seededCache(d.cacheDir, [
      [download!, readFileSync(start!)],
      [goldUrl, readFileSync(gold!)],
    ]);

    await d.setup('libreoffice_impress', id);
    const before = await d.evaluate('libreoffice_impress', id);
    expect(before.score).toBe(0);

    closeLibreOffice();
    const script = path.join(work, 'type_title.py');
    writeFileSync(script, TYPE_RIGHT_ALIGNED_TITLE);
    d.sh(`python3 ${script} Desktop/22_6.pptx Note`);
    expect((await d.evaluate('libreoffice_impress', id)).score).toBe(1);
  });

  it('bb83cab4 (multi_apps): the slides\' text as script.docx, compare_docx_files 0 before, 1 after a LibreOffice conversion', async () => {
    const id = 'bb83cab4-e5c7-42c7-a67b-e46068032b86';
    const task = await loadFixture('multi_apps', id);
    const [download] = downloadUrls(task);
    const goldUrl = (task.evaluator.expected as { path: string }).path;
    const slides: SlideText[] = [
      { title: 'Unlocking the Power of ChatGPT', bullets: ['What it is', 'What it is not'] },
      { title: 'Prompting', bullets: ['Say what you want', 'Give an example', 'Check the answer'] },
    ];
    const [start] = convertWithLibreOffice([deck(path.join(work, 'mstart', 'Unlocking-the-Power-of-ChatGPT.fodp'), slides)], 'pptx', path.join(work, 'mstart-out'));
    const text = slides.flatMap((s) => [s.title, ...s.bullets]);
    const [gold] = convertWithLibreOffice([paragraphsDoc(path.join(work, 'mgold', 'script.fodt'), text)], 'docx', path.join(work, 'mgold-out'));
    await seededCache(d.cacheDir, [
      [download!, readFileSync(start!)],
      [goldUrl, readFileSync(gold!)],
    ]);

    await d.setup('multi_apps', id);
    // nothing saved yet: the result file is missing, which scores 0
    expect((await d.evaluate('multi_apps', id)).score).toBe(0);

    closeLibreOffice();
    const script = path.join(work, 'slide_text.py');
    writeFileSync(script, SLIDE_TEXT_TO_LINES);
    d.sh(`python3 ${script} Desktop/Unlocking-the-Power-of-ChatGPT.pptx script.txt && ${SOFFICE} --headless --convert-to docx --outdir Desktop script.txt`);
    expect(readFileSync(path.join(d.home, 'script.txt'), 'utf8')).toBe(`${text.join('\n')}\n`);
    expect((await d.evaluate('multi_apps', id)).score).toBe(1);
  });
});
