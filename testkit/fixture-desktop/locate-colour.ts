/**
 * What a stand-in grounding model does in the tests: find the pixels of one colour in the image it was actually
 * sent, and answer with their centre - in image pixels, or on the 0..1000 grid.
 */
import sharp from 'sharp';

export interface Colour {
  r: number;
  g: number;
  b: number;
}

export interface ColourPatch {
  /** Centre of the matching pixels, in pixels of the image. */
  x: number;
  y: number;
  /** Size of the image. */
  width: number;
  height: number;
  count: number;
}

export async function findColour(
  png: Buffer,
  colour: Colour,
  options: { tolerance?: number; minPixels?: number } = {},
): Promise<ColourPatch> {
  const { tolerance = 30, minPixels = 20 } = options;
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const near = (value: number, wanted: number) => Math.abs(value - wanted) < tolerance;
  let sx = 0;
  let sy = 0;
  let count = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const i = (y * info.width + x) * 3;
      if (near(data[i]!, colour.r) && near(data[i + 1]!, colour.g) && near(data[i + 2]!, colour.b)) {
        sx += x;
        sy += y;
        count++;
      }
    }
  }
  if (count < minPixels) {
    throw new Error(`the stand-in model found no rgb(${colour.r}, ${colour.g}, ${colour.b}) in the image it was sent`);
  }
  return { x: sx / count + 0.5, y: sy / count + 0.5, width: info.width, height: info.height, count };
}

/** The centre of a colour on the 0..1000 grid: what a Qwen3-VL model would answer. */
export async function colourGridPoint(png: Buffer, colour: Colour): Promise<[number, number]> {
  const patch = await findColour(png, colour);
  return [Math.round((patch.x / patch.width) * 1000), Math.round((patch.y / patch.height) * 1000)];
}
