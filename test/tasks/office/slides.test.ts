/**
 * compare_pptx_files and the other slide checks on presentations the tests write, and the slide media getters.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DownloadCache } from '../../../app/tasks/cache';
import type { Environment } from '../../../app/tasks/environment';
import { GETTERS } from '../../../app/tasks/getters';
import * as slides from '../../../app/tasks/office/slides';
import { tempDir } from '../helpers';
import { convertWithLibreOffice, pptx, sp, type DeckSpec } from './build';

const HERE = path.dirname(fileURLToPath(import.meta.url));

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await tempDir('slides');
});
const deck = (spec: DeckSpec) => pptx(path.join(dir, `s${n++}.pptx`), spec);
const one = (shapes: string, extra: Partial<DeckSpec['slides'][number]> = {}) => deck({ slides: [{ shapes, ...extra }] });
const box = { x: 914400, y: 914400, cx: 4572000, cy: 914400 };

describe('compare_pptx_files', () => {
  it('identical decks score 1; text, run fonts and positions are compared by default', () => {
    const gold = one(sp(2, 'Hello', { ...box, rPr: 'sz="2400" b="1"' }));
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, rPr: 'sz="2400" b="1"' })), gold)).toBe(1);
    expect(slides.comparePptxFiles(one(sp(2, 'Hullo', { ...box, rPr: 'sz="2400" b="1"' })), gold)).toBe(0);
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, rPr: 'sz="2800" b="1"' })), gold)).toBe(0);
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, rPr: 'sz="2800" b="1"' })), gold, { examine_font_size: false })).toBe(1);
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, x: 1828800, rPr: 'sz="2400" b="1"' })), gold)).toBe(0);
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, x: 1828800, rPr: 'sz="2400" b="1"' })), gold, { examine_shape: false })).toBe(1);
  });

  it('positions within the relative tolerance (0.5% by default) are equal', () => {
    const gold = one(sp(2, 'Hello', box));
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, x: box.x + 4000 })), gold)).toBe(1);
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, x: box.x + 6000 })), gold)).toBe(0);
    expect(slides.comparePptxFiles(one(sp(2, 'Hello', { ...box, x: box.x + 6000 })), gold, { approximately_tolerance: 0.01 })).toBe(1);
  });

  it('unset bold equals bold="0", unset alignment equals left; a different colour fails', () => {
    const gold = one(sp(2, 'Hi', { ...box, rPr: 'b="0"', pPr: 'algn="l"' }));
    expect(slides.comparePptxFiles(one(sp(2, 'Hi', box)), gold)).toBe(1);
    expect(slides.comparePptxFiles(one(sp(2, 'Hi', { ...box, pPr: 'algn="ctr"' })), gold)).toBe(0);
    const red = sp(2, 'Hi', box).replace('<a:rPr lang="en-US" />', '<a:rPr lang="en-US"><a:solidFill><a:srgbClr val="FF0000"/></a:solidFill></a:rPr>');
    const yellow = red.replace('FF0000', 'FFFF00');
    expect(red).not.toBe(sp(2, 'Hi', box));
    expect(slides.comparePptxFiles(one(red), one(yellow))).toBe(0);
    expect(slides.comparePptxFiles(one(red), one(yellow), { examine_color_rgb: false })).toBe(1);
    // a run without its own colour is not compared for colour
    expect(slides.comparePptxFiles(one(red), one(sp(2, 'Hi', box)))).toBe(1);
  });

  it('slide count, shape count, notes and background colour', () => {
    const gold = deck({ slides: [{ shapes: sp(2, 'A', box), notes: 'say hi', bg: '<p:bgPr><a:solidFill><a:srgbClr val="FFFF00"/></a:solidFill><a:effectLst/></p:bgPr>' }] });
    const same = deck({ slides: [{ shapes: sp(2, 'A', box), notes: 'say hi ', bg: '<p:bgPr><a:solidFill><a:srgbClr val="ffff00"/></a:solidFill><a:effectLst/></p:bgPr>' }] });
    expect(slides.comparePptxFiles(same, gold)).toBe(1);
    const noBg = deck({ slides: [{ shapes: sp(2, 'A', box), notes: 'say hi' }] });
    expect(slides.comparePptxFiles(noBg, gold)).toBe(0);
    expect(slides.comparePptxFiles(noBg, gold, { examine_background_color: false })).toBe(1);
    const otherNotes = deck({ slides: [{ shapes: sp(2, 'A', box), notes: 'say bye', bg: '<p:bgPr><a:solidFill><a:srgbClr val="FFFF00"/></a:solidFill><a:effectLst/></p:bgPr>' }] });
    expect(slides.comparePptxFiles(otherNotes, gold)).toBe(0);
    expect(slides.comparePptxFiles(otherNotes, gold, { examine_note: false })).toBe(1);
    const twoShapes = deck({ slides: [{ shapes: sp(2, 'A', box) + sp(3, 'B', { ...box, y: 3000000 }), notes: 'say hi', bg: '<p:bgPr><a:solidFill><a:srgbClr val="FFFF00"/></a:solidFill><a:effectLst/></p:bgPr>' }] });
    // the shape count is always compared, whatever the options
    expect(slides.comparePptxFiles(twoShapes, gold, { examine_shape: false, examine_text: false })).toBe(0);
    const twoSlides = deck({ slides: [{ shapes: sp(2, 'A', box) }, { shapes: sp(2, 'B', box) }] });
    expect(slides.comparePptxFiles(twoSlides, noBg)).toBe(0);
  });

  it('a slide background that follows the master compares as the master\'s colour', () => {
    const master = '<p:bgPr><a:solidFill><a:srgbClr val="00FF00"/></a:solidFill><a:effectLst/></p:bgPr>';
    const inherits = deck({ slides: [{ shapes: sp(2, 'A', box) }], masterBg: master });
    const own = one(sp(2, 'A', box), { bg: master });
    expect(slides.comparePptxFiles(inherits, own)).toBe(1);
    // a theme colour has no RGB: python-pptx raises, and so does this
    const theme = one(sp(2, 'A', box), { bg: '<p:bgPr><a:solidFill><a:schemeClr val="accent1"/></a:solidFill><a:effectLst/></p:bgPr>' });
    expect(() => slides.comparePptxFiles(theme, own)).toThrow(/no \.rgb/);
  });

  it('a placeholder without its own position takes the layout\'s', () => {
    const ph = (text: string, own: boolean) => sp(2, text, { ph: '<p:ph type="title"/>', ...(own ? { x: 457200, y: 274638, cx: 8229600, cy: 1143000 } : {}) });
    expect(slides.comparePptxFiles(one(ph('Title', false)), one(ph('Title', true)))).toBe(1);
  });

  it('a missing presentation scores 0 with the reason; unknown options are refused', () => {
    const gold = one(sp(2, 'A', box));
    expect(() => slides.comparePptxFiles(path.join(dir, 'none.pptx'), gold)).toThrow(/cannot open the result presentation/);
    expect(() => slides.comparePptxFiles(gold, gold, { examine_vibes: true })).toThrow(/compare_pptx_files option examine_vibes/);
    // published tasks pass examine_shape_lenient_height, which the reference does not read
    expect(slides.comparePptxFiles(gold, gold, { examine_shape_lenient_height: true })).toBe(1);
  });
});

describe('other slide checks', () => {
  it('check_transition looks for the transition element on the slide file of that index', () => {
    const dissolve = one(sp(2, 'A', box), { transition: '<p:transition spd="slow"><p:dissolve/></p:transition>' });
    expect(slides.checkTransition(dissolve, { slide_idx: 0, transition_type: 'dissolve' })).toBe(1);
    expect(slides.checkTransition(dissolve, { slide_idx: 0, transition_type: 'fade' })).toBe(0);
    expect(slides.checkTransition(one(sp(2, 'A', box)), { slide_idx: 0, transition_type: 'dissolve' })).toBe(0);
    expect(slides.checkTransition(dissolve, { slide_idx: 3, transition_type: 'dissolve' })).toBe(0);
  });

  it('orientation, strike-through, background fill distance', () => {
    expect(slides.checkSlideOrientationPortrait(deck({ slides: [{ shapes: '' }], width: 6858000, height: 9144000 }))).toBe(1);
    expect(slides.checkSlideOrientationPortrait(deck({ slides: [{ shapes: '' }] }))).toBe(0);
    const struck = one(sp(2, 'A', { ...box, rPr: 'strike="sngStrike"' }));
    expect(slides.checkStrikethrough(struck, { slide_index_s: [0], shape_index_s: [0], paragraph_index_s: [0] })).toBe(1);
    expect(slides.checkStrikethrough(one(sp(2, 'A', box)), { slide_index_s: [0], shape_index_s: [0], paragraph_index_s: [0] })).toBe(0);
    const bg = (hex: string) => one('', { bg: `<p:bgPr><a:solidFill><a:srgbClr val="${hex}"/></a:solidFill><a:effectLst/></p:bgPr>` });
    expect(slides.evaluatePresentationFillToRgbDistance(bg('FFFF00'), { rgb: [255, 255, 0] })).toBe(1);
    expect(slides.evaluatePresentationFillToRgbDistance(bg('000000'), { rgb: [255, 255, 255] })).toBeCloseTo(0, 12);
    expect(slides.evaluatePresentationFillToRgbDistance(bg('FFFFFF'), { rgb: [255, 255, 0], original_rgb: [255, 255, 255] })).toBe(0);
  });

  it('the presenter-console and autosave settings from registrymodifications.xcu', async () => {
    const xcu = path.join(dir, 'registrymodifications.xcu');
    await writeFile(
      xcu,
      '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"><item oor:path="/org.openoffice.Office.Impress/Misc/Start"><prop oor:name="EnablePresenterScreen" oor:op="fuse"><value>false</value></prop></item><item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="AutoSaveTimeIntervall" oor:op="fuse"><value>3</value></prop></item></oor:items>',
    );
    expect(slides.checkPresenterConsoleDisable(xcu)).toBe(1);
    expect(slides.checkAutoSavingTime(xcu, { minutes: 3 })).toBe(1);
    expect(slides.checkAutoSavingTime(xcu, { minutes: 5 })).toBe(0);
    expect(slides.checkPresenterConsoleDisable(path.join(dir, 'nope.xcu'))).toBe(0);
  });
});

describe('slide media getters', () => {
  function localEnv(root: string): Environment {
    return {
      kind: 'local',
      readFile: async (p: string) => readFile(path.join(root, p)).catch(() => null),
    } as unknown as Environment;
  }

  it('audio_in_slide and background_image_in_slide take the media out of the .pptx', async () => {
    const root = await tempDir('slides-env');
    const wav = Buffer.from('RIFF....WAVEfmt fake');
    const png = Buffer.from('\x89PNG fake image');
    await mkdir(path.join(root, 'home/user/Desktop'), { recursive: true });
    pptx(path.join(root, 'home/user/Desktop/talk.pptx'), {
      slides: [
        {
          shapes: sp(2, 'A', box),
          bg: '<p:bgPr><a:blipFill><a:blip r:embed="rIdBg"/></a:blipFill><a:effectLst/></p:bgPr>',
          rels: [
            { id: 'rIdBg', type: 'image', target: '../media/image1.png' },
            { id: 'rIdA', type: 'audio', target: '../media/media1.wav' },
          ],
        },
        { shapes: sp(2, 'B', box) },
      ],
      media: { 'image1.png': png, 'media1.wav': wav },
    });
    const workDir = await tempDir('slides-work');
    const ctx = { env: localEnv(root), cache: new DownloadCache(await tempDir('slides-cache')), workDir };
    const audio = await GETTERS.audio_in_slide!(ctx, { type: 'audio_in_slide', ppt_file_path: '/home/user/Desktop/talk.pptx', slide_index: 0, dest: 'audio.wav' });
    expect(await readFile(audio as string)).toEqual(wav);
    const image = await GETTERS.background_image_in_slide!(ctx, { type: 'background_image_in_slide', ppt_file_path: '/home/user/Desktop/talk.pptx', slide_index: 0, dest: 'bg.png' });
    expect(await readFile(image as string)).toEqual(png);
    expect(await GETTERS.audio_in_slide!(ctx, { type: 'audio_in_slide', ppt_file_path: '/home/user/Desktop/talk.pptx', slide_index: 1, dest: 'a.wav' })).toBeNull();
    expect(await GETTERS.background_image_in_slide!(ctx, { type: 'background_image_in_slide', ppt_file_path: '/home/user/Desktop/talk.pptx', slide_index: 1, dest: 'b.png' })).toBeNull();
  });
});

describe('a presentation LibreOffice writes', () => {
  it('compares equal to itself and differs from a copy with other text', () => {
    const src = readFileSync(path.join(HERE, 'realistic.fodp'), 'utf8');
    writeFileSync(path.join(dir, 'talk.fodp'), src);
    writeFileSync(path.join(dir, 'talk-copy.fodp'), src);
    writeFileSync(path.join(dir, 'talk-edited.fodp'), src.replace('Costs down', 'Costs flat'));
    const [a, b, c] = convertWithLibreOffice([path.join(dir, 'talk.fodp'), path.join(dir, 'talk-copy.fodp'), path.join(dir, 'talk-edited.fodp')], 'pptx', path.join(dir, 'lo'));
    expect(slides.comparePptxFiles(a, b)).toBe(1);
    expect(slides.comparePptxFiles(c, a)).toBe(0);
    expect(slides.comparePptxFiles(c, a, { examine_text: false })).toBe(0); // the run text still differs in the bullet check
    expect(slides.checkSlideOrientationPortrait(a)).toBe(0);
  });
});
