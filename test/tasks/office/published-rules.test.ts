/**
 * Every compare_table option set found in the published libreoffice_calc tasks (xlang-ai/OSWorld
 * evaluation_examples, read through public copies) goes through the rule parser: each must be understood whole,
 * and a rule kind or key the reference does not read must be refused rather than ignored. Also the other
 * metrics' published option sets.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../../app/tasks/errors';
import { isKnownMetric } from '../../../app/tasks/metrics';
import { isKnownGetter } from '../../../app/tasks/getters';
import { OFFICE_METRICS } from '../../../app/tasks/office';
import { parseTableRules } from '../../../app/tasks/office/table';
import { loadTaskFile, loadTasks } from '../../../app/tasks/schema';
import path from 'node:path';
import { EXAMPLES, FIXTURES, taskPath } from '../helpers';

/** task id -> evaluator.options of its compare_table metric, as published. */
const PUBLISHED: Record<string, unknown> = {
  '01b269ae-2111-4a07-81fd-3fcd711993b0': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '0326d92d-d218-48a8-9ca1-981cd6d064c7': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }, { chart_props: ['type', 'title'], sheet_idx0: 0, sheet_idx1: 'EI0', type: 'chart' }] },
  '035f41ba-6653-43ab-aa63-c86d449d62e5': { rules: [{ sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1', type: 'sheet_data' }, { sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'sheet_data' }] },
  '04d9aeaf-7bed-4024-bedb-e10e6f00eb7f': { rules: [{ sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'sheet_data' }] },
  '0a2e43bf-b26c-4631-a966-af9dfa12c9e5': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }, { chart_props: ['type'], sheet_idx0: 0, sheet_idx1: 'EI0', type: 'chart' }] },
  '0bf05a7d-b28b-44d2-955a-50b41e24012a': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_print' }] },
  '0cecd4f3-74de-457b-ba94-29ad6b5dafb6': { rules: [{ type: 'sheet_name' }, { sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }, { sheet_idx0: 1, sheet_idx1: 'EI1', type: 'sheet_data' }, { sheet_idx0: 2, sheet_idx1: 'EI2', type: 'sheet_data' }] },
  '12382c62-0cd1-4bf2-bdc8-1d20bf9b2371': { rules: [{ chart_props: ['type', 'title'], sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'chart' }] },
  '1273e544-688f-496b-8d89-3e0f40aa0606': { rules: [{ sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'sheet_data' }] },
  '1334ca3e-f9e3-4db8-9ca7-b4c653be7d17': { rules: [{ method: 'lt', ref: 260, sheet_idx: 0, type: 'zoom' }, { sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '1954cced-e748-45c4-9c26-9855b97fbc5e': { rules: [{ pivot_props: ['col_fields', 'filter', 'row_fields', 'data_fields'], sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'pivot_table' }] },
  '1d17d234-e39d-4ed7-b46f-4417922a4e7c': {
    rules: [
      { coordinate: 'A1', props: { value: { method: 'eq', ref: 'Investment Summary' } }, sheet_idx: 'RNSheet2', type: 'check_cell' },
      { coordinate: 'B1', props: { merge: { method: 'eq', ref: true } }, sheet_idx: 'RNSheet2', type: 'check_cell' },
      { coordinate: 'C1', props: { merge: { method: 'eq', ref: true } }, sheet_idx: 'RNSheet2', type: 'check_cell' },
      { coordinate: 'D1', props: { merge: { method: 'eq', ref: false } }, sheet_idx: 'RNSheet2', type: 'check_cell' },
      { coordinate: 'A2', props: { value: { method: 'eq', ref: 'High Interest Rate' } }, sheet_idx: 'RNSheet2', type: 'check_cell' },
      { coordinate: 'B2', props: { merge: { method: 'eq', ref: true } }, sheet_idx: 'RNSheet2', type: 'check_cell' },
    ],
  },
  '1de60575-bb6e-4c3d-9e6a-2fa699f9f197': { rules: [{ pivot_props: ['col_fields', 'filter', 'row_fields', 'data_fields'], sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'pivot_table' }] },
  '1e8df695-bd1b-45b3-b557-e7d599cf7597': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '21ab7b40-77c2-4ae6-8321-e00d3a086c73': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }, { props: ['font_color'], sheet_idx0: 0, sheet_idx1: 'EI0', type: 'style' }] },
  '21df9241-f8d7-4509-b7f1-37e501a823f7': { rules: [{ ignore_case: true, sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1', type: 'sheet_print' }] },
  '26a8440e-c166-4c50-aef4-bfb77314b46b': { rules: [{ sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'sheet_data' }] },
  '30e3e107-1cfb-46ee-a755-2cd080d7ba6a': {
    rules: [
      { pivot_props: ['col_fields', 'filter', 'row_fields', 'data_fields'], sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'pivot_table' },
      { coordinate: 'A1', props: { bgcolor: { method: 'eq', ref: 'FF0000FF' }, font_bold: { method: 'eq', ref: true }, font_color: { method: 'eq', ref: 'FFFFFFFF' }, value: { method: 'eq', ref: 'Demographic Profile' } }, sheet_idx: 'RNSheet2', type: 'check_cell' },
    ],
  },
  '347ef137-7eeb-4c80-a3bb-0951f26a8aff': { rules: [{ chart_props: ['type', 'direction'], sheet_idx0: 0, sheet_idx1: 'EI0', type: 'chart' }, { sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '357ef137-7eeb-4c80-a3bb-0951f26a8aff': { rules: [{ coordinate: 'E3', props: { value: { method: 'approx:0.001', ref: 191.6667 } }, sheet_idx: 0, type: 'check_cell' }] },
  '37608790-6147-45d0-9f20-1137bb35703d': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '3a7c8185-25c1-4941-bd7b-96e823c9f21f': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }, { chart_props: ['type'], sheet_idx0: 0, sheet_idx1: 'EI0', type: 'chart' }] },
  '4172ea6e-6b77-4edb-a9cc-c0014bd1603b': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '4188d3a4-077d-46b7-9c86-23e1a036f6c1': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'freeze' }, { sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '42e0a640-4f19-4b28-973d-729602b5a4a7': { rules: [{ sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'sheet_data' }] },
  '4de54231-e4b5-49e3-b2ba-61a0bec721c0': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '4e6fcf72-daf3-439f-a232-c434ce416af6': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '4f07fbe9-70de-4927-a4d5-bb28bc12c52c': { rules: [{ sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1', type: 'sheet_print' }] },
  '51719eea-10bc-4246-a428-ac7c433dd4b3': { rules: [{ pivot_props: ['col_fields', 'filter', 'row_fields', 'data_fields'], sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'pivot_table' }] },
  '51b11269-2ca8-4b2a-9163-f21758420e78': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '535364ea-05bd-46ea-9937-9f55c68507e8': { rules: [{ pivot_props: ['col_fields', 'filter', 'row_fields', 'data_fields'], sheet_idx0: 'RNSheet2', sheet_idx1: 'ENSheet2', type: 'pivot_table' }] },
  '6054afcb-5bab-4702-90a0-b259b5d3217c': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }, { props: ['hidden'], sheet_idx0: 0, sheet_idx1: 'EI0', type: 'row_props' }] },
  '6e99a1ad-07d2-4b66-a1ce-ece6d99c20a5': { rules: [{ sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1', type: 'sheet_print' }] },
  '7a4e4bc8-922c-4c84-865c-25ba34136be1': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '7e429b8d-a3f0-4ed0-9b58-08957d00b127': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '7efeb4b1-3d19-4762-b163-63328d66303b': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  '8b1ce5f2-59d2-4dcc-b0b0-666a714b9a14': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }, { props: ['bgcolor'], sheet_idx0: 0, sheet_idx1: 'EI0', type: 'style' }] },
  'a01fbce3-2793-461f-ab86-43680ccbae25': { rules: [{ sheet_idx0: 'RNSheet1', sheet_idx1: 'ENSheet1', type: 'sheet_print' }] },
  'a9f325aa-8c05-4e4f-8341-9e4358565f4f': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  'abed40dc-063f-4598-8ba5-9fe749c0615d': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  'd681960f-7bc3-4286-9913-a8812ba3261a': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  'eb03d19a-b88d-4de4-8a64-ca0ac66f426b': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
  'ecb0df7a-4e8d-4a03-b162-053391d3afaf': {
    rules: [
      { sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' },
      { dv_props: [{ formula1: { method: 'str_set_eq', ref: ['Pass', 'Fail', 'Held'] }, ranges: { method: 'spreadsheet_range', ref: ['D2:D29', 'D1:D1048576'] }, type: { method: 'eq', ref: 'list' } }], sheet_idx: 0, type: 'data_validation' },
    ],
  },
  'f9584479-3d0d-4c79-affa-9ad7afdd8850': { rules: [{ sheet_idx0: 0, sheet_idx1: 'EI0', type: 'sheet_data' }] },
};

describe('published compare_table option sets', () => {
  it.each(Object.entries(PUBLISHED))('%s parses completely', (_id, options) => {
    const rules = parseTableRules(options as Record<string, unknown>);
    expect(rules.length).toBe((options as { rules: unknown[] }).rules.length);
    // nothing of a published rule is dropped by the parser
    expect(rules).toEqual((options as { rules: unknown[] }).rules);
  });

  it('a rule kind or a key the reference does not read is refused with where it is', () => {
    expect(() => parseTableRules({ rules: [{ type: 'sheet_data', sheet_idx0: 0, sheet_idx1: 'EI0', tolerance: 2 }] })).toThrow(UnsupportedError);
    expect(() => parseTableRules({ rules: [{ type: 'sheet_data', sheet_idx0: 0, sheet_idx1: 'EI0', tolerance: 2 }] })).toThrow(/rule 1 .*tolerance/);
    expect(() => parseTableRules({ rules: [{ type: 'sheet_vibes', sheet_idx0: 0, sheet_idx1: 'EI0' }] })).toThrow(/rule 1/);
    expect(() => parseTableRules({ rules: [{ type: 'freeze', sheet_idx0: 'XX0', sheet_idx1: 'EI0' }] })).toThrow(/RI<n>, RN<name>, EI<n> or EN<name>/);
    expect(() => parseTableRules({ rules: [], strict: true })).toThrow(/strict/);
  });

  it('every compare_table in the 369 published task files parses whole, and the tasks of the table above are among them', async () => {
    const { tasks } = await loadTasks(path.join(FIXTURES, 'test_all.json'), { examplesDir: EXAMPLES });
    const found: Record<string, unknown> = {};
    for (const { id, task } of tasks) {
      const funcs = [task.evaluator.func].flat();
      const options = Array.isArray(task.evaluator.options) ? task.evaluator.options : funcs.map(() => task.evaluator.options ?? {});
      funcs.forEach((func, i) => {
        if (func !== 'compare_table') return;
        const set = (options[i] ?? {}) as Record<string, unknown>;
        expect(() => parseTableRules(set), `${id} #${i}`).not.toThrow();
        expect(parseTableRules(set), id).toEqual((set as { rules?: unknown[] }).rules ?? []);
        if (funcs.length === 1) found[id] = set;
      });
    }
    // The table above was read from other public copies; the fixture files may be another version of a task
    // (0cecd4f3 compares sheet 0 with EI0 there, with sheet 1 here): both must parse, and every task is here.
    expect(Object.keys(PUBLISHED).filter((id) => !(id in found))).toEqual([]);
  });

  it('the published task 6e99a1ad reads as the task runner reads it, and its metric and getters are known', async () => {
    const task = await loadTaskFile(taskPath('libreoffice_calc', '6e99a1ad-07d2-4b66-a1ce-ece6d99c20a5'));
    expect(task.evaluator.func).toBe('compare_table');
    expect(parseTableRules(task.evaluator.options as Record<string, unknown>)).toEqual(PUBLISHED['6e99a1ad-07d2-4b66-a1ce-ece6d99c20a5'] && (PUBLISHED['6e99a1ad-07d2-4b66-a1ce-ece6d99c20a5'] as { rules: unknown[] }).rules);
    expect(isKnownMetric('compare_table')).toBe(true);
    expect(isKnownGetter('vm_file') && isKnownGetter('cloud_file')).toBe(true);
  });
});

describe('the office registry', () => {
  it('every office metric and getter is known to the task runner', () => {
    for (const name of Object.keys(OFFICE_METRICS)) expect(isKnownMetric(name), name).toBe(true);
    for (const name of ['content_from_vm_file', 'audio_in_slide', 'background_image_in_slide']) expect(isKnownGetter(name), name).toBe(true);
  });
});
