/**
 * compare_image_text on screenshots the test draws (a terminal after `ls`), read with the project's tesseract.js
 * OCR: the rule's text must occur in the lines read, joined with spaces, as the reference joins easyocr's boxes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { OFFICE_METRICS } from '../../../app/tasks/office';
import { ScoreZero } from '../../../app/tasks/office/table';
import { tempDir } from '../helpers';

let screenshot: string;
let dir: string;
beforeAll(async () => {
  dir = await tempDir('image-text');
  const line = (y: number, text: string, fill = '#ffffff') => `<text x="10" y="${y}" font-family="DejaVu Sans Mono" font-size="18" fill="${fill}" xml:space="preserve">${text}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="120"><rect width="100%" height="100%" fill="#300a24"/>${line(40, 'user@ubuntu:~$ ls')}${line(70, 'Desktop  Documents  Downloads  Music  Pictures  Templates', '#729fcf')}${line(100, 'user@ubuntu:~$')}</svg>`;
  screenshot = path.join(dir, 'ls.png');
  await sharp(Buffer.from(svg)).png().toFile(screenshot);
});

const compare = (image: unknown, rule: unknown) => OFFICE_METRICS.compare_image_text!(image, rule, {});

describe('compare_image_text', { timeout: 60_000 }, () => {
  it('scores 1 when the text occurs in what was read (light text on a dark terminal), 0 when it does not', async () => {
    expect(await compare(screenshot, { type: 'text', text: 'ls' })).toBe(1);
    expect(await compare(screenshot, { type: 'text', text: 'Templates' })).toBe(1);
    expect(await compare(screenshot, { type: 'text', text: 'Videos' })).toBe(0);
    // words of a line are read with single spaces between them, as the reference's joined boxes are
    expect(await compare(screenshot, { type: 'text', text: 'Downloads  Music' })).toBe(0);
  });

  it('the published 02ce9a50 target " Ls" is easyocr\'s reading of `ls`: tesseract reads "ls", so it is not found', async () => {
    expect(await compare(screenshot, { type: 'text', text: ' Ls' })).toBe(0);
  });

  it('a missing or undecodable image, or a rule type other than "text", scores 0 with the reason', async () => {
    await expect(compare(path.join(dir, 'none.png'), { type: 'text', text: 'ls' })).rejects.toThrow(ScoreZero);
    await expect(compare(null, { type: 'text', text: 'ls' })).rejects.toThrow(/not found/);
    const broken = path.join(dir, 'dump.png');
    writeFileSync(broken, 'not an image');
    await expect(compare(broken, { type: 'text', text: 'ls' })).rejects.toThrow(/cannot decode/);
    await expect(compare(screenshot, { type: 'regex', text: 'l.' })).rejects.toThrow(/only checks "text" rules/);
  });
});
