/**
 * OSWorld's office-file getters: content_from_vm_file (file.py: the last row of an xlsx through pandas, as
 * strings), audio_in_slide and background_image_in_slide (impress.py: the media a slide refers to, taken out of
 * the .pptx, or fetched from the machine when the slide links to a file:// path).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UnsupportedError } from '../errors';
import type { Getter, GetterContext } from '../evaluator-types';
import { lastRowAsStrings, readExcelFrame } from './frame';
import { attr, descendants, kids, NS, OfficeFileError, Package, parseXml } from './ooxml';
import { Workbook } from './workbook';

type Dict = Record<string, unknown>;

function inWorkDir(ctx: GetterContext, name: string): string {
  const file = path.resolve(ctx.workDir, name);
  if (!file.startsWith(path.resolve(ctx.workDir) + path.sep)) throw new Error(`getter file name leaves the evaluation folder: ${name}`);
  return file;
}

/** get_vm_file: the file copied out of the environment into the work folder, or null when it does not exist. */
async function fetchVmFile(ctx: GetterContext, source: string, dest: string): Promise<string | null> {
  const data = await ctx.env.readFile(source);
  if (data === null) return null;
  const file = inWorkDir(ctx, dest);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
  return file;
}

function str(config: Dict, key: string, getter: string): string {
  const v = config[key];
  if (typeof v !== 'string' || !v) throw new Error(`${getter} getter: "${key}" must be a non-empty string`);
  return v;
}

const contentFromVmFile: Getter = async (ctx, config) => {
  const source = str(config, 'path', 'content_from_vm_file');
  const type = config.file_type;
  const content = config.file_content;
  if (type !== 'xlsx') throw new UnsupportedError(`content_from_vm_file file_type ${JSON.stringify(type)} (the reference reads only xlsx)`);
  if (content !== 'last_row') throw new UnsupportedError(`content_from_vm_file file_content ${JSON.stringify(content)} (the reference reads only last_row)`);
  const local = await fetchVmFile(ctx, source, path.posix.basename(source));
  if (local === null) throw new Error(`content_from_vm_file: ${source} does not exist (pandas cannot read None)`);
  const book = Workbook.open(local);
  const first = book.worksheetNames()[0];
  const ws = first === undefined ? null : book.sheet(first);
  if (!ws) throw new OfficeFileError(`${path.basename(local)} has no worksheet`);
  return lastRowAsStrings(readExcelFrame(ws.pandasRows()));
};

/** Extract a part of the .pptx next to the local copy (zipfile.extract keeps the part's folders). */
async function extractPart(pkg: Package, localPptx: string, part: string): Promise<string> {
  const data = pkg.bytes(part);
  if (!data) throw new OfficeFileError(`there is no item named '${part}' in the archive`);
  const out = path.join(path.dirname(localPptx), part);
  if (!out.startsWith(path.dirname(localPptx) + path.sep)) throw new Error(`media part ${part} leaves the evaluation folder`);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, data);
  return out;
}

function slideConfig(config: Dict, getter: string): { pptx: string; slide: number; dest: string } {
  const slide = Number(config.slide_index);
  if (!Number.isInteger(slide)) throw new Error(`${getter} getter: "slide_index" must be an integer`);
  return { pptx: str(config, 'ppt_file_path', getter), slide, dest: str(config, 'dest', getter) };
}

/** Where a slide's relationship points: a part inside the package ("../media/x") or a file:// path outside it. */
async function resolveMedia(ctx: GetterContext, pkg: Package, local: string, target: string, dest: string): Promise<string | null> {
  if (target.startsWith('..')) return extractPart(pkg, local, path.posix.normalize(path.posix.join('ppt/slides', target)));
  if (!target.startsWith('file://')) throw new Error(`media target ${target} is neither inside the presentation nor a file:// path (the reference asserts here)`);
  return fetchVmFile(ctx, decodeURI(target.slice(7)), dest);
}

function relsOfSlide(pkg: Package, slide: number) {
  const root = pkg.xml(`ppt/slides/_rels/slide${slide + 1}.xml.rels`);
  // raw targets, as the reference reads them (not resolved against the slide's folder)
  return kids(root, NS.pkgRel, 'Relationship').map((r) => ({ id: attr(r, 'Id') ?? '', type: attr(r, 'Type') ?? '', target: attr(r, 'Target') ?? '' }));
}

const audioInSlide: Getter = async (ctx, config) => {
  const { pptx, slide, dest } = slideConfig(config, 'audio_in_slide');
  const local = await fetchVmFile(ctx, pptx, path.posix.basename(pptx));
  if (local === null) throw new Error(`audio_in_slide: ${pptx} does not exist`);
  const pkg = Package.open(local);
  const rel = relsOfSlide(pkg, slide).find((r) => r.type.includes('audio'));
  return rel ? resolveMedia(ctx, pkg, local, rel.target, dest) : null;
};

const backgroundImageInSlide: Getter = async (ctx, config) => {
  const { pptx, slide, dest } = slideConfig(config, 'background_image_in_slide');
  const local = await fetchVmFile(ctx, pptx, path.posix.basename(pptx));
  if (local === null) throw new Error(`background_image_in_slide: ${pptx} does not exist`);
  const pkg = Package.open(local);
  const xml = pkg.text(`ppt/slides/slide${slide + 1}.xml`);
  if (xml === null) return null;
  let imageId: string | undefined;
  for (const bgPr of descendants(parseXml(xml), NS.p, 'bgPr')) {
    imageId = attr(descendants(bgPr, NS.a, 'blip')[0], 'embed', NS.rel);
    if (imageId !== undefined) break;
  }
  if (imageId === undefined) return null;
  const rel = relsOfSlide(pkg, slide).find((r) => r.type.includes('image') && r.id === imageId);
  return rel ? resolveMedia(ctx, pkg, local, rel.target, dest) : null;
};

export const OFFICE_GETTERS: Record<string, Getter> = {
  content_from_vm_file: contentFromVmFile,
  audio_in_slide: audioInSlide,
  background_image_in_slide: backgroundImageInSlide,
};
