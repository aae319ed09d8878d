/**
 * Loop detection: the same action proposed again on a screen that did not change. After `threshold` such
 * proposals in a row the run asks the person (or, unattended, ends): the model is stuck.
 */
export class LoopDetector {
  private key = '';
  private screen = '';
  private count = 0;

  constructor(private readonly threshold: number) {}

  /** One proposal: its action key (policy/describe.ts actionKey) and a hash of the screen it was proposed on. */
  see(actionKey: string, screenHash: string): { looping: boolean; repeats: number } {
    if (actionKey === this.key && screenHash === this.screen) this.count++;
    else {
      this.key = actionKey;
      this.screen = screenHash;
      this.count = 1;
    }
    return { looping: this.count >= this.threshold, repeats: this.count };
  }

  /** Start counting again (the person answered the loop question, or denied the action). */
  reset(): void {
    this.key = '';
    this.screen = '';
    this.count = 0;
  }
}
