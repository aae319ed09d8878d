/**
 * Reasoning that arrives inline, before `</think>` in the content (a Thinking model on a server without a reasoning
 * parser), split out as it streams, so it can be shown live. Each chunk is looked at once: the split never rescans
 * what came before, so a long or hostile stream costs time linear in its length.
 */
/** What the split gives: pieces of reasoning and of content, in order (each is also a client ModelEvent). */
export type SplitEvent = { type: 'reasoning'; delta: string } | { type: 'content'; delta: string };

const OPEN = '<think>';
const CLOSE = '</think>';

/** Length of the longest tail of `text` that is a start of `tag` (it may be completed by the next chunk). */
function partialTail(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (tag.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/**
 * Splits content that carries reasoning inline (no reasoning parser on the server): everything before `</think>`
 * is reasoning. Thinking templates open `<think>` in the prompt, so the reply usually has only the closing tag.
 */
export class InlineThinkSplitter {
  private state: 'undecided' | 'reasoning' | 'content';
  private buffer = '';
  private afterClose = false;
  /**
   * While undecided: the buffer from its first non-space character on (a few characters: the split is decided by
   * then). Kept apart so each chunk is looked at once - trimming or searching the growing buffer itself would
   * flatten and rescan it on every chunk, quadratic over a long run of blank lines.
   */
  private lead = '';

  constructor(thinking: boolean) {
    // A thinking profile starts in reasoning; others only when the reply opens with <think>.
    this.state = thinking ? 'reasoning' : 'undecided';
  }

  /** The split is off: everything is content (the server sent reasoning in its own field). */
  passThrough(): void {
    if (this.buffer === '' && this.state !== 'content') this.state = 'content';
  }

  get started(): boolean {
    return this.buffer !== '' || this.afterClose || this.state === 'content';
  }

  push(text: string): SplitEvent[] {
    const events: SplitEvent[] = [];
    this.buffer += text;
    if (this.state === 'undecided') this.lead += this.lead === '' ? text.trimStart() : text;
    for (;;) {
      if (this.state === 'undecided') {
        const lead = this.lead;
        if (lead.startsWith(OPEN)) {
          this.buffer = lead.slice(OPEN.length).replace(/^\n/, '');
          this.state = 'reasoning';
          continue;
        }
        if (lead === '' || OPEN.startsWith(lead)) return events; // could still become <think>
        this.state = 'content';
        continue;
      }
      if (this.state === 'reasoning') {
        const close = this.buffer.indexOf(CLOSE);
        if (close >= 0) {
          const reasoning = this.buffer.slice(0, close).replace(/\n$/, '');
          if (reasoning !== '') events.push({ type: 'reasoning', delta: reasoning });
          this.buffer = this.buffer.slice(close + CLOSE.length);
          this.state = 'content';
          this.afterClose = true;
          continue;
        }
        // Hold back a possible "</thi", and the newline before it (it belongs to the tag, not the reasoning).
        let keep = partialTail(this.buffer, CLOSE);
        if (this.buffer.charAt(this.buffer.length - keep - 1) === '\n') keep += 1;
        const out = this.buffer.slice(0, this.buffer.length - keep);
        if (out !== '') events.push({ type: 'reasoning', delta: out });
        this.buffer = this.buffer.slice(out.length);
        return events;
      }
      // content
      if (this.afterClose) {
        // The blank lines after </think> are layout, not text.
        this.buffer = this.buffer.replace(/^\n+/, '');
        if (this.buffer === '') return events;
        this.afterClose = false;
      }
      if (this.buffer !== '') events.push({ type: 'content', delta: this.buffer });
      this.buffer = '';
      return events;
    }
  }

  end(): SplitEvent[] {
    const rest = this.buffer;
    this.buffer = '';
    if (rest === '') return [];
    if (this.state === 'reasoning') return [{ type: 'reasoning', delta: rest }];
    if (this.state === 'content' && this.afterClose) return rest.trim() === '' ? [] : [{ type: 'content', delta: rest }];
    return [{ type: 'content', delta: rest }];
  }
}
