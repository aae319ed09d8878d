/**
 * The document metrics on .docx files the tests write (and .odt files LibreOffice converts), as the reference's
 * python-docx / odfpy reading scores them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OFFICE_METRICS } from '../../../app/tasks/office';
import * as docs from '../../../app/tasks/office/docs';
import { ScoreZero } from '../../../app/tasks/office/table';
import { tempDir } from '../helpers';
import { convertWithLibreOffice, docx, esc, p, run, sectPr } from './build';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await tempDir('docs');
});
const doc = (body: string, extra: Partial<Parameters<typeof docx>[1]> = {}) => docx(path.join(dir, `d${n++}.docx`), { body, ...extra });

describe('compare_docx_files', () => {
  it('by default compares the whole text with runs of whitespace collapsed', () => {
    const a = doc(p('Hello   world') + p('Second'));
    const b = doc(p('Hello world') + p(' Second '));
    const c = doc(p('Hello world') + p('Third'));
    expect(docs.compareDocxFiles(a, b)).toBe(1);
    expect(docs.compareDocxFiles(a, c)).toBe(0);
  });

  it('ignore_blanks: false compares paragraph by paragraph, exactly', () => {
    const a = doc(p('Hello world') + p('Second'));
    const b = doc(p('Hello world') + p(' Second '));
    expect(docs.compareDocxFiles(a, b, { ignore_blanks: false })).toBe(0);
    expect(docs.compareDocxFiles(a, doc(p('Hello world') + p('Second')), { ignore_blanks: false })).toBe(1);
  });

  it('ignore_case, ignore_order and delete_empty_lines', () => {
    const a = doc(p('Beta') + p('alpha') + p(''));
    const b = doc(p('Alpha') + p('beta'));
    expect(docs.compareDocxFiles(a, b, { ignore_blanks: false })).toBe(0);
    expect(docs.compareDocxFiles(a, b, { ignore_blanks: false, ignore_case: true, ignore_order: true, delete_empty_lines: true })).toBe(0); // order is sorted before case is folded: "Beta" < "alpha"
    expect(docs.compareDocxFiles(a, doc(p('Beta') + p('alpha')), { ignore_blanks: false, ignore_order: true, delete_empty_lines: true })).toBe(1);
  });

  it('content_only and fuzzy_match give rapidfuzz ratios; a threshold turns them into 0 or 1', () => {
    const a = doc(p('this is a test'));
    const b = doc(p('this is a test!'));
    // rapidfuzz.fuzz.ratio("this is a test", "this is a test!") = 96.55172413793103
    expect(docs.compareDocxFiles(a, b, { content_only: true })).toBeCloseTo(0.9655172413793103, 12);
    expect(docs.compareDocxFiles(a, b, { fuzzy_match: true })).toBeCloseTo(0.9655172413793103, 12);
    expect(docs.compareDocxFiles(a, b, { fuzzy_match: true, fuzzy_match_threshold: 0.97 })).toBe(0);
    expect(docs.compareDocxFiles(a, b, { fuzzy_match: true, fuzzy_match_threshold: 0.95 })).toBe(1);
  });

  it('reads paragraphs as python-docx does: tabs and line breaks print, page breaks and deleted text do not, hyperlink text counts', () => {
    const a = doc(`<w:p>${run('one')}<w:r><w:tab/><w:t>two</w:t><w:br/><w:t>three</w:t><w:br w:type="page"/></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:hyperlink r:id="x"><w:r><w:t>link</w:t></w:r></w:hyperlink></w:p>`);
    const b = doc(p('one\ttwo\nthreelink'));
    // b writes the tab and the line break as characters of one w:t: python-docx reads the same text
    expect(docs.compareDocxFiles(a, b, { ignore_blanks: false })).toBe(1);
    expect(docs.compareDocxFiles(a, doc(p('one\ttwo\nthreegonelink')), { ignore_blanks: false })).toBe(0);
    const c = doc(`<w:p>${run('one')}<w:r><w:tab/><w:t>two</w:t><w:br/><w:t>three</w:t></w:r>${run('link')}</w:p>`);
    expect(docs.compareDocxFiles(a, c, { ignore_blanks: false })).toBe(1);
  });

  it('.odt against .odt through odfpy\'s paragraph text; mixed types and missing files score 0 with a reason', () => {
    const fodt = (text: string, name: string) => {
      const f = path.join(dir, `${name}.fodt`);
      writeFileSync(
        f,
        `<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text"><office:body><office:text>${text
          .split('\n')
          .map((t) => `<text:p>${esc(t)}</text:p>`)
          .join('')}</office:text></office:body></office:document>`,
      );
      return f;
    };
    const [a, b, c] = convertWithLibreOffice([fodt('Hello world\nSecond', 'oa'), fodt('Hello world\nSecond', 'ob'), fodt('Hello world\nOther', 'oc')], 'odt', path.join(dir, 'odt'));
    expect(docs.compareDocxFiles(a, b)).toBe(1);
    expect(docs.compareDocxFiles(a, c)).toBe(0);
    expect(() => docs.compareDocxFiles(a, doc(p('Hello world')))).toThrow(/not both \.docx or both \.odt/);
    expect(() => docs.compareDocxFiles(path.join(dir, 'missing.docx'), doc(p('x')))).toThrow(ScoreZero);
    expect(() => docs.compareDocxFiles(null, doc(p('x')))).toThrow(/not found/);
  });
});

describe('paragraph and run checks', () => {
  it('compare_font_names: every run of the body has the font (runs without their own font fail)', () => {
    const tnr = '<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"/>';
    expect(docs.compareFontNames(doc(p('a', '', tnr) + p('b', '', tnr)), { font_name: 'Times New Roman' })).toBe(1);
    expect(docs.compareFontNames(doc(p('a', '', tnr) + p('b')), { font_name: 'Times New Roman' })).toBe(0);
  });

  it('compare_line_spacing: text first, then each paragraph\'s own line spacing (auto as a multiple)', () => {
    const dbl = '<w:spacing w:line="480" w:lineRule="auto"/>';
    const gold = doc(p('one', dbl) + p('two', dbl) + p('three'));
    expect(docs.compareLineSpacing(doc(p('one', dbl) + p('two', dbl) + p('three')), gold)).toBe(1);
    expect(docs.compareLineSpacing(doc(p('one', dbl) + p('two') + p('three')), gold)).toBe(0);
    expect(docs.compareLineSpacing(doc(p('one', dbl) + p('two', dbl) + p('four')), gold)).toBe(0);
    expect(docs.evaluateSpacing(doc(p('a', '<w:spacing w:line="240"/>') + p('b', dbl) + p('c', '<w:spacing w:line="360" w:lineRule="auto"/>')))).toBe(1);
  });

  it('is_first_line_centered, subscripts, strike-through of the last paragraph, italic size 14', () => {
    expect(docs.isFirstLineCentered(doc(p('Title', '<w:jc w:val="center"/>') + p('body')))).toBe(1);
    expect(docs.isFirstLineCentered(doc(p('Title') + p('body', '<w:jc w:val="center"/>')))).toBe(0);
    const h2o = (sub: boolean) => doc(`<w:p>${run('H')}${run('2', sub ? '<w:vertAlign w:val="subscript"/>' : '')}${run('O')}</w:p>`);
    expect(docs.compareSubscriptContains(h2o(true), h2o(true))).toBe(1);
    expect(docs.compareSubscriptContains(h2o(false), h2o(true))).toBe(0);
    const struck = doc(p('keep') + `<w:p>${run('gone', '<w:strike/>')}${run(' too', '<w:strike/>')}</w:p>`);
    expect(docs.evaluateStrikeThroughLastParagraph(struck, struck)).toBe(1);
    const half = doc(p('keep') + `<w:p>${run('gone', '<w:strike/>')}${run(' too')}</w:p>`);
    expect(docs.evaluateStrikeThroughLastParagraph(half, half)).toBe(0);
    const it14 = doc(`<w:p>${run('a', '<w:i/><w:sz w:val="28"/>')}${run('b')}</w:p>`);
    expect(docs.checkItalicFontSize14(it14, it14)).toBe(1);
    const it12 = doc(`<w:p>${run('a', '<w:i/><w:sz w:val="24"/>')}</w:p>`);
    expect(docs.checkItalicFontSize14(it12, it12)).toBe(0);
  });

  it('check_tabstops: same tab stops (alignment) and the score falls with their distance over the text width', () => {
    const tabs = (pos: number) => `<w:tabs><w:tab w:val="right" w:pos="${pos}"/></w:tabs>`;
    const gold = doc(p('one two three\tfour five', tabs(9360)));
    expect(docs.checkTabstops(doc(p('one two three\tfour five', tabs(9360))), gold, { word_number_split_by_tabstop: 3, index: 0 })).toBe(1);
    // 936 twips off on a 9360-twip text width: 1 - 0.1
    expect(docs.checkTabstops(doc(p('one two three\tfour five', tabs(8424))), gold, {})).toBeCloseTo(0.9, 12);
    expect(docs.checkTabstops(doc(p('one two\tthree four five', tabs(9360))), gold, { word_number_split_by_tabstop: 3, index: 0 })).toBe(0);
    expect(docs.checkTabstops(doc(p('one two three\tfour five', '<w:tabs><w:tab w:val="center" w:pos="9360"/></w:tabs>')), gold, {})).toBe(0);
  });

  it('has_page_numbers_in_footers: a digit in each section\'s footer', () => {
    const field = '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>';
    expect(docs.hasPageNumbersInFooters(doc(p('body'), { footer: field }))).toBe(1);
    expect(docs.hasPageNumbersInFooters(doc(p('body'), { footer: p('Confidential') }))).toBe(0);
    expect(docs.hasPageNumbersInFooters(doc(p('body')))).toBe(0);
  });

  it('contains_page_break counts w:br type="page" in body runs', () => {
    const br = `<w:p><w:r><w:br w:type="page"/></w:r></w:p>`;
    expect(docs.containsPageBreak(doc(p('a') + br + p('b')), {})).toBe(1);
    expect(docs.containsPageBreak(doc(p('a') + br + p('b')), { page_break_count: 2 })).toBe(0);
    expect(docs.containsPageBreak(doc(p('a') + p('b')), {})).toBe(0);
  });
});

describe('tables, colours, highlights', () => {
  const tbl = (cells: string[][], rPr = '') =>
    `<w:tbl><w:tblGrid>${cells[0]!.map(() => '<w:gridCol w:w="2000"/>').join('')}</w:tblGrid>${cells
      .map((row) => `<w:tr>${row.map((c) => `<w:tc><w:p>${run(c, rPr)}</w:p></w:tc>`).join('')}</w:tr>`)
      .join('')}</w:tbl>`;

  it('compare_docx_tables: same shape and cell texts', () => {
    const gold = doc(tbl([['a', 'b'], ['c', 'd']]) + p(''));
    expect(docs.compareDocxTables(doc(tbl([['a', 'b'], ['c', 'd']]) + p('')), gold)).toBe(1);
    expect(docs.compareDocxTables(doc(tbl([['a', 'b'], ['c', 'x']]) + p('')), gold)).toBe(0);
    expect(docs.compareDocxTables(doc(tbl([['a', 'b']]) + p('')), gold)).toBe(0);
  });

  it('evaluate_colored_words_in_tables: words starting with a vowel red, others blue, within CIEDE2000 3.5', () => {
    const coloured = (first: string, second: string) =>
      doc(`<w:tbl><w:tblGrid><w:gridCol w:w="2000"/></w:tblGrid><w:tr><w:tc><w:p>${run('apple', `<w:color w:val="${first}"/>`)}</w:p></w:tc></w:tr><w:tr><w:tc><w:p>${run('pear', `<w:color w:val="${second}"/>`)}</w:p></w:tc></w:tr></w:tbl>${p('')}`);
    const good = coloured('FF0000', '0000FF');
    expect(docs.evaluateColoredWordsInTables(good, good)).toBe(1);
    const near = coloured('FE0101', '0000FF');
    expect(docs.evaluateColoredWordsInTables(near, near)).toBe(1);
    const swapped = coloured('0000FF', 'FF0000');
    expect(docs.evaluateColoredWordsInTables(swapped, swapped)).toBe(0);
    expect(docs.colorDifference('FF0000', [255, 0, 0])).toBe(0);
  });

  it('compare_highlighted_text compares the set of highlighted run texts', () => {
    const hl = (words: string[]) => doc(`<w:p>${words.map((w) => run(w, '<w:highlight w:val="yellow"/>')).join('')}${run(' plain')}</w:p>`);
    expect(docs.compareHighlightedText(hl(['a', 'b']), hl(['b', 'a']))).toBe(1);
    expect(docs.compareHighlightedText(hl(['a']), hl(['a', 'b']))).toBe(0);
  });
});

describe('through the registry', () => {
  it('options a metric does not take, and a missing expected value, fail with the reason', async () => {
    const a = doc(p('x'));
    await expect(async () => OFFICE_METRICS.is_first_line_centered!(a, undefined, { strict: true })).rejects.toThrow(/unexpected keyword/);
    await expect(async () => OFFICE_METRICS.compare_docx_files!(a, undefined, {})).rejects.toThrow(/missing 1 required positional argument/);
    await expect(async () => OFFICE_METRICS.compare_docx_files!(a, a, { ignore_whitespace: true })).rejects.toThrow(/compare_docx_files option ignore_whitespace/);
    expect(await OFFICE_METRICS.compare_docx_files!(a, a, {})).toBe(1);
  });

  it('a document whose XML is broken scores 0 with the reason', () => {
    const broken = docx(path.join(dir, 'broken.docx'), { body: p('x') + sectPr() });
    writeFileSync(broken, 'PK not really');
    expect(() => docs.isFirstLineCentered(broken)).toThrow(/cannot open the result document/);
  });
});

describe('fuzzy_place_math (general.py)', () => {
  const answers = { expected: ['abcdef', 'ghijkl'] };

  it('each of exactly three words scores its best fuzz.ratio against the answers; the score is their mean', () => {
    // "abcdef" 1.0; "ghijkx" vs "ghijkl": 2 * 5 / 12; "zzz" shares nothing: 0
    expect(docs.fuzzyPlaceMath(doc(p('abcdef') + p('ghijkx') + p('zzz')), answers)).toBeCloseTo((1 + 10 / 12 + 0) / 3, 12);
    // words are split on whitespace across paragraphs, blank paragraphs add none
    expect(docs.fuzzyPlaceMath(doc(p('abcdef  ghijkl') + p('') + p(' abcdef ')), answers)).toBe(1);
    // two or four words: 0
    expect(docs.fuzzyPlaceMath(doc(p('abcdef') + p('ghijkl')), answers)).toBe(0);
    expect(docs.fuzzyPlaceMath(doc(p('abcdef ghijkl abcdef ghijkl')), answers)).toBe(0);
  });

  it('through the metric table with the published task\'s rules (7ff48d5b): three police-station addresses', async () => {
    const rules = { expected: ['深圳市福田区正义街1号', '福田区振兴路108号', '深圳市福田区滨河大道2033号'] };
    const saved = doc(p('深圳市福田区正义街1号') + p('福田区振兴路108号') + p('深圳市福田区滨河大道2033号'));
    expect(await OFFICE_METRICS.fuzzy_place_math!(saved, rules, {})).toBe(1);
    // one address typed with a digit missing (14 of 15 characters): 2 * 14 / 29 against the closest answer
    const typo = doc(p('深圳市福田区正义街1号') + p('福田区振兴路108号') + p('深圳市福田区滨河大道203号'));
    expect(await OFFICE_METRICS.fuzzy_place_math!(typo, rules, {})).toBeCloseTo((1 + 1 + (2 * 14) / 29) / 3, 12);
    await expect(async () => OFFICE_METRICS.fuzzy_place_math!(null, rules, {})).rejects.toThrow(ScoreZero);
  });
});
