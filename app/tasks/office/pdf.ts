/**
 * PDF metrics: compare_pdfs (chrome.py: each page's text, concatenated and stripped, compared with rapidfuzz's
 * ratio; pairs averaged) and check_pdf_pages (pdf.py: the page count against a relation). The reference extracts
 * text with PyMuPDF; here pdfjs-dist (Mozilla's PDF engine, the legacy build for Node 20) does, one line per text
 * line. The two agree on the text of ordinary documents; where their line breaking or spacing differs a fractional
 * compare_pdfs score can differ slightly (app/tasks/README.md says so).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ScoreZero } from './table';
import { fuzzRatio100, pyStrip } from './pystr';

async function loadPdf(file: string) {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const data = new Uint8Array(await readFile(file));
  return getDocument({ data, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
}

/** The text of every page, lines ending in "\n", as PyMuPDF's page.get_text() lays it out. */
export async function pdfText(file: string): Promise<string> {
  const doc = await loadPdf(file);
  try {
    let text = '';
    for (let i = 1; i <= doc.numPages; i++) {
      const page = await doc.getPage(i);
      const content = await page.getTextContent();
      let pageText = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        pageText += item.str;
        if (item.hasEOL) pageText += '\n';
      }
      if (pageText !== '' && !pageText.endsWith('\n')) pageText += '\n';
      text += pageText;
    }
    return pyStrip(text);
  } finally {
    await doc.destroy();
  }
}

export async function pdfPageCount(file: string): Promise<number> {
  const doc = await loadPdf(file);
  try {
    return doc.numPages;
  } finally {
    await doc.destroy();
  }
}

export async function comparePdfs(pdf1: unknown, pdf2: unknown): Promise<number> {
  const [a, b] = Array.isArray(pdf2) ? [Array.isArray(pdf1) ? pdf1 : [pdf1], pdf2] : [[pdf1], [pdf2]];
  if (!b.length) throw new Error('no expected PDF (the reference divides by zero)');
  let score = 0;
  const errors: string[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    try {
      // fitz.open(None) opens an empty document: a missing result has no text
      const t1 = a[i] === null || a[i] === undefined ? '' : await pdfText(String(a[i]));
      const t2 = b[i] === null || b[i] === undefined ? '' : await pdfText(String(b[i]));
      score += fuzzRatio100(t1, t2) / 100;
    } catch (error) {
      // the reference logs the error and counts the pair as 0
      errors.push(`${path.basename(String(a[i]))}: ${(error as Error).message}`);
    }
  }
  const total = score / b.length;
  if (total === 0 && errors.length) throw new ScoreZero(`compare_pdfs: ${errors.join('; ')}`);
  return total;
}

const RELATIONS: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
};

export async function checkPdfPages(file: unknown, rules: unknown): Promise<number> {
  if (file === null || file === undefined) throw new ScoreZero('the PDF was not found (None)');
  const r = rules as { relation?: string; ref_value?: number } | null;
  const relation = RELATIONS[String(r?.relation)];
  if (!relation) throw new Error(`check_pdf_pages: relation ${JSON.stringify(r?.relation)} is not one of ${Object.keys(RELATIONS).join(', ')}`);
  let pages: number;
  try {
    pages = await pdfPageCount(String(file));
  } catch (error) {
    throw new ScoreZero(`cannot read the PDF ${path.basename(String(file))}: ${(error as Error).message}`);
  }
  return relation(pages, Number(r?.ref_value)) ? 1 : 0;
}
