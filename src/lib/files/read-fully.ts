import { readSync } from "node:fs";

/**
 * Reads exactly `length` bytes at `position` into the start of `buf`. readSync may return
 * fewer bytes than asked even before the end of the file (FUSE filesystems, such as the
 * lab's power-cut one, do), so a single call is not enough: this one reads again until it
 * has them all, and throws if the file ends first.
 */
export function readFully(
  fd: number,
  buf: Buffer,
  length: number,
  position: number,
  path: string,
): void {
  if (length > buf.length)
    throw new RangeError(`readFully: ${length} bytes do not fit ${buf.length}`);
  for (let got = 0; got < length; ) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new Error(`${path} ended early: ${got} of ${length} bytes at ${position}`);
    got += n;
  }
}
