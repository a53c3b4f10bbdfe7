import type { LayerSpec } from "../model/index.js";
import { Rng, streams } from "./rng.js";

/**
 * The `augment` layer, applied to each training batch as it is read: each image is flipped left to
 * right with probability 1/2 (when `flip`), then shifted by whole pixels, dx and dy each uniform in
 * [-shift, shift], with zeros where it moved away from. Draws come from the job's augment stream,
 * three per image in a fixed order, so a seed gives the same batches on every back end.
 */
export class Augmenter {
  private readonly rng: Rng;
  private out: Uint8Array;

  constructor(
    private readonly layer: Extract<LayerSpec, { type: "augment" }>,
    private readonly shape: [number, number, number],
    seed: number,
  ) {
    this.rng = new Rng(seed, streams.augment);
    this.out = new Uint8Array(0);
  }

  /** Where its stream stands, for a run that continues later; `restore` goes back there. */
  state(): number[] {
    const s = new Uint32Array(4);
    this.rng.saveState(s);
    return [...s];
  }

  restore(s: number[]): void {
    this.rng.loadState(Uint32Array.from(s));
  }

  /** One image's draws, in their fixed order: whether it flips, then dx and dy. */
  private draw(): [boolean, number, number] {
    const s = this.layer.shift;
    const flip = this.rng.next() < 0.5 && this.layer.flip;
    const dx = this.rng.below(2 * s + 1) - s;
    const dy = this.rng.below(2 * s + 1) - s;
    return [flip, dx, dy];
  }

  /**
   * The next n images' draws, as `batch` would take them, for a back end that moves the images
   * itself (the WebGPU step): flip (0 or 1), dx, dy for each.
   */
  draws(n: number): Int32Array<ArrayBuffer> {
    const out = new Int32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const [flip, dx, dy] = this.draw();
      out.set([flip ? 1 : 0, dx, dy], 3 * i);
    }
    return out;
  }

  /** The batch's images (items index `images`), augmented, one after another. */
  batch(images: Uint8Array, items: Int32Array): Uint8Array {
    const [h, w, c] = this.shape;
    const pixels = h * w * c;
    if (this.out.length < items.length * pixels) this.out = new Uint8Array(items.length * pixels);
    for (let i = 0; i < items.length; i++) {
      const [flip, dx, dy] = this.draw();
      const src = (items[i] as number) * pixels;
      const dst = i * pixels;
      for (let y = 0; y < h; y++) {
        const sy = y - dy;
        for (let x = 0; x < w; x++) {
          const sx0 = x - dx;
          const sx = flip ? w - 1 - sx0 : sx0;
          const inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w;
          for (let k = 0; k < c; k++)
            this.out[dst + (y * w + x) * c + k] = inside
              ? (images[src + (sy * w + sx) * c + k] as number)
              : 0;
        }
      }
    }
    return this.out.subarray(0, items.length * pixels);
  }
}
