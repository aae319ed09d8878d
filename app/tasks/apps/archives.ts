/**
 * Archives as OSWorld compares them: compare_zip_files (same member names, same bytes; the reference compares PDF
 * members by extracted text, which needs the PDF reader of the office metrics) and compare_archive (both unpacked,
 * the same file names in `file_path`, each pair scored by the metric for `file_type`, the mean).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { UnsupportedError } from '../errors';
import type { Metric } from '../evaluator-types';
import { isFile } from './util';

/** Every member of a zip file: name -> bytes (directories left out). Members are read whole: archives of a task. */
export function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error(`cannot open ${file}`));
      const members = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            members.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(members));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** The members' names as zipfile.namelist() gives them, directories included. */
function zipNames(file: string): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error(`cannot open ${file}`));
      const names = new Set<string>();
      zip.on('entry', (entry: yauzl.Entry) => {
        names.add(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** shutil.unpack_archive for the formats the tasks use: zip, tar, tar.gz. */
async function unpack(file: string, dir: string): Promise<void> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.zip')) {
    const { mkdir, writeFile } = await import('node:fs/promises');
    for (const [name, data] of await readZip(file)) {
      const dest = path.resolve(dir, name);
      if (!dest.startsWith(path.resolve(dir) + path.sep)) throw new Error(`${file}: member ${name} leaves the archive`);
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, data);
    }
    return;
  }
  if (/\.(tar|tar\.gz|tgz)$/.test(lower)) {
    await tar.x({ file, cwd: dir, strict: true });
    return;
  }
  throw new UnsupportedError(`compare_archive of ${path.basename(file)} (only zip, tar and tar.gz archives are unpacked)`);
}

const FILE_TYPE_METRIC: Record<string, string> = {
  text: 'compare_text_file',
  pdf: 'compare_pdfs',
  docx: 'compare_docx_files',
  ppt: 'compare_pptx_files',
  image: 'compare_images',
  csv: 'compare_csv',
  table: 'compare_table',
  audio: 'compare_audios',
  video: 'compare_videos',
};

/**
 * The archive metrics. compare_archive scores each member with another metric (by file type), which it finds
 * through `lookup` - the whole registry, handed in by metrics.ts (importing it here would be a cycle).
 */
export const archiveMetrics = (lookup: (name: string) => Metric | undefined): Record<string, Metric> => ({
  compare_zip_files: async (actual, expected) => {
    if (!actual) return 0;
    if (!isFile(actual) || !isFile(expected)) return 0;
    const [a, b] = [await zipNames(actual), await zipNames(expected)];
    if (a.size !== b.size || [...a].some((n) => !b.has(n))) return 0;
    const [ma, mb] = [await readZip(actual), await readZip(expected)];
    for (const [name, data] of ma) {
      const other = mb.get(name);
      if (other && data.equals(other)) continue;
      if (name.toLowerCase().endsWith('.pdf')) throw new UnsupportedError('compare_zip_files with differing PDF members (compared by their text, which needs a PDF reader)');
      return 0;
    }
    return 1;
  },
  compare_archive: async (pred, gold, options) => {
    if (!pred || !isFile(pred) || !isFile(gold)) return 0;
    const { file_path: filePath = '', file_type: fileType = 'text', ...rest } = options as Record<string, unknown>;
    const metricName = FILE_TYPE_METRIC[String(fileType)];
    if (!metricName) throw new Error(`compare_archive: not support file type: ${String(fileType)}`);
    const compare = lookup(metricName);
    if (!compare) throw new UnsupportedError(`compare_archive with file_type ${String(fileType)} (metric ${metricName})`);
    const work = await mkdtemp(path.join(os.tmpdir(), 'deskpilot-archive-'));
    try {
      const [p, g] = [path.join(work, 'pred'), path.join(work, 'gold')];
      const { mkdir } = await import('node:fs/promises');
      await mkdir(p);
      await mkdir(g);
      await unpack(pred, p);
      await unpack(gold, g);
      const sub = String(filePath);
      const list = async (dir: string) => (await readdir(path.join(dir, sub))).sort();
      const [pf, gf] = [await list(p), await list(g)];
      if (pf.length !== gf.length || pf.some((n, i) => n !== gf[i])) return 0;
      let score = 0;
      for (let i = 0; i < pf.length; i++) score += await compare(path.join(p, sub, pf[i]!), path.join(g, sub, gf[i]!), rest);
      return pf.length ? score / pf.length : 0;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
});
