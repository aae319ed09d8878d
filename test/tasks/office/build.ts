/**
 * Office files for the tests, written the way the applications write them: minimal OOXML packages zipped with
 * fflate (every part a test needs, nothing it does not), and LibreOffice conversions of flat ODF documents for
 * files whose realism matters (cached formula values, LibreOffice's own styles).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function writeZip(file: string, parts: Record<string, string | Uint8Array>): string {
  mkdirSync(path.dirname(file), { recursive: true });
  const entries: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(parts)) entries[name] = typeof data === 'string' ? strToU8(data) : data;
  writeFileSync(file, zipSync(entries));
  return file;
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

function rels(list: Array<{ id: string; type: string; target: string; external?: boolean }>): string {
  return `${XML}<Relationships xmlns="${PKG_REL}">${list
    .map((r) => `<Relationship Id="${r.id}" Type="${REL}/${r.type}" Target="${esc(r.target)}"${r.external ? ' TargetMode="External"' : ''}/>`)
    .join('')}</Relationships>`;
}

// ---------------------------------------------------------------- content types

const CT = 'application/vnd.openxmlformats-officedocument';
const CONTENT_TYPES: Array<[RegExp, string]> = [
  [/^xl\/workbook\.xml$/, `${CT}.spreadsheetml.sheet.main+xml`],
  [/^xl\/worksheets\/sheet\d+\.xml$/, `${CT}.spreadsheetml.worksheet+xml`],
  [/^xl\/styles\.xml$/, `${CT}.spreadsheetml.styles+xml`],
  [/^xl\/sharedStrings\.xml$/, `${CT}.spreadsheetml.sharedStrings+xml`],
  [/^xl\/drawings\/drawing\d+\.xml$/, `${CT}.drawing+xml`],
  [/^xl\/charts\/chart\d+\.xml$/, `${CT}.drawingml.chart+xml`],
  [/^xl\/pivotTables\/pivotTable\d+\.xml$/, `${CT}.spreadsheetml.pivotTable+xml`],
  [/^xl\/pivotCache\/pivotCacheDefinition\d+\.xml$/, `${CT}.spreadsheetml.pivotCacheDefinition+xml`],
  [/^word\/document\.xml$/, `${CT}.wordprocessingml.document.main+xml`],
  [/^word\/footer\d+\.xml$/, `${CT}.wordprocessingml.footer+xml`],
  [/^ppt\/presentation\.xml$/, `${CT}.presentationml.presentation.main+xml`],
  [/^ppt\/slides\/slide\d+\.xml$/, `${CT}.presentationml.slide+xml`],
  [/^ppt\/slideLayouts\/slideLayout\d+\.xml$/, `${CT}.presentationml.slideLayout+xml`],
  [/^ppt\/slideMasters\/slideMaster\d+\.xml$/, `${CT}.presentationml.slideMaster+xml`],
  [/^ppt\/notesSlides\/notesSlide\d+\.xml$/, `${CT}.presentationml.notesSlide+xml`],
];

function contentTypes(names: string[]): string {
  const overrides = names.flatMap((n) => {
    const hit = CONTENT_TYPES.find(([re]) => re.test(n));
    return hit ? [`<Override PartName="/${n}" ContentType="${hit[1]}"/>`] : [];
  });
  return `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="wav" ContentType="audio/wav"/>${overrides.join('')}</Types>`;
}

// ---------------------------------------------------------------- xlsx

/** A cell: a number, a string (shared), a boolean, or the raw parts of a <c>. */
export type CellSpec = number | string | boolean | { v?: string | number; t?: string; f?: string; s?: number; inline?: string };

export interface SheetSpec {
  name: string;
  /** Overrides the sheetId (the reference's raw readers open "sheet{sheetId}.xml"). */
  sheetId?: number;
  cells?: Record<string, CellSpec>;
  /** Raw XML placed before <sheetData> (sheetViews, cols) and after it (mergeCells, autoFilter, ...). */
  before?: string;
  after?: string;
  /** Extra attributes of <row r="N">. */
  rowAttrs?: Record<number, string>;
  rels?: Array<{ id: string; type: string; target: string }>;
}

export interface BookSpec {
  sheets: SheetSpec[];
  /** Raw inner XML of styles.xml sections. */
  numFmts?: string;
  fonts?: string[];
  fills?: string[];
  xfs?: string[];
  dxfs?: string[];
  parts?: Record<string, string>;
  workbookExtra?: string;
  /** Pivot caches listed in workbook.xml (openpyxl finds a pivot table's cache there). */
  pivotCaches?: Array<{ cacheId: number; target: string }>;
}

const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

function cellRef(ref: string): [number, number] {
  const m = /^([A-Z]+)(\d+)$/.exec(ref)!;
  let col = 0;
  for (const ch of m[1]!) col = col * 26 + ch.charCodeAt(0) - 64;
  return [Number(m[2]), col];
}

export function xlsx(file: string, spec: BookSpec): string {
  const shared: string[] = [];
  const sharedIndex = (s: string) => {
    let i = shared.indexOf(s);
    if (i < 0) i = shared.push(s) - 1;
    return i;
  };
  const parts: Record<string, string> = {};
  spec.sheets.forEach((sheet, n) => {
    const rows = new Map<number, string[]>();
    const entries = Object.entries(sheet.cells ?? {}).sort(([a], [b]) => {
      const [ra, ca] = cellRef(a);
      const [rb, cb] = cellRef(b);
      return ra - rb || ca - cb;
    });
    for (const [ref, c] of entries) {
      const [r] = cellRef(ref);
      let xml: string;
      if (typeof c === 'number') xml = `<c r="${ref}"><v>${c}</v></c>`;
      else if (typeof c === 'string') xml = `<c r="${ref}" t="s"><v>${sharedIndex(c)}</v></c>`;
      else if (typeof c === 'boolean') xml = `<c r="${ref}" t="b"><v>${c ? 1 : 0}</v></c>`;
      else {
        const attrs = `${c.t ? ` t="${c.t}"` : c.inline !== undefined ? ' t="inlineStr"' : ''}${c.s !== undefined ? ` s="${c.s}"` : ''}`;
        const body = `${c.f !== undefined ? `<f>${esc(c.f)}</f>` : ''}${c.v !== undefined ? `<v>${esc(String(c.v))}</v>` : ''}${c.inline !== undefined ? `<is><t>${esc(c.inline)}</t></is>` : ''}`;
        xml = `<c r="${ref}"${attrs}>${body}</c>`;
      }
      const list = rows.get(r);
      if (list) list.push(xml);
      else rows.set(r, [xml]);
    }
    for (const r of Object.keys(sheet.rowAttrs ?? {})) if (!rows.has(Number(r))) rows.set(Number(r), []);
    const data = [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([r, cells]) => `<row r="${r}"${sheet.rowAttrs?.[r] ? ` ${sheet.rowAttrs[r]}` : ''}>${cells.join('')}</row>`)
      .join('');
    parts[`xl/worksheets/sheet${n + 1}.xml`] =
      `${XML}<worksheet xmlns="${NS_MAIN}" xmlns:r="${REL}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">${sheet.before ?? ''}<sheetData>${data}</sheetData>${sheet.after ?? ''}</worksheet>`;
    if (sheet.rels?.length) parts[`xl/worksheets/_rels/sheet${n + 1}.xml.rels`] = rels(sheet.rels);
  });
  parts['xl/workbook.xml'] = `${XML}<workbook xmlns="${NS_MAIN}" xmlns:r="${REL}">${spec.workbookExtra ?? ''}<sheets>${spec.sheets
    .map((s, n) => `<sheet name="${esc(s.name)}" sheetId="${s.sheetId ?? n + 1}" r:id="rId${n + 1}"/>`)
    .join('')}</sheets>${spec.pivotCaches ? `<pivotCaches>${spec.pivotCaches.map((c) => `<pivotCache cacheId="${c.cacheId}" r:id="rIdPC${c.cacheId}"/>`).join('')}</pivotCaches>` : ''}</workbook>`;
  const n = spec.sheets.length;
  parts['xl/_rels/workbook.xml.rels'] = rels([
    ...(spec.pivotCaches ?? []).map((c) => ({ id: `rIdPC${c.cacheId}`, type: 'pivotCacheDefinition', target: c.target })),
    ...spec.sheets.map((_, i) => ({ id: `rId${i + 1}`, type: 'worksheet', target: `worksheets/sheet${i + 1}.xml` })),
    { id: `rId${n + 1}`, type: 'styles', target: 'styles.xml' },
    { id: `rId${n + 2}`, type: 'sharedStrings', target: 'sharedStrings.xml' },
  ]);
  const fonts = spec.fonts ?? ['<font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/></font>'];
  const fills = spec.fills ?? ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>'];
  const xfs = spec.xfs ?? ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'];
  parts['xl/styles.xml'] =
    `${XML}<styleSheet xmlns="${NS_MAIN}">${spec.numFmts ? `<numFmts>${spec.numFmts}</numFmts>` : ''}<fonts>${fonts.join('')}</fonts><fills>${fills.join('')}</fills>` +
    `<borders><border/></borders><cellStyleXfs><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs>${xfs.join('')}</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>${spec.dxfs ? `<dxfs>${spec.dxfs.join('')}</dxfs>` : ''}</styleSheet>`;
  parts['xl/sharedStrings.xml'] = `${XML}<sst xmlns="${NS_MAIN}">${shared.map((s) => `<si><t xml:space="preserve">${esc(s)}</t></si>`).join('')}</sst>`;
  parts['_rels/.rels'] = rels([{ id: 'rId1', type: 'officeDocument', target: 'xl/workbook.xml' }]);
  const all = { ...parts, ...(spec.parts ?? {}) };
  parts['[Content_Types].xml'] = contentTypes(Object.keys(all));
  return writeZip(file, { ...parts, ...(spec.parts ?? {}) });
}

// ---------------------------------------------------------------- docx

const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

export interface DocSpec {
  /** Inner XML of <w:body>. */
  body: string;
  /** Footer paragraphs (inner XML of <w:ftr>), referenced from the body's final sectPr when given. */
  footer?: string;
  media?: Record<string, Uint8Array>;
}

export const p = (text: string, pPr = '', rPr = '') => `<w:p>${pPr ? `<w:pPr>${pPr}</w:pPr>` : ''}<w:r>${rPr ? `<w:rPr>${rPr}</w:rPr>` : ''}<w:t xml:space="preserve">${esc(text)}</w:t></w:r></w:p>`;
export const run = (text: string, rPr = '') => `<w:r>${rPr ? `<w:rPr>${rPr}</w:rPr>` : ''}<w:t xml:space="preserve">${esc(text)}</w:t></w:r>`;
export const sectPr = (footerRid?: string) =>
  `<w:sectPr>${footerRid ? `<w:footerReference w:type="default" r:id="${footerRid}"/>` : ''}<w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>`;

export function docx(file: string, spec: DocSpec): string {
  const relList: Array<{ id: string; type: string; target: string }> = [];
  const parts: Record<string, string | Uint8Array> = {};
  let body = spec.body;
  if (spec.footer !== undefined) {
    relList.push({ id: 'rIdFooter', type: 'footer', target: 'footer1.xml' });
    parts['word/footer1.xml'] = `${XML}<w:ftr xmlns:w="${W_NS}" xmlns:r="${REL}">${spec.footer}</w:ftr>`;
    if (!body.includes('<w:sectPr')) body += sectPr('rIdFooter');
  } else if (!body.includes('<w:sectPr')) body += sectPr();
  for (const [name, data] of Object.entries(spec.media ?? {})) {
    relList.push({ id: `rIdImg${relList.length}`, type: 'image', target: `media/${name}` });
    parts[`word/media/${name}`] = data;
  }
  parts['word/document.xml'] =
    `${XML}<w:document xmlns:w="${W_NS}" xmlns:r="${REL}" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><w:body>${body}</w:body></w:document>`;
  parts['word/_rels/document.xml.rels'] = rels(relList);
  parts['_rels/.rels'] = rels([{ id: 'rId1', type: 'officeDocument', target: 'word/document.xml' }]);
  parts['[Content_Types].xml'] = contentTypes(Object.keys(parts));
  return writeZip(file, parts);
}

// ---------------------------------------------------------------- pptx

const P_NS = 'http://schemas.openxmlformats.org/presentationml/2006/main';
const A_NS = 'http://schemas.openxmlformats.org/drawingml/2006/main';

export interface SlideSpec {
  /** Shapes: inner XML of <p:spTree> after its group properties. */
  shapes: string;
  /** Inner XML of <p:bg>, e.g. '<p:bgPr><a:solidFill><a:srgbClr val="FFFF00"/></a:solidFill><a:effectLst/></p:bgPr>'. */
  bg?: string;
  transition?: string;
  notes?: string;
  rels?: Array<{ id: string; type: string; target: string; external?: boolean }>;
}

export interface DeckSpec {
  slides: SlideSpec[];
  width?: number;
  height?: number;
  masterBg?: string;
  media?: Record<string, Uint8Array>;
}

export const sp = (id: number, text: string, opts: { x?: number; y?: number; cx?: number; cy?: number; pPr?: string; rPr?: string; ph?: string; txBox?: boolean } = {}) =>
  `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="Shape ${id}"/><p:cNvSpPr${opts.txBox ? ' txBox="1"' : ''}/><p:nvPr>${opts.ph ?? ''}</p:nvPr></p:nvSpPr>` +
  `<p:spPr>${opts.x === undefined ? '' : `<a:xfrm><a:off x="${opts.x}" y="${opts.y ?? 0}"/><a:ext cx="${opts.cx ?? 1000000}" cy="${opts.cy ?? 500000}"/></a:xfrm>`}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>` +
  `<p:txBody><a:bodyPr/><a:lstStyle/>${text
    .split('\n')
    .map((line) => `<a:p>${opts.pPr ? `<a:pPr ${opts.pPr}/>` : ''}${line ? `<a:r><a:rPr lang="en-US" ${opts.rPr ?? ''}/><a:t>${esc(line)}</a:t></a:r>` : ''}</a:p>`)
    .join('')}</p:txBody></p:sp>`;

export function pptx(file: string, spec: DeckSpec): string {
  const parts: Record<string, string | Uint8Array> = {};
  const ns = `xmlns:p="${P_NS}" xmlns:a="${A_NS}" xmlns:r="${REL}"`;
  const tree = (inner: string) => `<p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>${inner}</p:spTree>`;
  spec.slides.forEach((s, i) => {
    const n = i + 1;
    parts[`ppt/slides/slide${n}.xml`] = `${XML}<p:sld ${ns}><p:cSld>${s.bg ? `<p:bg>${s.bg}</p:bg>` : ''}${tree(s.shapes)}</p:cSld>${s.transition ?? ''}</p:sld>`;
    const r = [{ id: 'rId1', type: 'slideLayout', target: '../slideLayouts/slideLayout1.xml' }, ...(s.rels ?? [])];
    if (s.notes !== undefined) {
      r.push({ id: 'rIdNotes', type: 'notesSlide', target: `../notesSlides/notesSlide${n}.xml` });
      parts[`ppt/notesSlides/notesSlide${n}.xml`] =
        `${XML}<p:notes ${ns}><p:cSld>${tree(`<p:sp><p:nvSpPr><p:cNvPr id="3" name="Notes"/><p:cNvSpPr/><p:nvPr><p:ph type="body" idx="1"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>${esc(s.notes)}</a:t></a:r></a:p></p:txBody></p:sp>`)}</p:cSld></p:notes>`;
    }
    parts[`ppt/slides/_rels/slide${n}.xml.rels`] = rels(r);
  });
  const titlePh = '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title"/><p:cNvSpPr/><p:nvPr><p:ph type="title"/></p:nvPr></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="274638"/><a:ext cx="8229600" cy="1143000"/></a:xfrm></p:spPr><p:txBody><a:bodyPr/><a:p/></p:txBody></p:sp>';
  parts['ppt/slideLayouts/slideLayout1.xml'] = `${XML}<p:sldLayout ${ns}><p:cSld>${tree(titlePh)}</p:cSld></p:sldLayout>`;
  parts['ppt/slideLayouts/_rels/slideLayout1.xml.rels'] = rels([{ id: 'rId1', type: 'slideMaster', target: '../slideMasters/slideMaster1.xml' }]);
  parts['ppt/slideMasters/slideMaster1.xml'] = `${XML}<p:sldMaster ${ns}><p:cSld>${spec.masterBg ? `<p:bg>${spec.masterBg}</p:bg>` : ''}${tree(titlePh)}</p:cSld><p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst></p:sldMaster>`;
  parts['ppt/slideMasters/_rels/slideMaster1.xml.rels'] = rels([{ id: 'rId1', type: 'slideLayout', target: '../slideLayouts/slideLayout1.xml' }]);
  parts['ppt/presentation.xml'] =
    `${XML}<p:presentation ${ns}><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rIdM"/></p:sldMasterIdLst><p:sldIdLst>${spec.slides
      .map((_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 1}"/>`)
      .join('')}</p:sldIdLst><p:sldSz cx="${spec.width ?? 9144000}" cy="${spec.height ?? 6858000}"/></p:presentation>`;
  parts['ppt/_rels/presentation.xml.rels'] = rels([
    { id: 'rIdM', type: 'slideMaster', target: 'slideMasters/slideMaster1.xml' },
    ...spec.slides.map((_, i) => ({ id: `rId${i + 1}`, type: 'slide', target: `slides/slide${i + 1}.xml` })),
  ]);
  for (const [name, data] of Object.entries(spec.media ?? {})) parts[`ppt/media/${name}`] = data;
  parts['_rels/.rels'] = rels([{ id: 'rId1', type: 'officeDocument', target: 'ppt/presentation.xml' }]);
  parts['[Content_Types].xml'] = contentTypes(Object.keys(parts));
  return writeZip(file, parts);
}

// ---------------------------------------------------------------- LibreOffice

export const SOFFICE = ['/usr/bin/soffice', '/usr/bin/libreoffice'].find((p) => existsSync(p)) ?? null;

/**
 * Convert files with LibreOffice headless (one soffice run for all of them, with its own throwaway profile so it
 * never meets a running instance). Returns the converted paths in the same order.
 */
export function convertWithLibreOffice(files: string[], format: string, outDir: string): string[] {
  if (!SOFFICE) throw new Error('LibreOffice is not installed (scripts/install.sh --test installs it)');
  mkdirSync(outDir, { recursive: true });
  const profile = path.join(outDir, '.lo-profile');
  execFileSync(SOFFICE, [`-env:UserInstallation=file://${profile}`, '--headless', '--convert-to', format, '--outdir', outDir, ...files], { stdio: 'pipe', timeout: 120_000 });
  const ext = format.split(':')[0]!;
  // the CSV filter's 12th token (sheet number) makes LibreOffice name the file "<name>-<sheet name>.csv"
  const sheetSuffix = ext === 'csv' && format.split(',')[11] !== undefined ? '-Sheet1' : '';
  const out = files.map((f) => path.join(outDir, `${path.basename(f).replace(/\.[^.]+$/, '')}${sheetSuffix}.${ext}`));
  const missing = out.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`LibreOffice did not write ${missing.join(', ')} (in ${outDir}: ${readdirSync(outDir).join(', ')})`);
  return out;
}

export const FODS_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">';

export { esc };

// ---------------------------------------------------------------- pdf

export interface PdfImage {
  width: number;
  height: number;
  /** RGB pixels, row-major. */
  rgb: Buffer;
}

/**
 * A PDF whose pages each draw the given images (uncompressed DeviceRGB image XObjects, side by side), written
 * object by object with a correct cross-reference table.
 */
export function pdfWithImages(file: string, pages: PdfImage[][]): string {
  const objects: Buffer[] = [];
  const add = (body: Buffer | string) => objects.push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
  // 1: catalog, 2: page tree; then per page: the page, its content stream, its images
  const pageIds: number[] = [];
  let next = 3;
  const plan = pages.map((images) => {
    const page = next++;
    const content = next++;
    const imageIds = images.map(() => next++);
    pageIds.push(page);
    return { page, content, imageIds, images };
  });
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`);
  for (const { content, imageIds, images } of plan) {
    const width = Math.max(1, images.reduce((w, img) => w + img.width, 0));
    const height = Math.max(1, ...images.map((img) => img.height));
    const xobjects = imageIds.map((id, i) => `/Im${i} ${id} 0 R`).join(' ');
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] /Resources << /XObject << ${xobjects} >> >> /Contents ${content} 0 R >>`);
    let x = 0;
    const draw = images.map((img, i) => {
      const op = `q ${img.width} 0 0 ${img.height} ${x} 0 cm /Im${i} Do Q`;
      x += img.width;
      return op;
    });
    const stream = draw.join('\n');
    add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    for (const img of images) {
      add(Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${img.width} /Height ${img.height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${img.rgb.length} >>\nstream\n`, 'latin1'), img.rgb, Buffer.from('\nendstream', 'latin1')]));
    }
  }
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]!.length;
  objects.forEach((body, i) => {
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    offsets.push(length);
    parts.push(obj);
    length += obj.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.concat(parts));
  return file;
}
