/**
 * Agreement with the reference on file pairs no other test uses: for compare_table, compare_csv,
 * compare_docx_files and compare_pptx_files, each case's expected score is derived by reading OSWorld's
 * desktop_env/evaluators/metrics/{table,docs,slides}.py (and the libraries they call: pandas read_excel / equals,
 * python-docx, python-pptx, rapidfuzz) line by line; the comment above each expectation names the reference
 * behaviour it exercises. Where the reference returns 0 before comparing (a sheet it cannot load, a file it cannot
 * read) the metric throws ScoreZero, which the evaluator records as 0 with the reason.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareDocxFiles } from '../../../app/tasks/office/docs';
import { comparePptxFiles } from '../../../app/tasks/office/slides';
import { compareCsv, compareTable, ScoreZero } from '../../../app/tasks/office/table';
import { tempDir } from '../helpers';
import { docx, esc, p, pptx, run, sp, xlsx, type BookSpec, type SlideSpec } from './build';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await tempDir('agreement');
});
const next = (ext: string) => path.join(dir, `f${n++}.${ext}`);

// ---------------------------------------------------------------- compare_table

describe('compare_table agrees with table.py', () => {
  const book = (spec: BookSpec) => xlsx(next('xlsx'), spec);
  const one = (cells: BookSpec['sheets'][number]['cells']) => book({ sheets: [{ name: 'Sheet1', cells }] });
  const data = (idx0: number | string = 0, idx1: number | string = 'EI0') => [{ type: 'sheet_data', sheet_idx0: idx0, sheet_idx1: idx1 }];

  it('sheet_data: round(4) keeps a float column float, and equals() needs the same dtype', () => {
    const ints = one({ A1: 'qty', A2: 1, A3: 2 });
    // 1.00004 rounds to 1.0, but the column stays float64 and DataFrame.equals compares dtypes: int64 != float64
    expect(compareTable(one({ A1: 'qty', A2: 1.00004, A3: 2 }), ints, { rules: data() })).toBe(0);
    // pandas' openpyxl reader turns an integral float cell into an int (_convert_cell), so "2.0" is int64 like 2
    expect(compareTable(one({ A1: 'qty', A2: 1, A3: { v: '2.0' } }), ints, { rules: data() })).toBe(1);
  });

  it('sheet_data: the texts TRUE/False become a bool column, as boolean cells do; other text stays object', () => {
    const bools = one({ A1: 'done', A2: true, A3: false });
    // the python parser's maybe_convert_bool takes pandas' default true/false spellings ("TRUE", "False", ...)
    expect(compareTable(one({ A1: 'done', A2: 'TRUE', A3: 'False' }), bools, { rules: data() })).toBe(1);
    expect(compareTable(one({ A1: 'done', A2: 'yes', A3: 'no' }), bools, { rules: data() })).toBe(0);
  });

  it('sheet_data: an empty inline string and an NA spelling are missing values like an empty cell', () => {
    const gold = one({ A1: 'name', B1: 'note', C1: 'n', A2: 'ann', C2: 5, A3: 'bob', C3: 6 });
    // "" and "N/A" are in pandas' default na_values: NaN, as the empty cell is; NaN equals NaN in equals()
    expect(compareTable(one({ A1: 'name', B1: 'note', C1: 'n', A2: 'ann', B2: { inline: '' }, C2: 5, A3: 'bob', B3: 'N/A', C3: 6 }), gold, { rules: data() })).toBe(1);
    expect(compareTable(one({ A1: 'name', B1: 'note', C1: 'n', A2: 'ann', B2: '-', C2: 5, A3: 'bob', C3: 6 }), gold, { rules: data() })).toBe(0);
  });

  it('sheet_data: a numeric header names the column with a number, which is not the text "2024"', () => {
    const gold = one({ A1: 2024, A2: 10 });
    // read_excel keeps header cells as they are: columns Index([2024]) vs Index(["2024"]) are not equal
    expect(compareTable(one({ A1: '2024', A2: 10 }), gold, { rules: data() })).toBe(0);
    expect(compareTable(one({ A1: 2024, A2: 10 }), gold, { rules: data() })).toBe(1);
  });

  it('sheet_data: formula cells compare by their cached values, whatever the formula', () => {
    const gold = one({ A1: 'a', B1: 'b', A2: 3, B2: 9 });
    // pandas reads openpyxl's data_only values: =A2*3 and =A2^2 both cached as 9 are the constant 9
    expect(compareTable(one({ A1: 'a', B1: 'b', A2: 3, B2: { f: 'A2^2', v: 9 } }), gold, { rules: data() })).toBe(1);
    expect(compareTable(one({ A1: 'a', B1: 'b', A2: 3, B2: { f: 'A2*3', v: 9 } }), gold, { rules: data() })).toBe(1);
    // a formula cached as text "9" (t="str") is numeric text, converted to 9 by the parser
    expect(compareTable(one({ A1: 'a', B1: 'b', A2: 3, B2: { f: 'TEXT(A2^2,"0")', t: 'str', v: '9' } }), gold, { rules: data() })).toBe(1);
  });

  it('sheet indexes: negative ints and RI<n> read as Python indexes, int() accepting a sign and spaces', () => {
    const two = (second: number) => book({ sheets: [{ name: 'Intro', cells: { A1: 'x' } }, { name: 'Data', cells: { A1: 'v', A2: second } }] });
    const result = two(1);
    const gold = two(1);
    const other = two(2);
    // _parse_sheet_idx: an int indexes worksheet names as a list (-1 is the last); "RI"/"EI" go through int()
    expect(compareTable(result, gold, { rules: data(-1, 'EI1') })).toBe(1);
    expect(compareTable(result, gold, { rules: data('RI+1', 'EI -1') })).toBe(1);
    expect(compareTable(result, other, { rules: data('RI1', 'ENData') })).toBe(0);
    // an index past the end resolves to the sheet "" which read_excel cannot load: _load_sheet gives None -> 0
    expect(() => compareTable(result, gold, { rules: data(5, 'EI1') })).toThrow(ScoreZero);
    expect(() => compareTable(result, gold, { rules: data('RI1.0', 'EI1') })).toThrow(ScoreZero); // int("1.0") raises: sheet ""
  });

  it('sheet_name compares the name lists; a later failing rule still fails the table', () => {
    const a = book({ sheets: [{ name: 'Q1', cells: { A1: 'x', A2: 1 } }] });
    const b = book({ sheets: [{ name: 'q1', cells: { A1: 'x', A2: 1 } }] });
    // worksheet names compare exactly (case matters), rules combine with `passes and metric`
    expect(compareTable(a, b, { rules: [{ type: 'sheet_name' }] })).toBe(0);
    expect(compareTable(a, a, { rules: [{ type: 'sheet_name' }, ...data(0, 'EI0')] })).toBe(1);
    expect(compareTable(a, b, { rules: [...data(0, 'EI0'), { type: 'sheet_name' }] })).toBe(0);
  });
});

// ---------------------------------------------------------------- compare_csv

describe('compare_csv agrees with table.py', () => {
  const csv = (content: string | Buffer) => {
    const f = next('csv');
    writeFileSync(f, content);
    return f;
  };

  it('lines are compared as str.splitlines gives them: line endings and a final newline do not matter, a blank last line does', () => {
    const gold = csv('name,age\nann,31\n');
    // _safe_read_file: f.read().splitlines()
    expect(compareCsv(csv('name,age\r\nann,31'), gold, {})).toBe(1);
    expect(compareCsv(csv('name,age\nann,31\n\n'), gold, {})).toBe(0);
    expect(compareCsv(csv('name,age\nann,31\n\n'), gold, { strict: false })).toBe(0);
  });

  it('strict (default True) compares lines unstripped; strict false strips them; ignore_case lowers', () => {
    const gold = csv('name,age\nann,31\n');
    expect(compareCsv(csv('name,age \nann,31\n'), gold, {})).toBe(0);
    expect(compareCsv(csv('name,age \nann,31\n'), gold, { strict: false })).toBe(1);
    expect(compareCsv(csv('Name,Age\nAnn,31\n'), gold, {})).toBe(0);
    expect(compareCsv(csv('Name,Age\nAnn,31\n'), gold, { ignore_case: true })).toBe(1);
  });

  it('a UTF-8 BOM is dropped (utf-8-sig first) and a Latin-1 file reads as Latin-1', () => {
    const gold = csv('city\nMünchen\n');
    expect(compareCsv(csv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('city\nMünchen\n')])), gold, {})).toBe(1);
    expect(compareCsv(csv(Buffer.from('city\nMünchen\n', 'latin1')), gold, {})).toBe(1);
  });

  it('a list of gold files: any match scores 1, a missing gold file is skipped; a missing result scores 0', () => {
    const gold = csv('a\n1\n');
    const alt = csv('a\n1.0\n');
    expect(compareCsv(csv('a\n1.0\n'), [path.join(dir, 'missing.csv'), gold, alt], {})).toBe(1);
    expect(compareCsv(csv('a\n2\n'), [gold, alt], {})).toBe(0);
    expect(() => compareCsv(path.join(dir, 'no-result.csv'), gold, {})).toThrow(ScoreZero);
  });
});

// ---------------------------------------------------------------- compare_docx_files

describe('compare_docx_files agrees with docs.py', () => {
  const doc = (body: string) => docx(next('docx'), { body });
  const table = (cell: string) => `<w:tbl><w:tblGrid><w:gridCol w:w="2000"/></w:tblGrid><w:tr><w:tc>${p(cell)}</w:tc></w:tr></w:tbl>`;

  it('only body-level paragraphs count: text in a table never does', () => {
    // doc.paragraphs is the body's own w:p children; a table's cells are not among them
    expect(compareDocxFiles(doc(p('Intro') + table('old')), doc(p('Intro') + table('new')))).toBe(1);
    expect(compareDocxFiles(doc(p('Intro') + table('x')), doc(p('Intro')), { ignore_blanks: false })).toBe(1);
  });

  it('ignore_blanks (default True) joins paragraphs with "\\n" and collapses \\s+: a line break equals a paragraph break', () => {
    const split = doc(p('Dear team,') + p('thanks.'));
    const broken = doc(`<w:p>${run('Dear team,')}<w:r><w:br/></w:r>${run('thanks.')}</w:p>`);
    expect(compareDocxFiles(broken, split)).toBe(1);
    // without it, paragraph counts must match first
    expect(compareDocxFiles(broken, split, { ignore_blanks: false })).toBe(0);
  });

  it('whitespace is Python\'s \\s: NEL (U+0085) is a blank, the BOM character (U+FEFF) is not', () => {
    const gold = doc(p('total due'));
    expect(compareDocxFiles(doc(p('total\u0085due')), gold)).toBe(1);
    expect(compareDocxFiles(doc(p('total\ufeff due')), gold)).toBe(0);
  });

  it('fuzzy_match: fuzz.ratio / 100 of the collapsed texts, or per paragraph averaged when ignore_blanks is off', () => {
    // fuzz.ratio("abcd", "abce"): indel distance 2 over 8 characters -> 75
    expect(compareDocxFiles(doc(p('abcd')), doc(p('abce')), { fuzzy_match: true })).toBeCloseTo(0.75, 12);
    // per paragraph: [0.75 >= 0.8 -> 0, 1.0 -> 1], averaged over the result's paragraphs
    expect(compareDocxFiles(doc(p('abcd') + p('same')), doc(p('abce') + p('same')), { fuzzy_match: true, ignore_blanks: false, fuzzy_match_threshold: 0.8 })).toBe(0.5);
    // two empty documents, per paragraph: no paragraphs -> 1
    expect(compareDocxFiles(doc(''), doc(''), { fuzzy_match: true, ignore_blanks: false })).toBe(1);
  });

  it('delete_empty_lines drops blank paragraphs (str.strip) before the paragraph-count check', () => {
    const a = doc(p('one') + p('   ') + p('two'));
    const b = doc(p('one') + p('two'));
    expect(compareDocxFiles(a, b, { ignore_blanks: false })).toBe(0);
    expect(compareDocxFiles(a, b, { ignore_blanks: false, delete_empty_lines: true })).toBe(1);
  });

  it('content_only ignores case only when asked, and gives the ratio even at 1.0', () => {
    const a = doc(p('Annual Report'));
    const b = doc(p('annual report'));
    // fuzz.ratio("Annual Report", "annual report") = (1 - 4/26) * 100
    expect(compareDocxFiles(a, b, { content_only: true })).toBeCloseTo(1 - 4 / 26, 12);
    expect(compareDocxFiles(a, b, { content_only: true, ignore_case: true })).toBe(1);
  });
});

// ---------------------------------------------------------------- compare_pptx_files

describe('compare_pptx_files agrees with slides.py', () => {
  const deck = (...slides: SlideSpec[]) => pptx(next('pptx'), { slides });
  const shapes = (s: string) => deck({ shapes: s });
  const box = { x: 914400, y: 914400, cx: 4572000, cy: 914400 };
  /** A text box whose paragraphs are given as raw <a:p> XML. */
  const rawBox = (id: number, paras: string, at = box) =>
    `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="Box ${id}"/><p:cNvSpPr txBox="1"/><p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="${at.x}" y="${at.y}"/><a:ext cx="${at.cx}" cy="${at.cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr><p:txBody><a:bodyPr/><a:lstStyle/>${paras}</p:txBody></p:sp>`;
  const para = (text: string, pPr = '', rPr = '<a:rPr lang="en-US"/>') => `<a:p>${pPr}<a:r>${rPr}<a:t>${esc(text)}</a:t></a:r></a:p>`;

  it('a shape without text is not compared for position, even with examine_shape on', () => {
    const moved = { ...box, x: box.x * 3 };
    // both_empty_text: shapes whose text is empty or blank skip the left/top/width/height check
    expect(comparePptxFiles(shapes(sp(2, '', moved)), shapes(sp(2, '', box)))).toBe(1);
    expect(comparePptxFiles(shapes(rawBox(2, para('  '), moved)), shapes(rawBox(2, para('  '), box)))).toBe(1);
    expect(comparePptxFiles(shapes(sp(2, 'Agenda', moved)), shapes(sp(2, 'Agenda', box)))).toBe(0);
  });

  it('underline: unset against single fails, unset against double passes, single against double fails', () => {
    const u = (val: string | null) => shapes(sp(2, 'Title', { ...box, rPr: val ? `u="${val}"` : '' }));
    // run.font.underline: None, True (sng) or an MSO_UNDERLINE member; only None-vs-True or two set values that differ fail
    expect(comparePptxFiles(u(null), u('sng'))).toBe(0);
    expect(comparePptxFiles(u(null), u('dbl'))).toBe(1);
    expect(comparePptxFiles(u('sng'), u('dbl'))).toBe(0);
    expect(comparePptxFiles(u(null), u('none'))).toBe(1);
    expect(comparePptxFiles(u(null), u('sng'), { examine_font_underline: false })).toBe(1);
  });

  it('colour is compared only when both runs have an RGB colour: a theme colour is never compared', () => {
    const colour = (fill: string) => shapes(rawBox(2, para('Total', '', `<a:rPr lang="en-US"><a:solidFill>${fill}</a:solidFill></a:rPr>`)));
    const red = colour('<a:srgbClr val="FF0000"/>');
    // hasattr(run.font.color, "rgb") is False for a scheme colour (python-pptx raises AttributeError there)
    expect(comparePptxFiles(colour('<a:schemeClr val="accent1"/>'), red)).toBe(1);
    expect(comparePptxFiles(colour('<a:srgbClr val="C00000"/>'), red)).toBe(0);
  });

  it('font size is the run\'s own sz, not what it inherits', () => {
    const gold = shapes(sp(2, 'Title', box));
    // run.font.size reads a:rPr/@sz only: 18pt written out differs from unset (which inherits 18pt)
    expect(comparePptxFiles(shapes(sp(2, 'Title', { ...box, rPr: 'sz="1800"' })), gold)).toBe(0);
    expect(comparePptxFiles(shapes(sp(2, 'Title', { ...box, rPr: 'sz="1800"' })), gold, { examine_font_size: false })).toBe(1);
  });

  it('paragraph levels 0 and 1 count as the same indent; 2 does not', () => {
    const level = (lvl: number | null) => shapes(rawBox(2, para('Point', lvl === null ? '' : `<a:pPr lvl="${lvl}"/>`)));
    expect(comparePptxFiles(level(1), level(null))).toBe(1);
    expect(comparePptxFiles(level(2), level(0))).toBe(0);
    expect(comparePptxFiles(level(2), level(0), { examine_indent: false })).toBe(1);
  });

  it('strike-through: the strike attribute, unset meaning noStrike', () => {
    const strike = (v: string | null) => shapes(sp(2, 'Done', { ...box, rPr: v ? `strike="${v}"` : '' }));
    expect(comparePptxFiles(strike('noStrike'), strike(null))).toBe(1);
    expect(comparePptxFiles(strike('sngStrike'), strike(null))).toBe(0);
    expect(comparePptxFiles(strike('sngStrike'), strike(null), { examine_strike_through: false })).toBe(1);
  });

  it('bullets: the slide\'s bullet characters must match; examine_bullets off skips them', () => {
    const bullet = (char: string | null) => shapes(rawBox(2, para('Milk', char === null ? '<a:pPr/>' : `<a:pPr><a:buChar char="${char}"/></a:pPr>`) + para('Eggs', char === null ? '<a:pPr/>' : `<a:pPr><a:buChar char="${char}"/></a:pPr>`)));
    expect(comparePptxFiles(bullet('•'), bullet('•'))).toBe(1);
    expect(comparePptxFiles(bullet('–'), bullet('•'))).toBe(0);
    expect(comparePptxFiles(bullet(null), bullet('•'))).toBe(0);
    expect(comparePptxFiles(bullet(null), bullet('•'), { examine_bullets: false })).toBe(1);
  });

  it('shape text is compared stripped, paragraph text exactly; a blank paragraph\'s blank runs are dropped', () => {
    const gold = shapes(rawBox(2, para('Hello') + '<a:p/>'));
    // shape.text.strip() agrees ("Hello"), then para.text " " != "" fails under examine_text
    expect(comparePptxFiles(shapes(rawBox(2, para('Hello') + para(' '))), gold)).toBe(0);
    // without examine_text, both blank paragraphs keep only non-blank runs: [] vs [], so run counts agree
    expect(comparePptxFiles(shapes(rawBox(2, para('Hello') + para(' '))), gold, { examine_text: false })).toBe(1);
    // a trailing space inside a run: paragraph text "Hello " != "Hello"
    expect(comparePptxFiles(shapes(rawBox(2, para('Hello ') + '<a:p/>')), gold)).toBe(0);
  });

  it('runs are compared pairwise: a word split over two runs fails the run count unless examine_run_count is off', () => {
    const gold = shapes(rawBox(2, para('Hello')));
    const split = shapes(rawBox(2, '<a:p><a:r><a:rPr lang="en-US"/><a:t>Hel</a:t></a:r><a:r><a:rPr lang="en-US"/><a:t>lo</a:t></a:r></a:p>'));
    expect(comparePptxFiles(split, gold)).toBe(0);
    expect(comparePptxFiles(split, gold, { examine_run_count: false })).toBe(1);
  });

  it('alignment: unset equals left, justified does not', () => {
    const aligned = (algn: string | null) => shapes(rawBox(2, para('Body', algn ? `<a:pPr algn="${algn}"/>` : '')));
    expect(comparePptxFiles(aligned('l'), aligned(null))).toBe(1);
    expect(comparePptxFiles(aligned('just'), aligned(null))).toBe(0);
    expect(comparePptxFiles(aligned('just'), aligned(null), { examine_alignment: false })).toBe(1);
  });
});
