/**
 * The office-document metrics and getters, registered in metrics.ts and getters.ts. Each entry takes
 * (result, expected, options) like METRICS; OSWorld calls metric(result, expected, **options), so a metric that
 * takes no keyword options fails there when a task passes some, and fails here too (scored 0, the reason recorded).
 */
import { readFileSync } from 'node:fs';
import { UnsupportedError } from '../errors';
import * as docs from './docs';
import { attr, descendants, kid, NS, parseXml, textOf } from './ooxml';
import { checkPdfPages, comparePdfs } from './pdf';
import { comparePdfImages } from './pdf-images';
import * as slides from './slides';
import { compareConferenceCityInOrder, compareCsv, compareTable, ScoreZero } from './table';

export { OFFICE_GETTERS } from './getters';

export type OfficeMetric = (result: unknown, expected: unknown, options: Record<string, unknown>) => number | Promise<number>;

type OneArg = (result: unknown) => number | Promise<number>;
type TwoArgs = (result: unknown, expected: unknown) => number | Promise<number>;

function noOptions(name: string, options: Record<string, unknown>): void {
  const keys = Object.keys(options);
  if (keys.length) throw new Error(`${name}() got unexpected keyword argument(s) ${keys.join(', ')} (the reference raises TypeError)`);
}

/** A metric of the result alone (no expected getter). */
function one(name: string, fn: OneArg): OfficeMetric {
  return (result, expected, options) => {
    noOptions(name, options);
    if (expected !== undefined) throw new Error(`${name}() takes 1 positional argument but 2 were given (the reference raises TypeError)`);
    return fn(result);
  };
}

/** A metric of (result, expected); the expected value may be a rules object from a `rule` getter. */
function two(name: string, fn: TwoArgs): OfficeMetric {
  return (result, expected, options) => {
    noOptions(name, options);
    if (expected === undefined) throw new Error(`${name}() missing 1 required positional argument (no expected value: the task gives none, or its getter found nothing)`);
    return fn(result, expected);
  };
}

/** A metric of (result, expected, **options). */
function withOptions(name: string, fn: OfficeMetric): OfficeMetric {
  return (result, expected, options) => {
    if (expected === undefined) throw new Error(`${name}() missing 1 required positional argument (no expected value: the task gives none, or its getter found nothing)`);
    return fn(result, expected, options);
  };
}

/** Python's fnmatch.fnmatchcase pattern as a RegExp. */
function fnmatchRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[\\s\\S]*';
    else if (ch === '?') re += '[\\s\\S]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
        i = end;
      }
    } else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** check_libre_locale (libreoffice.py): ooSetupSystemLocale under an item whose path ends in L10N, else ooLocale; fnmatch against rules.locale_set. */
function checkLibreLocale(configFile: unknown, rules: unknown): number {
  if (typeof configFile !== 'string') throw new ScoreZero('the configuration file was not found (None)');
  let root;
  try {
    root = parseXml(readFileSync(configFile, 'utf8'));
  } catch (error) {
    throw new ScoreZero(`cannot read ${configFile}: ${(error as Error).message}`);
  }
  const values = (name: string) =>
    descendants(root, '', 'item')
      .filter((i) => (attr(i, 'path', NS.oor) ?? '').endsWith('L10N'))
      .flatMap((i) => descendants(i, '', 'prop').filter((p) => attr(p, 'name', NS.oor) === name && kid(p, '', 'value')))
      .map((p) => textOf(kid(p, '', 'value')));
  const setup = values('ooSetupSystemLocale');
  const locale = setup.length ? setup[0]! : values('ooLocale')[0];
  if (locale === undefined) throw new Error('no ooSetupSystemLocale or ooLocale in the configuration (the reference raises IndexError)');
  const patterns = (rules as { locale_set?: unknown } | null)?.locale_set;
  if (!Array.isArray(patterns)) throw new Error('rules.locale_set must be a list of patterns');
  return patterns.some((p) => fnmatchRegex(String(p)).test(locale)) ? 1 : 0;
}

export const OFFICE_METRICS: Record<string, OfficeMetric> = {
  // table.py
  compare_table: (result, expected, options) => compareTable(result, expected, options),
  compare_csv: withOptions('compare_csv', compareCsv),
  compare_conference_city_in_order: two('compare_conference_city_in_order', compareConferenceCityInOrder),
  // docs.py
  compare_docx_files: withOptions('compare_docx_files', docs.compareDocxFiles),
  compare_init_lines: two('compare_init_lines', docs.compareInitLines),
  compare_docx_tables: two('compare_docx_tables', docs.compareDocxTables),
  compare_docx_images: two('compare_docx_images', docs.compareDocxImages),
  compare_line_spacing: two('compare_line_spacing', docs.compareLineSpacing),
  compare_insert_equation: two('compare_insert_equation', docs.compareInsertEquation),
  compare_font_names: two('compare_font_names', docs.compareFontNames),
  compare_subscript_contains: two('compare_subscript_contains', docs.compareSubscriptContains),
  has_page_numbers_in_footers: one('has_page_numbers_in_footers', docs.hasPageNumbersInFooters),
  is_first_line_centered: one('is_first_line_centered', docs.isFirstLineCentered),
  check_tabstops: withOptions('check_tabstops', docs.checkTabstops),
  compare_contains_image: two('compare_contains_image', docs.compareContainsImage),
  evaluate_colored_words_in_tables: withOptions('evaluate_colored_words_in_tables', docs.evaluateColoredWordsInTables),
  check_highlighted_words: two('check_highlighted_words', docs.checkHighlightedWords),
  evaluate_strike_through_last_paragraph: two('evaluate_strike_through_last_paragraph', docs.evaluateStrikeThroughLastParagraph),
  evaluate_conversion: one('evaluate_conversion', docs.evaluateConversion),
  evaluate_spacing: one('evaluate_spacing', docs.evaluateSpacing),
  check_italic_font_size_14: two('check_italic_font_size_14', docs.checkItalicFontSize14),
  evaluate_alignment: one('evaluate_alignment', docs.evaluateAlignment),
  check_no_duplicates: two('check_no_duplicates', docs.checkNoDuplicates),
  compare_docx_lines: two('compare_docx_lines', docs.compareDocxLines),
  compare_docx_files_and_ignore_new_lines: withOptions('compare_docx_files_and_ignore_new_lines', docs.compareDocxFilesAndIgnoreNewLines),
  compare_highlighted_text: two('compare_highlighted_text', docs.compareHighlightedText),
  compare_references: withOptions('compare_references', docs.compareReferences),
  compare_unique_train_records: (result, expected, options) => {
    const extra = Object.keys(options);
    if (extra.length) throw new UnsupportedError(`compare_unique_train_records option ${extra.join(', ')}`);
    return docs.compareUniqueTrainRecords(result, expected);
  },
  contains_page_break: two('contains_page_break', docs.containsPageBreak),
  find_default_font: two('find_default_font', docs.findDefaultFont),
  // general.py
  fuzzy_place_math: two('fuzzy_place_math', docs.fuzzyPlaceMath),
  // slides.py
  compare_pptx_files: withOptions('compare_pptx_files', slides.comparePptxFiles),
  check_presenter_console_disable: one('check_presenter_console_disable', slides.checkPresenterConsoleDisable),
  check_image_stretch_and_center: two('check_image_stretch_and_center', slides.checkImageStretchAndCenter),
  check_slide_numbers_color: one('check_slide_numbers_color', slides.checkSlideNumbersColor),
  check_strikethrough: two('check_strikethrough', slides.checkStrikethrough),
  check_slide_orientation_Portrait: one('check_slide_orientation_Portrait', slides.checkSlideOrientationPortrait),
  evaluate_presentation_fill_to_rgb_distance: two('evaluate_presentation_fill_to_rgb_distance', slides.evaluatePresentationFillToRgbDistance),
  check_transition: two('check_transition', slides.checkTransition),
  check_page_number_colors: two('check_page_number_colors', slides.checkPageNumberColors),
  check_auto_saving_time: two('check_auto_saving_time', slides.checkAutoSavingTime),
  // pdf.py, chrome.py (compare_pdfs), libreoffice.py
  check_pdf_pages: two('check_pdf_pages', checkPdfPages),
  compare_pdfs: two('compare_pdfs', comparePdfs),
  compare_pdf_images: two('compare_pdf_images', comparePdfImages),
  check_libre_locale: two('check_libre_locale', checkLibreLocale),
};
