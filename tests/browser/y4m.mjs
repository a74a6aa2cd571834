// A YUV4MPEG2 video for chromium's fake camera
// (--use-file-for-fake-video-capture), made from a PNG: the picture is
// scaled (nearest neighbour) into the middle of a white frame, as a ticket
// held up to a phone would be. No ffmpeg needed.

import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

/**
 * @param {Buffer} pngBytes the picture (e.g. the ticket's qr.png)
 * @param {string} path where to write the .y4m
 * @param {{width?: number, height?: number, size?: number, frames?: number}} opts
 *   frame size, the picture's size in the frame, number of frames (looped)
 */
export function writeY4m(pngBytes, path, { width = 640, height = 480, size = 360, frames = 2 } = {}) {
  const png = PNG.sync.read(pngBytes);
  const luma = new Uint8Array(width * height).fill(235); // white (video range)
  const x0 = Math.floor((width - size) / 2);
  const y0 = Math.floor((height - size) / 2);
  for (let y = 0; y < size; y++) {
    const sy = Math.floor((y * png.height) / size);
    for (let x = 0; x < size; x++) {
      const sx = Math.floor((x * png.width) / size);
      const i = (sy * png.width + sx) * 4;
      const a = png.data[i + 3] / 255;
      const g = (0.299 * png.data[i] + 0.587 * png.data[i + 1] + 0.114 * png.data[i + 2]) * a + 255 * (1 - a);
      luma[(y0 + y) * width + x0 + x] = Math.round(16 + (g * 219) / 255);
    }
  }
  const chroma = new Uint8Array((width / 2) * (height / 2)).fill(128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, ...Array(frames).fill(frame)]));
}
