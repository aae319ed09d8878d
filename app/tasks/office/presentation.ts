/**
 * A .pptx as python-pptx reads it for the reference's slide metrics: slides in sldIdLst order, the shapes of each
 * slide's shape tree (sp, grpSp, graphicFrame, cxnSp, pic, contentPart), their type codes (MSO_SHAPE_TYPE), their
 * position and size (a placeholder without its own xfrm inherits the layout's, then the master's), text frames,
 * paragraphs (alignment, level, text with \v for line breaks), runs and their direct font properties, tables,
 * backgrounds (a slide without its own background fill defers to the master), and notes.
 */
import path from 'node:path';
import { attr, kid, kids, NS, OfficeFileError, Package, relKind, textOf, walk, type XEl } from './ooxml';

const P = NS.p;
const A = NS.a;

export const SHAPE_TYPE = { AUTO_SHAPE: 1, CHART: 3, FREEFORM: 5, GROUP: 6, EMBEDDED_OLE_OBJECT: 7, LINE: 9, LINKED_OLE_OBJECT: 10, PICTURE: 13, PLACEHOLDER: 14, MEDIA: 16, TEXT_BOX: 17, TABLE: 19 } as const;

const SHAPE_TAGS = new Set(['sp', 'grpSp', 'graphicFrame', 'cxnSp', 'pic', 'contentPart']);
const TABLE_URI = 'http://schemas.openxmlformats.org/drawingml/2006/table';
const CHART_URI = 'http://schemas.openxmlformats.org/drawingml/2006/chart';
const OLE_URI = 'http://schemas.openxmlformats.org/presentationml/2006/ole';

export interface Run {
  el: XEl;
  text: string;
  name: string | null;
  size: number | null;
  bold: boolean | null;
  italic: boolean | null;
  /** null (unset), true (single), false (none), or the MSO_TEXT_UNDERLINE name of another style. */
  underline: boolean | string | null;
  /** RRGGBB when the run's own fill is an sRGB colour (python-pptx has .rgb only then). */
  rgb: string | null;
  strike: string;
  /** The run's rPr attributes (python-pptx's font._element.attrib). */
  rPrAttrs: Record<string, string>;
}

export interface Paragraph {
  el: XEl;
  text: string;
  alignment: string | null;
  level: number;
  runs: Run[];
}

export interface Shape {
  el: XEl;
  tag: string;
  shapeType: number | null;
  left: number | null;
  top: number | null;
  width: number | null;
  height: number | null;
  /** Only sp shapes have .text / .text_frame in python-pptx. */
  hasText: boolean;
  text: string;
  paragraphs: Paragraph[];
  /** Child shapes of a group. */
  shapes: Shape[] | null;
  /** Rows of cells (each a list of paragraphs), and the grid's column count, for a table. */
  table: { rows: Paragraph[][][]; columns: number } | null;
  /** Relationship id of a picture's image. */
  imageRid: string | null;
}

function boolAttr(v: string | undefined): boolean | null {
  if (v === undefined) return null;
  return v === '1' || v === 'true';
}

const UNDERLINE_NAMES: Record<string, string> = {
  dbl: 'DOUBLE_LINE', heavy: 'HEAVY_LINE', dotted: 'DOTTED_LINE', dottedHeavy: 'DOTTED_HEAVY_LINE', dash: 'DASH_LINE', dashHeavy: 'DASH_HEAVY_LINE',
  dashLong: 'LONG_DASH_LINE', dashLongHeavy: 'LONG_DASH_HEAVY_LINE', dotDash: 'DOT_DASH_LINE', dotDashHeavy: 'DOT_DASH_HEAVY_LINE', dotDotDash: 'DOT_DOT_DASH_LINE',
  dotDotDashHeavy: 'DOT_DOT_DASH_HEAVY_LINE', wavy: 'WAVY_LINE', wavyHeavy: 'WAVY_HEAVY_LINE', wavyDbl: 'WAVY_DOUBLE_LINE', words: 'WORDS',
};

export function runOf(r: XEl): Run {
  const rPr = kid(r, A, 'rPr');
  const u = attr(rPr, 'u');
  const fill = kid(rPr, A, 'solidFill');
  const srgb = kid(fill, A, 'srgbClr');
  const sz = attr(rPr, 'sz');
  return {
    el: r,
    text: textOf(kid(r, A, 't')),
    name: attr(kid(rPr, A, 'latin'), 'typeface') ?? null,
    size: sz === undefined ? null : Number(sz),
    bold: boolAttr(attr(rPr, 'b')),
    italic: boolAttr(attr(rPr, 'i')),
    underline: u === undefined ? null : u === 'sng' ? true : u === 'none' ? false : (UNDERLINE_NAMES[u] ?? u),
    rgb: srgb ? (attr(srgb, 'val') ?? '').toUpperCase() : null,
    strike: attr(rPr, 'strike') ?? 'noStrike',
    rPrAttrs: rPr ? { ...rPr.attrs } : {},
  };
}

export function paragraphOf(p: XEl): Paragraph {
  let text = '';
  for (const c of kids(p, A)) {
    if (c.name === 'r' || c.name === 'fld') text += textOf(kid(c, A, 't'));
    else if (c.name === 'br') text += '\v';
  }
  const pPr = kid(p, A, 'pPr');
  return { el: p, text, alignment: attr(pPr, 'algn') ?? null, level: Number(attr(pPr, 'lvl') ?? 0), runs: kids(p, A, 'r').map(runOf) };
}

function paragraphsOf(txBody: XEl | null): Paragraph[] {
  return kids(txBody, A, 'p').map(paragraphOf);
}

interface PlaceholderKey {
  type: string;
  idx: string;
}

function placeholderOf(el: XEl): PlaceholderKey | null {
  const nv = kids(el).find((c) => c.ns === P && c.name.startsWith('nv'));
  const ph = walk(nv, [P, 'nvPr'], [P, 'ph']);
  if (!ph) return null;
  return { type: attr(ph, 'type') ?? 'obj', idx: attr(ph, 'idx') ?? '0' };
}

/** Layout placeholder types map to these master placeholder types (python-pptx's _LayoutPlaceholder._base_placeholder). */
const MASTER_TYPE: Record<string, string> = {
  body: 'body', chart: 'body', clipArt: 'body', ctrTitle: 'title', dgm: 'body', dt: 'dt', ftr: 'ftr', media: 'body', obj: 'body', pic: 'body',
  sldNum: 'sldNum', subTitle: 'body', tbl: 'body', title: 'title',
};

function xfrmOf(el: XEl): XEl | null {
  if (el.name === 'graphicFrame') return kid(el, P, 'xfrm');
  if (el.name === 'grpSp') return walk(el, [P, 'grpSpPr'], [A, 'xfrm']);
  return walk(el, [P, 'spPr'], [A, 'xfrm']);
}

type Geometry = Pick<Shape, 'left' | 'top' | 'width' | 'height'>;

function ownGeometry(el: XEl): Geometry {
  const x = xfrmOf(el);
  const off = kid(x, A, 'off');
  const ext = kid(x, A, 'ext');
  const num = (e: XEl | null, a: string) => {
    const v = attr(e, a);
    return v === undefined ? null : Number(v);
  };
  return { left: num(off, 'x'), top: num(off, 'y'), width: num(ext, 'cx'), height: num(ext, 'cy') };
}

export class SlidePart {
  constructor(
    readonly deck: Presentation,
    readonly part: string,
    readonly root: XEl,
  ) {}

  private related(kind: string): string | null {
    return this.deck.pkg.rels(this.part).find((r) => relKind(r.type) === kind && !r.external)?.target ?? null;
  }

  get layoutPart(): string | null {
    return this.related('slideLayout');
  }

  get spTree(): XEl | null {
    return walk(this.root, [P, 'cSld'], [P, 'spTree']);
  }

  shapes(): Shape[] {
    return shapesOf(this.spTree, (el) => this.inherited(el));
  }

  /** Placeholder geometry from the layout (same idx), then the master (mapped type). */
  private inherited(el: XEl): Geometry | null {
    const key = placeholderOf(el);
    if (!key) return null;
    const layoutPart = this.layoutPart;
    const layout = layoutPart ? this.deck.pkg.xml(layoutPart, { dropBlankText: true }) : null;
    const layoutTree = walk(layout, [P, 'cSld'], [P, 'spTree']);
    const match = kids(layoutTree).find((c) => {
      const k = placeholderOf(c);
      return k !== null && k.idx === key.idx;
    });
    if (!match) return null;
    const g = ownGeometry(match);
    if (g.left !== null && g.width !== null) return g;
    const masterPart = layoutPart ? this.deck.pkg.rels(layoutPart).find((r) => relKind(r.type) === 'slideMaster')?.target : undefined;
    const master = masterPart ? this.deck.pkg.xml(masterPart, { dropBlankText: true }) : null;
    const layoutKey = placeholderOf(match)!;
    const masterType = MASTER_TYPE[layoutKey.type] ?? layoutKey.type;
    const mm = kids(walk(master, [P, 'cSld'], [P, 'spTree'])).find((c) => placeholderOf(c)?.type === masterType);
    return mm ? ownGeometry(mm) : g;
  }

  /** MSO_FILL of the background: 1 solid, 5 none/inherited (a missing or theme-referenced background becomes noFill). */
  backgroundFill(): { type: number | null; fill: XEl | null } {
    const bgPr = walk(this.root, [P, 'cSld'], [P, 'bg'], [P, 'bgPr']);
    if (!bgPr) return { type: 5, fill: null };
    for (const c of kids(bgPr, A)) {
      const type = { noFill: 5, solidFill: 1, gradFill: 3, blipFill: 6, pattFill: 2, grpFill: 101 }[c.name];
      if (type !== undefined) return { type, fill: c };
    }
    return { type: null, fill: null };
  }
}

function shapesOf(tree: XEl | null, inherit: (el: XEl) => Geometry | null): Shape[] {
  return kids(tree, P).filter((c) => SHAPE_TAGS.has(c.name)).map((el) => shapeOf(el, inherit));
}

function shapeOf(el: XEl, inherit: (el: XEl) => Geometry | null): Shape {
  const ph = placeholderOf(el);
  let geo = ownGeometry(el);
  if (ph && geo.left === null && geo.width === null) geo = inherit(el) ?? geo;
  const base: Shape = { el, tag: el.name, shapeType: null, ...geo, hasText: false, text: '', paragraphs: [], shapes: null, table: null, imageRid: null };
  switch (el.name) {
    case 'sp': {
      const spPr = kid(el, P, 'spPr');
      if (ph) base.shapeType = SHAPE_TYPE.PLACEHOLDER;
      else if (kid(spPr, A, 'custGeom')) base.shapeType = SHAPE_TYPE.FREEFORM;
      else if (kid(spPr, A, 'prstGeom')) base.shapeType = SHAPE_TYPE.AUTO_SHAPE;
      else if (boolAttr(attr(walk(el, [P, 'nvSpPr'], [P, 'cNvSpPr']), 'txBox'))) base.shapeType = SHAPE_TYPE.TEXT_BOX;
      else base.shapeType = -1; // python-pptx raises NotImplementedError for this shape's type
      base.hasText = true;
      const body = kid(el, P, 'txBody');
      // python-pptx adds an empty text body (one empty paragraph) to a shape that has none
      base.paragraphs = body ? paragraphsOf(body) : [paragraphOf({ ns: A, name: 'p', attrs: {}, children: [] })];
      base.text = base.paragraphs.map((p) => p.text).join('\n');
      break;
    }
    case 'pic': {
      const media = walk(el, [P, 'nvPicPr'], [P, 'nvPr']);
      const isMedia = kids(media, A).some((c) => c.name === 'videoFile' || c.name === 'audioFile');
      base.shapeType = ph ? SHAPE_TYPE.PLACEHOLDER : isMedia ? SHAPE_TYPE.MEDIA : SHAPE_TYPE.PICTURE;
      base.imageRid = attr(walk(el, [P, 'blipFill'], [A, 'blip']), 'embed', NS.rel) ?? null;
      break;
    }
    case 'grpSp':
      base.shapeType = SHAPE_TYPE.GROUP;
      base.shapes = shapesOf(el, inherit);
      break;
    case 'cxnSp':
      base.shapeType = SHAPE_TYPE.LINE;
      break;
    case 'graphicFrame': {
      const data = walk(el, [A, 'graphic'], [A, 'graphicData']);
      const uri = attr(data, 'uri');
      if (ph) base.shapeType = SHAPE_TYPE.PLACEHOLDER;
      else if (uri === CHART_URI) base.shapeType = SHAPE_TYPE.CHART;
      else if (uri === TABLE_URI) base.shapeType = SHAPE_TYPE.TABLE;
      else if (uri === OLE_URI) base.shapeType = SHAPE_TYPE.EMBEDDED_OLE_OBJECT;
      const tbl = kid(data, A, 'tbl');
      if (tbl) {
        base.table = {
          columns: kids(kid(tbl, A, 'tblGrid'), A, 'gridCol').length,
          rows: kids(tbl, A, 'tr').map((tr) =>
            kids(tr, A, 'tc').map((tc) => {
              const body = kid(tc, A, 'txBody');
              return body ? paragraphsOf(body) : [paragraphOf({ ns: A, name: 'p', attrs: {}, children: [] })];
            }),
          ),
        };
      }
      break;
    }
  }
  return base;
}

export class Presentation {
  readonly slides: SlidePart[] = [];
  readonly slideWidth: number | null;
  readonly slideHeight: number | null;
  private readonly presPart: string;

  private constructor(
    readonly file: string,
    readonly pkg: Package,
  ) {
    const main = pkg.rels('').find((r) => relKind(r.type) === 'officeDocument');
    const pres = main ? pkg.xml(main.target, { dropBlankText: true }) : null;
    if (!main || !pres || pres.ns !== P || pres.name !== 'presentation') throw new OfficeFileError(`${path.basename(file)} is not a PowerPoint presentation`);
    this.presPart = main.target;
    const rels = pkg.rels(main.target);
    for (const id of kids(kid(pres, P, 'sldIdLst'), P, 'sldId')) {
      const rel = rels.find((r) => r.id === attr(id, 'id', NS.rel));
      if (!rel) throw new OfficeFileError(`${path.basename(file)}: slide relationship ${attr(id, 'id', NS.rel)} is missing`);
      const root = pkg.xml(rel.target, { dropBlankText: true });
      if (!root) throw new OfficeFileError(`${path.basename(file)}: slide part ${rel.target} is missing`);
      this.slides.push(new SlidePart(this, rel.target, root));
    }
    const sz = kid(pres, P, 'sldSz');
    this.slideWidth = attr(sz, 'cx') === undefined ? null : Number(attr(sz, 'cx'));
    this.slideHeight = attr(sz, 'cy') === undefined ? null : Number(attr(sz, 'cy'));
  }

  static open(file: string): Presentation {
    return new Presentation(file, Package.open(file));
  }

  /** The master of a slide (through its layout). */
  masterOf(slide: SlidePart): SlidePart | null {
    const layout = slide.layoutPart;
    const masterPart = layout ? this.pkg.rels(layout).find((r) => relKind(r.type) === 'slideMaster')?.target : undefined;
    const root = masterPart ? this.pkg.xml(masterPart, { dropBlankText: true }) : null;
    return masterPart && root ? new SlidePart(this, masterPart, root) : null;
  }

  masters(): SlidePart[] {
    const rels = this.pkg.rels(this.presPart).filter((r) => relKind(r.type) === 'slideMaster');
    return rels.flatMap((r) => {
      const root = this.pkg.xml(r.target, { dropBlankText: true });
      return root ? [new SlidePart(this, r.target, root)] : [];
    });
  }

  /**
   * notes_slide.notes_text_frame.text: the notes slide's body placeholder; a slide without notes gets a new notes
   * slide whose body is empty. null where the reference would fail (a notes slide without a body placeholder).
   */
  notesText(slide: SlidePart): string | null {
    const rel = this.pkg.rels(slide.part).find((r) => relKind(r.type) === 'notesSlide' && !r.external);
    if (!rel) return '';
    const root = this.pkg.xml(rel.target, { dropBlankText: true });
    const body = kids(walk(root, [P, 'cSld'], [P, 'spTree']), P, 'sp').find((sp) => placeholderOf(sp)?.type === 'body');
    if (!body) return null;
    const tx = kid(body, P, 'txBody');
    return tx ? paragraphsOf(tx).map((p) => p.text).join('\n') : '';
  }

  /** A slide's part XML as text (python-pptx's part.blob), for the bullet check. */
  slideXmlRoot(slide: SlidePart): XEl {
    return slide.root;
  }
}

/** A slide background's solid sRGB colour as python-pptx gives it; throws where .rgb raises (a theme colour). */
export function solidRgb(fill: XEl | null): string {
  const srgb = kid(fill, A, 'srgbClr');
  if (!srgb) throw new OfficeFileError("a solid background fill without an sRGB colour has no .rgb (python-pptx raises AttributeError)");
  return (attr(srgb, 'val') ?? '').toUpperCase();
}
