/**
 * compare_table, rule kind by rule kind, on workbooks the tests write: what makes each rule pass, what makes it
 * fail, and the reference's quirks that decide real scores (pandas' type inference, cached formula values, the
 * sheetId-named sheet part of the raw readers, openpyxl's colour descriptor).
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareTable, ScoreZero } from '../../../app/tasks/office/table';
import { tempDir } from '../helpers';
import { convertWithLibreOffice, xlsx, type BookSpec } from './build';

const HERE = path.dirname(fileURLToPath(import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await tempDir('table');
});

let n = 0;
function book(spec: BookSpec, name = `b${n++}.xlsx`): string {
  return xlsx(path.join(dir, name), spec);
}

const sheet1 = (cells: BookSpec['sheets'][number]['cells'], extra: Partial<BookSpec['sheets'][number]> = {}): BookSpec => ({ sheets: [{ name: 'Sheet1', cells, ...extra }] });
const score = (result: string, expected: string | null, rules: unknown[]) => compareTable(result, expected, { rules });

describe('sheet_name', () => {
  it('compares the worksheet names in order', () => {
    const a = book({ sheets: [{ name: 'LARS Resources' }, { name: 'Sheet2' }] });
    const b = book({ sheets: [{ name: 'LARS Resources' }, { name: 'Sheet2' }] });
    const c = book({ sheets: [{ name: 'Sheet2' }, { name: 'LARS Resources' }] });
    expect(score(a, b, [{ type: 'sheet_name' }])).toBe(1);
    expect(score(a, c, [{ type: 'sheet_name' }])).toBe(0);
  });
});

describe('sheet_data (pandas read_excel, round(4), equals)', () => {
  const rule = [{ type: 'sheet_data', sheet_idx0: 0, sheet_idx1: 'EI0' }];

  it('reads cached formula results, not formulas', () => {
    const gold = book(sheet1({ A1: 'Sales', B1: 'COGS', C1: 'Profit', A2: 100, B2: 40, C2: 60 }));
    const withFormula = book(sheet1({ A1: 'Sales', B1: 'COGS', C1: 'Profit', A2: 100, B2: 40, C2: { f: 'A2-B2', v: 60 } }));
    const wrongCache = book(sheet1({ A1: 'Sales', B1: 'COGS', C1: 'Profit', A2: 100, B2: 40, C2: { f: 'A2-B2', v: 61 } }));
    // a formula never calculated (no cached value) reads as an empty cell
    const noCache = book(sheet1({ A1: 'Sales', B1: 'COGS', C1: 'Profit', A2: 100, B2: 40, C2: { f: 'A2-B2' } }));
    expect(score(withFormula, gold, rule)).toBe(1);
    expect(score(wrongCache, gold, rule)).toBe(0);
    expect(score(noCache, gold, rule)).toBe(0);
  });

  it('an int column and a float column differ; integral floats count as ints', () => {
    const ints = book(sheet1({ A1: 'n', A2: 1, A3: 2 }));
    const floats = book(sheet1({ A1: 'n', A2: { v: '1.0' }, A3: { v: '2.0' } }));
    const halves = book(sheet1({ A1: 'n', A2: 1, A3: 2.5 }));
    expect(score(floats, ints, rule)).toBe(1);
    expect(score(halves, ints, rule)).toBe(0);
  });

  it('numeric text is converted as pandas does ("007" equals 7), other text is not', () => {
    expect(score(book(sheet1({ A1: 'id', A2: '007' })), book(sheet1({ A1: 'id', A2: 7 })), rule)).toBe(1);
    expect(score(book(sheet1({ A1: 'id', A2: '7a' })), book(sheet1({ A1: 'id', A2: 7 })), rule)).toBe(0);
  });

  it('rounds to `precision` decimals (4 by default), half to even', () => {
    const a = book(sheet1({ A1: 'x', A2: 1.23456 }));
    const b = book(sheet1({ A1: 'x', A2: 1.23459 }));
    expect(score(a, b, rule)).toBe(1);
    expect(score(a, b, [{ ...rule[0], precision: 5 }])).toBe(0);
  });

  it('a blank row between data rows counts; trailing empty cells and rows do not', () => {
    const gold = book(sheet1({ A1: 'a', B1: 'b', A2: 1, B2: 2, A3: 3, B3: 4 }));
    const gap = book(sheet1({ A1: 'a', B1: 'b', A2: 1, B2: 2, A4: 3, B4: 4 }));
    const trailing = book(sheet1({ A1: 'a', B1: 'b', A2: 1, B2: 2, A3: 3, B3: 4, C5: { s: 0 } }));
    expect(score(gap, gold, rule)).toBe(0);
    expect(score(trailing, gold, rule)).toBe(1);
  });

  it('NA strings read as missing values; a date cell is not its serial number', () => {
    const na = book(sheet1({ A1: 'v', A2: 'N/A', A3: 5 }));
    const empty = book(sheet1({ A1: 'v', A3: 5 }));
    expect(score(na, empty, rule)).toBe(1);
    const dates = { numFmts: '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>', xfs: ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>', '<xf numFmtId="164" fontId="0" fillId="0" borderId="0"/>'] };
    const asDate = book({ ...sheet1({ A1: 'd', A2: { v: 45292, s: 1 } }), ...dates });
    const sameDate = book({ ...sheet1({ A1: 'd', A2: { v: '45292.0', s: 1 } }), ...dates });
    const asNumber = book(sheet1({ A1: 'd', A2: 45292 }));
    expect(score(asDate, sameDate, rule)).toBe(1);
    expect(score(asDate, asNumber, rule)).toBe(0);
  });

  it('headers name the columns: a renamed header fails', () => {
    expect(score(book(sheet1({ A1: 'Profit', A2: 1 })), book(sheet1({ A1: 'profit', A2: 1 })), rule)).toBe(0);
  });

  it('RN / EN pick sheets by name; a sheet the result lacks scores 0 with the reason', () => {
    const result = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'x', A2: 1 } }] });
    const gold = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'x' } }, { name: 'Sheet2', cells: { A1: 'x', A2: 1 } }] });
    expect(score(result, gold, [{ type: 'sheet_data', sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet2' }])).toBe(1);
    expect(() => score(result, gold, [{ type: 'sheet_data', sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2' }])).toThrow(ScoreZero);
    expect(() => score(result, gold, [{ type: 'sheet_data', sheet_idx0: 'RI5', sheet_idx1: 'EI0' }])).toThrow(/cannot be read/);
  });
});

describe('sheet_print (the CSV LibreOffice exported next to each workbook)', () => {
  it('compares the printed lines, ignoring trailing blank lines and surrounding spaces; ignore_case', () => {
    const result = book(sheet1({ A1: 'x' }), 'Keep.xlsx');
    const gold = book(sheet1({ A1: 'x' }), 'Keep_gold.xlsx');
    writeFileSync(path.join(dir, 'Keep-Sheet1.csv'), 'spent,total\n  1.50,3.00  \n\n\n');
    writeFileSync(path.join(dir, 'Keep_gold-Sheet1.csv'), '\ufeffSPENT,total\r\n1.50,3.00\r\n');
    const rule = { type: 'sheet_print', sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1' };
    expect(score(result, gold, [rule])).toBe(0);
    expect(score(result, gold, [{ ...rule, ignore_case: true }])).toBe(1);
  });

  it('no exported CSV for the result scores 0 with the file it looked for', () => {
    const result = book(sheet1({ A1: 'x' }), 'NoCsv.xlsx');
    expect(() => score(result, result, [{ type: 'sheet_print', sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1' }])).toThrow(/NoCsv-Sheet1\.csv/);
  });
});

describe('sheet_fuzzy', () => {
  const cells = (v: string | number) => sheet1({ A1: 'Address', A2: v });
  const rule = (r: Record<string, unknown>) => [{ type: 'sheet_fuzzy', sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1', rules: [{ range: ['A2'], ...r }] }];

  it('fuzzy_match uses rapidfuzz ratio against a threshold (85 by default)', () => {
    const a = book(cells('12 Main Street'));
    const b = book(cells('12 Main Streets'));
    const far = book(cells('99 Other Road'));
    expect(score(a, b, rule({ type: 'fuzzy_match' }))).toBe(1);
    expect(score(a, far, rule({ type: 'fuzzy_match' }))).toBe(0);
    expect(score(a, b, rule({ type: 'fuzzy_match', threshold: 99 }))).toBe(0);
  });

  it('normalization, trim_leadings, ignore_chars and ignore_case apply before exact_match / includes', () => {
    const a = book(cells('+ 12 Main Rd'));
    const b = book(cells('12 main road'));
    expect(score(a, b, rule({ type: 'exact_match', normalization: [['Rd', 'Road']], trim_leadings: '+ ', ignore_case: true }))).toBe(1);
    expect(score(a, b, rule({ type: 'exact_match' }))).toBe(0);
    expect(score(book(cells('(555) 123')), book(cells('555123')), rule({ type: 'exact_match', ignore_chars: ' ()' }))).toBe(1);
    expect(score(book(cells('12 Main Road, Springfield')), book(cells('Main Road')), rule({ type: 'includes' }))).toBe(1);
    expect(score(book(cells('Main Road')), book(cells('12 Main Road, Springfield')), rule({ type: 'included_by' }))).toBe(1);
  });

  it('numbers compare as Python prints a float ("3.0"), empty cells as "None"', () => {
    expect(score(book(cells(3)), book(cells('3.0')), rule({ type: 'exact_match' }))).toBe(1);
    expect(score(book(sheet1({ A1: 'x' })), book(cells('None')), rule({ type: 'exact_match' }))).toBe(1);
  });
});

describe('sparkline', () => {
  const spark = (range: string) =>
    `<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}"><x14:sparklineGroups><x14:sparklineGroup><x14:sparklines><x14:sparkline><xm:f>Sheet1!${range}</xm:f><xm:sqref>F3</xm:sqref></x14:sparkline></x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>`;
  const rule = [{ type: 'sparkline', sheet_idx0: 0, sheet_idx1: 'EI0' }];

  it('compares {cell: data range} of the sparklines', () => {
    const a = book(sheet1({ A1: 1 }, { after: spark('C3:E3') }));
    const b = book(sheet1({ A1: 1 }, { after: spark('C3:E3') }));
    const c = book(sheet1({ A1: 1 }, { after: spark('C3:D3') }));
    const none = book(sheet1({ A1: 1 }));
    expect(score(a, b, rule)).toBe(1);
    expect(score(a, c, rule)).toBe(0);
    expect(score(none, a, rule)).toBe(0);
  });

  it('reads "sheet{sheetId}.xml" as the reference does, not the part the workbook names', () => {
    // sheetId 7 points the reference at xl/worksheets/sheet7.xml, which does not exist
    const odd = book({ sheets: [{ name: 'Sheet1', sheetId: 7, cells: { A1: 1 }, after: spark('C3:E3') }] });
    const gold = book(sheet1({ A1: 1 }, { after: spark('C3:E3') }));
    expect(() => score(odd, gold, rule)).toThrow(/sheet7\.xml is missing/);
  });
});

describe('chart', () => {
  const chart = (type: string, title: string, val: string, extra = '') =>
    `<?xml version="1.0"?><c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>${title}</a:t></a:r></a:p></c:rich></c:tx></c:title><c:plotArea><c:${type}>${extra}<c:ser><c:idx val="0"/><c:cat><c:strRef><c:f>Sheet1!$A$2:$A$5</c:f></c:strRef></c:cat><c:val><c:numRef><c:f>${val}</c:f></c:numRef></c:val></c:ser><c:axId val="1"/><c:axId val="2"/></c:${type}><c:catAx><c:axId val="1"/></c:catAx><c:valAx><c:axId val="2"/></c:valAx></c:plotArea><c:legend><c:legendPos val="b"/></c:legend></c:chart></c:chartSpace>`;
  const withChart = (xml: string): BookSpec => ({
    sheets: [{ name: 'Sheet1', cells: { A1: 'x' }, after: '<drawing r:id="rIdD"/>', rels: [{ id: 'rIdD', type: 'drawing', target: '../drawings/drawing1.xml' }] }],
    parts: {
      'xl/drawings/drawing1.xml': `<?xml version="1.0"?><xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>3</xdr:col><xdr:row>1</xdr:row></xdr:from><xdr:to><xdr:col>9</xdr:col><xdr:row>15</xdr:row></xdr:to><xdr:graphicFrame><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Chart"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart r:id="rIdC"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>`,
      'xl/drawings/_rels/drawing1.xml.rels': `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdC" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart" Target="../charts/chart1.xml"/></Relationships>`,
      'xl/charts/chart1.xml': xml,
    },
  });
  const rule = (props: string[]) => [{ type: 'chart', sheet_idx0: 0, sheet_idx1: 'EI0', chart_props: props }];

  it('compares charts keyed by their series ranges, with the chosen properties', () => {
    const bars = book(withChart(chart('barChart', 'Sales &amp; COGS', 'Sheet1!$B$2:$B$5', '<c:barDir val="col"/>')));
    const same = book(withChart(chart('barChart', 'Sales &amp; COGS', 'Sheet1!$B$2:$B$5', '<c:barDir val="col"/>')));
    const line = book(withChart(chart('lineChart', 'Sales &amp; COGS', 'Sheet1!$B$2:$B$5')));
    const other = book(withChart(chart('barChart', 'Sales &amp; COGS', 'Sheet1!$C$2:$C$5', '<c:barDir val="col"/>')));
    const horizontal = book(withChart(chart('barChart', 'Sales &amp; COGS', 'Sheet1!$B$2:$B$5', '<c:barDir val="bar"/>')));
    expect(score(bars, same, rule(['type', 'title', 'legend', 'anchor']))).toBe(1);
    expect(score(line, bars, rule(['type']))).toBe(0);
    expect(score(line, bars, rule(['title']))).toBe(1);
    expect(score(other, bars, rule([]))).toBe(0);
    expect(score(horizontal, bars, rule(['type', 'direction']))).toBe(0);
    // barDir exists only on bar charts: asking a line chart's direction fails as in the reference
    expect(() => score(line, line, rule(['direction']))).toThrow(/direction/);
  });
});

describe('style (cell styles, then conditional formatting)', () => {
  const fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>', '<fill><patternFill patternType="solid"><fgColor rgb="FFFF0000"/><bgColor indexed="64"/></patternFill></fill>'];
  const xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>', '<xf numFmtId="0" fontId="0" fillId="2" borderId="0"/>', '<xf numFmtId="2" fontId="1" fillId="0" borderId="0"/>'];
  const fonts = ['<font><sz val="11"/><color rgb="FF000000"/><name val="Calibri"/></font>', '<font><b/><sz val="11"/><color rgb="FF00FF00"/><name val="Calibri"/></font>'];
  const rule = (props: string[]) => [{ type: 'style', sheet_idx0: 0, sheet_idx1: 'EI0', props }];

  it('bgcolor, font colour and bold, number format per cell', () => {
    const gold = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'Sat', A2: { v: 2, s: 1 }, B1: { v: 1.5, s: 2 } } }], fills, xfs, fonts });
    const same = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'Sat', A2: { v: 2, s: 1 }, B1: { v: 1.5, s: 2 } } }], fills, xfs, fonts });
    const noFill = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'Sat', A2: 2, B1: { v: 1.5, s: 2 } } }], fills, xfs, fonts });
    expect(score(same, gold, rule(['bgcolor', 'font_color', 'font_bold', 'number_format']))).toBe(1);
    expect(score(noFill, gold, rule(['bgcolor']))).toBe(0);
    expect(score(noFill, gold, rule(['font_bold', 'number_format']))).toBe(1);
  });

  it('a theme colour reads as openpyxl\'s descriptor: equal to any other non-RGB colour, never to an RGB string', () => {
    const theme = ['<font><color theme="1"/><name val="Calibri"/></font>'];
    const indexed = ['<font><color indexed="8"/><name val="Calibri"/></font>'];
    const rgb = ['<font><color rgb="FF000000"/><name val="Calibri"/></font>'];
    const mk = (f: string[]) => book({ sheets: [{ name: 'Sheet1', cells: { A1: 'x' } }], fonts: f });
    expect(score(mk(theme), mk(indexed), rule(['font_color']))).toBe(1);
    expect(score(mk(theme), mk(rgb), rule(['font_color']))).toBe(0);
  });

  it('a cell with a value in a font without a colour makes font_color fail, as openpyxl raises there', () => {
    const bare = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'x' } }], fonts: ['<font><name val="Arial"/></font>'] });
    expect(() => score(bare, bare, rule(['font_color']))).toThrow(/no colour/);
  });

  it('the used range must match: an extra styled cell changes the compared cells', () => {
    const a = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'x' } }] });
    const b = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'x', C3: { s: 0 } } }] });
    expect(score(a, b, rule(['font_bold']))).toBe(0);
  });

  it('conditional formatting: cells a cellIs or expression rule activates take the rule\'s differential style', () => {
    const dxfs = ['<dxf><font><color rgb="FF00FF00"/></font><fill><patternFill><bgColor rgb="FFFF0000"/></patternFill></fill></dxf>'];
    const cf = '<conditionalFormatting sqref="A1:A3"><cfRule type="cellIs" dxfId="0" priority="1" operator="greaterThan"><formula>10</formula></cfRule></conditionalFormatting>';
    const withCf = book({ sheets: [{ name: 'Sheet1', cells: { A1: 5, A2: 20, A3: 7 }, after: cf }], fills, xfs, fonts, dxfs });
    const direct = book({ sheets: [{ name: 'Sheet1', cells: { A1: 5, A2: { v: 20, s: 1 }, A3: 7 } }], fills, xfs, fonts });
    expect(score(withCf, direct, rule(['bgcolor']))).toBe(1);
    const max = '<conditionalFormatting sqref="A1:A3"><cfRule type="expression" dxfId="0" priority="1"><formula>A1=MAX($A$1:$A$3)</formula></cfRule></conditionalFormatting>';
    const withMax = book({ sheets: [{ name: 'Sheet1', cells: { A1: 5, A2: 20, A3: 7 }, after: max }], fills, xfs, fonts, dxfs });
    expect(score(withMax, direct, rule(['bgcolor']))).toBe(1);
    const wrong = book({ sheets: [{ name: 'Sheet1', cells: { A1: { v: 5, s: 1 }, A2: 20, A3: 7 } }], fills, xfs, fonts });
    expect(score(withMax, wrong, rule(['bgcolor']))).toBe(0);
  });
});

describe('freeze and zoom', () => {
  const view = (pane: string, zoom = '') => `<sheetViews><sheetView workbookViewId="0"${zoom}>${pane}</sheetView></sheetViews>`;
  const rule = [{ type: 'freeze', sheet_idx0: 0, sheet_idx1: 'EI0' }];

  it('frozen panes compare by their split, not by where the view scrolled', () => {
    const gold = book(sheet1({ A1: 'h' }, { before: view('<pane xSplit="2" ySplit="1" topLeftCell="C2" activePane="bottomRight" state="frozen"/>') }));
    const scrolled = book(sheet1({ A1: 'h' }, { before: view('<pane xSplit="2" ySplit="1" topLeftCell="C40" activePane="bottomRight" state="frozen"/>') }));
    const rowOnly = book(sheet1({ A1: 'h' }, { before: view('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>') }));
    const none = book(sheet1({ A1: 'h' }, { before: view('') }));
    expect(score(scrolled, gold, rule)).toBe(1);
    expect(score(rowOnly, gold, rule)).toBe(0);
    expect(score(none, gold, rule)).toBe(0);
  });

  it('zoom: zoomScale against method/ref, 100 when unset', () => {
    const zoomed = book(sheet1({ A1: 'h' }, { before: view('', ' zoomScale="80"') }));
    const plain = book(sheet1({ A1: 'h' }));
    expect(score(zoomed, null, [{ type: 'zoom', sheet_idx: 0, method: 'lt', ref: 260 }])).toBe(1);
    expect(score(plain, null, [{ type: 'zoom', sheet_idx: 0, method: 'lt', ref: 100 }])).toBe(0);
    expect(score(plain, null, [{ type: 'zoom', sheet_idx: 0, method: 'eq', ref: 100 }])).toBe(1);
  });
});

describe('data_validation', () => {
  const dv = (formula: string, sqref = 'D2:D29', type = 'list') => `<dataValidations count="1"><dataValidation type="${type}" allowBlank="true" showDropDown="false" sqref="${sqref}"><formula1>${formula}</formula1></dataValidation></dataValidations>`;
  // the published rule of task ecb0df7a
  const rule = [{ type: 'data_validation', sheet_idx: 0, dv_props: [{ formula1: { method: 'str_set_eq', ref: ['Pass', 'Fail', 'Held'] }, ranges: { method: 'spreadsheet_range', ref: ['D2:D29', 'D1:D1048576'] }, type: { method: 'eq', ref: 'list' } }] }];

  it('every validation must match one of the wanted property sets', () => {
    expect(score(book(sheet1({ A1: 'x' }, { after: dv('"Held,Pass,Fail"') })), null, rule)).toBe(1);
    expect(score(book(sheet1({ A1: 'x' }, { after: dv('"Pass,Fail"') })), null, rule)).toBe(0);
    // covering less than D2:D29 or reaching outside column D fails
    expect(score(book(sheet1({ A1: 'x' }, { after: dv('"Pass,Fail,Held"', 'D2:D10') })), null, rule)).toBe(0);
    expect(score(book(sheet1({ A1: 'x' }, { after: dv('"Pass,Fail,Held"', 'D1:E40') })), null, rule)).toBe(0);
    expect(score(book(sheet1({ A1: 'x' }, { after: dv('"Pass,Fail,Held"', 'D1:D100') })), null, rule)).toBe(1);
    expect(score(book(sheet1({ A1: 'x' })), null, rule)).toBe(0);
  });
});

describe('row_props and col_props', () => {
  it('compares the chosen attributes of the rows / columns that carry dimensions', () => {
    const gold = book(sheet1({ A1: 'x', A2: 'N/A', A3: 3 }, { rowAttrs: { 1: 'ht="12.8"', 2: 'ht="12.8" hidden="true"', 3: 'ht="12.8"' } }));
    const same = book(sheet1({ A1: 'x', A2: 'N/A', A3: 3 }, { rowAttrs: { 1: 'ht="12.8"', 2: 'ht="12.8" hidden="1"', 3: 'ht="12.8"' } }));
    const shown = book(sheet1({ A1: 'x', A2: 'N/A', A3: 3 }, { rowAttrs: { 1: 'ht="12.8"', 2: 'ht="12.8"', 3: 'ht="12.8"' } }));
    const rule = [{ type: 'row_props', sheet_idx0: 0, sheet_idx1: 'EI0', props: ['hidden'] }];
    expect(score(same, gold, rule)).toBe(1);
    expect(score(shown, gold, rule)).toBe(0);
    const cols = (w: string) => book(sheet1({ A1: 'x' }, { before: `<cols><col min="1" max="1" width="${w}" customWidth="1"/></cols>` }));
    const colRule = [{ type: 'col_props', sheet_idx0: 0, sheet_idx1: 'EI0', props: ['width'] }];
    expect(score(cols('20.5'), cols('20.5'), colRule)).toBe(1);
    expect(score(cols('20.5'), cols('8'), colRule)).toBe(0);
  });
});

describe('filter', () => {
  const af = (vals: string[]) => `<autoFilter ref="A1:C20"><filterColumn colId="1"><filters>${vals.map((v) => `<filter val="${v}"/>`).join('')}</filters></filterColumn></autoFilter>`;
  const rule = [{ type: 'filter', sheet_idx0: 0, sheet_idx1: 'EI0' }];

  it('compares the autofilter range and its column filters (values as a set)', () => {
    expect(score(book(sheet1({ A1: 'x' }, { after: af(['East', 'West']) })), book(sheet1({ A1: 'x' }, { after: af(['West', 'East']) })), rule)).toBe(1);
    expect(score(book(sheet1({ A1: 'x' }, { after: af(['East']) })), book(sheet1({ A1: 'x' }, { after: af(['West', 'East']) })), rule)).toBe(0);
    expect(score(book(sheet1({ A1: 'x' })), book(sheet1({ A1: 'x' }, { after: af(['East']) })), rule)).toBe(0);
  });
});

describe('pivot_table', () => {
  const pivot = (rowField: number, dataField: number, hidden = ''): BookSpec => ({
    workbookExtra: '',
    pivotCaches: [{ cacheId: 1, target: 'pivotCache/pivotCacheDefinition1.xml' }],
    sheets: [
      { name: 'Sheet1', cells: { A1: 'Product', B1: 'Channel', C1: 'Revenue' } },
      { name: 'Sheet2', cells: { A1: 'x' }, rels: [{ id: 'rIdP', type: 'pivotTable', target: '../pivotTables/pivotTable1.xml' }] },
    ],
    parts: {
      'xl/pivotTables/pivotTable1.xml': `<?xml version="1.0"?><pivotTableDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" name="DataPilot1" cacheId="1" dataCaption="Values"><location ref="A3:B6" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/><pivotFields count="3"><pivotField axis="axisRow" showAll="0"><items count="3"><item x="0"${hidden}/><item x="1"/><item t="default"/></items></pivotField><pivotField showAll="0"/><pivotField dataField="1" showAll="0"/></pivotFields><rowFields count="1"><field x="${rowField}"/></rowFields><dataFields count="1"><dataField name="Sum - Revenue" fld="${dataField}" subtotal="sum"/></dataFields></pivotTableDefinition>`,
      'xl/pivotTables/_rels/pivotTable1.xml.rels': `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/pivotCacheDefinition" Target="../pivotCache/pivotCacheDefinition1.xml"/></Relationships>`,
      'xl/pivotCache/pivotCacheDefinition1.xml': `<?xml version="1.0"?><pivotCacheDefinition xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cacheSource type="worksheet"><worksheetSource ref="A1:C20" sheet="Sheet1"/></cacheSource></pivotCacheDefinition>`,
    },
  });
  const rule = [{ type: 'pivot_table', sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', pivot_props: ['col_fields', 'filter', 'row_fields', 'data_fields'] }];

  it('compares source range, row/column/data fields and item selection', () => {
    expect(score(book(pivot(0, 2)), book(pivot(0, 2)), rule)).toBe(1);
    expect(score(book(pivot(1, 2)), book(pivot(0, 2)), rule)).toBe(0);
    expect(score(book(pivot(0, 1)), book(pivot(0, 2)), rule)).toBe(0);
    // a hidden item is a different selection
    expect(score(book(pivot(0, 2, ' h="1"')), book(pivot(0, 2)), rule)).toBe(0);
    expect(score(book(sheet1({ A1: 'x' })), book(pivot(0, 2)), [{ ...rule[0], sheet_idx0: 'RNSheet1' }])).toBe(0);
  });
});

describe('check_cell', () => {
  const fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>', '<fill><patternFill patternType="solid"><fgColor rgb="FF0000FF"/></patternFill></fill>'];
  const fonts = ['<font><sz val="11"/><color rgb="FF000000"/><name val="Calibri"/></font>', '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font>'];
  const xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>', '<xf numFmtId="0" fontId="1" fillId="2" borderId="0"/>'];

  it('value (the raw cached value, numbers as floats) and style properties against method/ref', () => {
    const withTitle = book({ sheets: [{ name: 'Sheet2', cells: { A1: { inline: 'Demographic Profile', s: 1 }, E3: { f: 'C3*D3*24', v: '191.66666667' } }, after: '<mergeCells><mergeCell ref="A1:C1"/></mergeCells>' }], fills, fonts, xfs });
    const cell = (coordinate: string, props: Record<string, unknown>) => [{ type: 'check_cell', sheet_idx: 'RNSheet2', coordinate, props }];
    expect(score(withTitle, null, cell('E3', { value: { method: 'approx:0.001', ref: 191.6667 } }))).toBe(1);
    expect(score(withTitle, null, cell('E3', { value: { method: 'approx:0.00001', ref: 191.6667 } }))).toBe(0);
    expect(score(withTitle, null, cell('A1', { bgcolor: { method: 'eq', ref: 'FF0000FF' }, font_bold: { method: 'eq', ref: true }, font_color: { method: 'eq', ref: 'FFFFFFFF' } }))).toBe(1);
    expect(score(withTitle, null, cell('B1', { merge: { method: 'eq', ref: true } }))).toBe(1);
    expect(score(withTitle, null, cell('D1', { merge: { method: 'eq', ref: false } }))).toBe(1);
    expect(score(withTitle, null, cell('A1', { value: { method: 'eq', ref: 'Demographic Profile' } }))).toBe(1);
    expect(() => score(withTitle, null, [{ type: 'check_cell', sheet_idx: 'RNSheet9', coordinate: 'A1', props: { value: { method: 'eq', ref: 1 } } }])).toThrow(ScoreZero);
  });

  it('a shared-string value matches its text', () => {
    const b = book({ sheets: [{ name: 'Sheet2', cells: { A1: 'Investment Summary' } }] });
    expect(score(b, null, [{ type: 'check_cell', sheet_idx: 'RNSheet2', coordinate: 'A1', props: { value: { method: 'eq', ref: 'Investment Summary' } } }])).toBe(1);
  });
});

describe('files that cannot be scored', () => {
  it('a missing result, an unreadable one, or an .ods scores 0 with the reason', () => {
    const gold = book(sheet1({ A1: 'x' }));
    const rule = [{ type: 'sheet_name' }];
    expect(() => score(path.join(dir, 'absent.xlsx'), gold, rule)).toThrow(/result file not found/);
    const junk = path.join(dir, 'junk.xlsx');
    writeFileSync(junk, 'not a zip');
    expect(() => score(junk, gold, rule)).toThrow(/cannot load the result workbook/);
    const ods = path.join(dir, 'sheet.ods');
    copyFileSync(gold, ods);
    expect(() => score(ods, gold, rule)).toThrow(/openpyxl does not support \.ods/);
    expect(() => compareTable(null, gold, { rules: rule })).toThrow(ScoreZero);
  });
});

describe('a workbook LibreOffice writes', () => {
  it('reads its cached formula values, merged cells, fills and fonts as openpyxl does', () => {
    const [lo] = convertWithLibreOffice([path.join(HERE, 'realistic.fods')], 'xlsx', path.join(dir, 'lo'));
    const cell = (coordinate: string, props: Record<string, unknown>) => ({ type: 'check_cell', sheet_idx: 'RNSheet2', coordinate, props });
    expect(
      score(lo!, lo!, [
        { type: 'sheet_name' },
        { type: 'sheet_data', sheet_idx0: 0, sheet_idx1: 'EI0' },
        { type: 'sheet_data', sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2' },
        cell('A1', { bgcolor: { method: 'eq', ref: 'FF0000FF' }, font_bold: { method: 'eq', ref: true }, font_color: { method: 'eq', ref: 'FFFFFFFF' }, value: { method: 'eq', ref: 'Demographic Profile' } }),
        cell('B1', { merge: { method: 'eq', ref: true } }),
        cell('D1', { merge: { method: 'eq', ref: false } }),
        cell('B2', { value: { method: 'eq', ref: 48 } }),
        { type: 'style', sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', props: ['bgcolor', 'font_bold'] },
      ]),
    ).toBe(1);
    // LibreOffice's default font has no colour: a font_color style rule fails there, as in the reference
    expect(() => score(lo!, lo!, [{ type: 'style', sheet_idx0: 0, sheet_idx1: 'EI0', props: ['font_color'] }])).toThrow(/no colour/);
    const other = book({ sheets: [{ name: 'Sheet1', cells: { A1: 'Week', B1: 'Sales', A2: 1, B2: 101 } }, { name: 'Sheet2' }] });
    expect(score(other, lo!, [{ type: 'sheet_data', sheet_idx0: 0, sheet_idx1: 'EI0' }])).toBe(0);
  });
});
