/**
 * The context-model step: the per-lane state that sits between coded bytes
 * and the network's inputs. The frame codec drives every lane only through
 * it (reset at the lane start; inputs, then push, at every position), so a
 * predictor with adaptive per-lane state (format v2: match model, order-n
 * statistics) plugs in by replacing this class, not the codec loops.
 *
 * Format v1 (docs/FORMAT.md 2.1, 2.3): the inputs are the k tokens before the
 * position, PAD before the lane start: a pure function of the lane's bytes.
 * native/core/context.h is the C++ twin.
 */

/** What the context model needs from a predictor: the token rule of FORMAT.md 1.3. */
export interface TokenRule {
  readonly k: number;
  readonly PAD: number;
  readonly tokenOf: Uint16Array;
}

export class TokenContext {
  private readonly ctx: Uint16Array;

  constructor(private readonly rule: TokenRule) {
    this.ctx = new Uint16Array(rule.k).fill(rule.PAD);
  }

  /** Start of a lane: nothing seen yet, every input is PAD. */
  reset(): void {
    this.ctx.fill(this.rule.PAD);
  }

  /** What the network sees at the current position: ctx[j] = token j+1 bytes back. Valid until the next push. */
  inputs(): Uint16Array {
    return this.ctx;
  }

  /** The byte at the current position was coded (or decoded): move to the next position. */
  push(byte: number): void {
    this.ctx.copyWithin(1, 0, this.ctx.length - 1);
    this.ctx[0] = this.rule.tokenOf[byte];
  }
}

/**
 * The inputs at position `i` of a lane starting at `start`, computed from the
 * bytes directly (what a TokenContext holds after pushing data[start, i)).
 * For callers that address positions at random; the codec uses TokenContext.
 */
export function fillContext(rule: TokenRule, data: Uint8Array, start: number, i: number, ctx: Uint16Array): void {
  for (let j = 0; j < rule.k; j++) {
    const q = i - 1 - j;
    ctx[j] = q >= start ? rule.tokenOf[data[q]] : rule.PAD;
  }
}
