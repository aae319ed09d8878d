/**
 * Reading office packages: a zip (fflate, synchronous, so metrics stay plain functions) of XML parts (saxes, a
 * streaming parser that resolves namespaces and is linear in its input) turned into a small element tree.
 *
 * Why not exceljs / SheetJS / a docx library: the reference reads through openpyxl, python-docx and python-pptx,
 * whose models are thin layers over the XML with their own defaults and quirks (openpyxl's "sheet{sheetId}.xml" in
 * read_cell_value, pandas' type inference, python-pptx's inherited placeholder sizes). Matching those scores means
 * reading the same XML the same way, which a higher-level library would hide or normalise differently.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { SaxesParser } from 'saxes';

export const NS = {
  rel: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
  pkgRel: 'http://schemas.openxmlformats.org/package/2006/relationships',
  sml: 'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
  x14: 'http://schemas.microsoft.com/office/spreadsheetml/2009/9/main',
  xm: 'http://schemas.microsoft.com/office/excel/2006/main',
  w: 'http://schemas.openxmlformats.org/wordprocessingml/2006/main',
  a: 'http://schemas.openxmlformats.org/drawingml/2006/main',
  p: 'http://schemas.openxmlformats.org/presentationml/2006/main',
  c: 'http://schemas.openxmlformats.org/drawingml/2006/chart',
  xdr: 'http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing',
  xml: 'http://www.w3.org/XML/1998/namespace',
  oor: 'http://openoffice.org/2001/registry',
} as const;

export interface XEl {
  ns: string;
  name: string;
  /** No-namespace attributes by local name; namespaced ones as `{uri}local`. */
  attrs: Record<string, string>;
  children: XNode[];
}
export type XNode = XEl | string;

export class OfficeFileError extends Error {
  override name = 'OfficeFileError';
}

export interface ParseOptions {
  /**
   * Drop whitespace-only text between elements unless xml:space="preserve" is in force, as lxml does with
   * remove_blank_text=True (python-docx and python-pptx parse that way; openpyxl does not).
   */
  dropBlankText?: boolean;
}

/** Parse XML into an element tree. Throws OfficeFileError on malformed XML. */
export function parseXml(text: string, options: ParseOptions = {}): XEl {
  const parser = new SaxesParser({ xmlns: true });
  const root: XEl = { ns: '', name: '#document', attrs: {}, children: [] };
  const stack: XEl[] = [root];
  const preserve: boolean[] = [false];
  let failure: Error | null = null;
  parser.on('error', (e) => {
    failure ??= e;
  });
  parser.on('opentag', (tag) => {
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      attrs[a.uri ? `{${a.uri}}${a.local}` : a.local] = a.value;
    }
    const el: XEl = { ns: tag.uri ?? '', name: tag.local ?? tag.name, attrs, children: [] };
    const parent = stack[stack.length - 1]!;
    // lxml's remove_blank_text: whitespace before a first child element is dropped too
    if (options.dropBlankText && !preserve[preserve.length - 1] && parent.children.length === 1 && typeof parent.children[0] === 'string' && isBlank(parent.children[0])) parent.children.pop();
    parent.children.push(el);
    stack.push(el);
    const space = attrs[`{${NS.xml}}space`];
    preserve.push(space === undefined ? preserve[preserve.length - 1]! : space === 'preserve');
  });
  parser.on('closetag', () => {
    stack.pop();
    preserve.pop();
  });
  const addText = (t: string) => {
    const parent = stack[stack.length - 1]!;
    // Whitespace between elements goes; the whitespace-only content of a leaf element stays (libxml2's rule).
    if (options.dropBlankText && !preserve[preserve.length - 1] && isBlank(t) && (parent.children.length > 1 || (parent.children.length === 1 && typeof parent.children[0] !== 'string'))) return;
    const last = parent.children[parent.children.length - 1];
    if (typeof last === 'string') parent.children[parent.children.length - 1] = last + t;
    else parent.children.push(t);
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.write(text).close();
  if (failure) throw new OfficeFileError(`malformed XML: ${(failure as Error).message}`);
  const top = root.children.find((c): c is XEl => typeof c !== 'string');
  if (!top) throw new OfficeFileError('XML part without a root element');
  return top;
}

function isBlank(t: string): boolean {
  return /^[ \t\r\n]*$/.test(t);
}

export function isEl(n: XNode | undefined): n is XEl {
  return typeof n === 'object' && n !== null;
}

/** Child elements, optionally of one (namespace, local name). */
export function kids(el: XEl | null | undefined, ns?: string, name?: string): XEl[] {
  if (!el) return [];
  return el.children.filter((c): c is XEl => isEl(c) && (ns === undefined || c.ns === ns) && (name === undefined || c.name === name));
}

export function kid(el: XEl | null | undefined, ns: string, name: string): XEl | null {
  if (!el) return null;
  for (const c of el.children) if (isEl(c) && c.ns === ns && c.name === name) return c;
  return null;
}

/** Follow a path of (ns, name) children, first match at each level. */
export function walk(el: XEl | null | undefined, ...steps: Array<[string, string]>): XEl | null {
  let cur: XEl | null = el ?? null;
  for (const [ns, name] of steps) cur = kid(cur, ns, name);
  return cur;
}

/** Every descendant element (document order) of one name; iterative, so deep nesting cannot overflow the stack. */
export function descendants(el: XEl | null | undefined, ns: string, name: string): XEl[] {
  const out: XEl[] = [];
  if (!el) return out;
  const stack: XEl[] = kids(el).reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (n.ns === ns && n.name === name) out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) {
      const c = n.children[i];
      if (isEl(c)) stack.push(c);
    }
  }
  return out;
}

export function attr(el: XEl | null | undefined, name: string, ns?: string): string | undefined {
  if (!el) return undefined;
  return ns ? el.attrs[`{${ns}}${name}`] : el.attrs[name];
}

/** All text below an element, in document order (lxml's itertext joined). */
export function textOf(el: XEl | null | undefined): string {
  if (!el) return '';
  let out = '';
  const stack: XNode[] = [...el.children].reverse();
  while (stack.length) {
    const n = stack.pop()!;
    if (typeof n === 'string') out += n;
    else for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/** Direct text of an element (lxml's `.text` for an element without children before its text). */
export function ownText(el: XEl | null | undefined): string | null {
  if (!el) return null;
  let out = '';
  let any = false;
  for (const c of el.children) {
    if (typeof c !== 'string') break;
    out += c;
    any = true;
  }
  return any ? out : null;
}

/** Largest part we inflate (a zip bomb stops here with an error, not an out-of-memory). */
const MAX_PART_BYTES = 256 * 1024 * 1024;
const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

export interface Relationship {
  id: string;
  type: string;
  target: string;
  external: boolean;
}

/** An OOXML / ODF package: its parts by name, parsed on demand. */
export class Package {
  private readonly xmlCache = new Map<string, XEl | null>();

  private constructor(
    readonly file: string,
    private readonly parts: Record<string, Uint8Array>,
  ) {}

  /** Open a zip package; OfficeFileError if it is missing, not a zip, or too large. */
  static open(file: string): Package {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (error) {
      throw new OfficeFileError(`cannot read ${file}: ${(error as Error).message}`);
    }
    let total = 0;
    try {
      const parts = unzipSync(data, {
        filter: (f) => {
          total += f.originalSize;
          if (f.originalSize > MAX_PART_BYTES || total > MAX_TOTAL_BYTES) throw new OfficeFileError(`${file}: part ${f.name} is too large to read`);
          return true;
        },
      });
      return new Package(file, parts);
    } catch (error) {
      if (error instanceof OfficeFileError) throw error;
      throw new OfficeFileError(`${path.basename(file)} is not a zip package: ${(error as Error).message}`);
    }
  }

  names(): string[] {
    return Object.keys(this.parts);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.parts, name);
  }

  bytes(name: string): Uint8Array | null {
    return this.has(name) ? this.parts[name]! : null;
  }

  text(name: string): string | null {
    const b = this.bytes(name);
    return b ? new TextDecoder('utf-8').decode(b) : null;
  }

  /** A part parsed as XML (null when the part is absent). */
  xml(name: string, options: ParseOptions = {}): XEl | null {
    const key = `${options.dropBlankText ? 'b' : 'k'}:${name}`;
    if (this.xmlCache.has(key)) return this.xmlCache.get(key)!;
    const t = this.text(name);
    const el = t === null ? null : parseXml(t, options);
    this.xmlCache.set(key, el);
    return el;
  }

  /** Relationships of a part (`word/document.xml` -> `word/_rels/document.xml.rels`), targets resolved to part names. */
  rels(partName: string): Relationship[] {
    const dir = path.posix.dirname(partName);
    const relsName = path.posix.join(dir === '.' ? '' : dir, '_rels', `${path.posix.basename(partName)}.rels`);
    const root = this.xml(relsName);
    return kids(root, NS.pkgRel, 'Relationship').map((r) => {
      const external = attr(r, 'TargetMode') === 'External';
      const rawTarget = attr(r, 'Target') ?? '';
      const target = external ? rawTarget : resolvePartName(dir, rawTarget);
      return { id: attr(r, 'Id') ?? '', type: attr(r, 'Type') ?? '', target, external };
    });
  }

  relTarget(partName: string, id: string): Relationship | null {
    return this.rels(partName).find((r) => r.id === id) ?? null;
  }
}

/** A relationship target relative to the source part's folder (or absolute from the package root). */
export function resolvePartName(dir: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  return path.posix.normalize(path.posix.join(dir === '.' ? '' : dir, target)).replace(/^\/+/, '');
}

/** Relationship type URIs end in a stable name (".../officeDocument", ".../worksheet"). */
export function relKind(type: string): string {
  return type.slice(type.lastIndexOf('/') + 1);
}
