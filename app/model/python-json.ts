/**
 * JSON the way Python's `json.dumps` writes it (", " and ": " separators, keys in insertion order): the form Qwen's
 * chat template (`tojson`), Qwen-Agent and OSWorld's agents produce, so a prompt shows the model the bytes it was
 * trained on. Written by hand because JSON.stringify has no separator option and no library writes Python's form.
 * Non-ASCII text is kept as it is by default (`ensure_ascii=False`, as Qwen's template); `asciiOnly` escapes every
 * character above U+007F as \uXXXX the way Python's default `json.dumps` does (UTF-16 units, so a character outside
 * the BMP becomes its surrogate pair, as Python writes it).
 */
export function pythonJson(value: unknown, options: { asciiOnly?: boolean } = {}): string {
  const text = (s: string): string => {
    const json = JSON.stringify(s);
    return options.asciiOnly ? json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
  };
  const dump = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (Array.isArray(v)) return `[${v.map(dump).join(', ')}]`;
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      return `{${entries.map(([k, x]) => `${text(k)}: ${dump(x)}`).join(', ')}}`;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`cannot write ${v} as JSON in a prompt`);
    if (typeof v === 'string') return text(v);
    return JSON.stringify(v);
  };
  return dump(value);
}
