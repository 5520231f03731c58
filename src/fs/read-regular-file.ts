/**
 * Reading a file an operator named (an inventory, `-e @FILE`, a provider config, a key, a
 * known_hosts file): only a regular file, and only up to a size cap, so `/dev/zero`, a FIFO or a
 * directory is a clear error instead of a hang at gigabytes of memory or a bare EISDIR.
 *
 * The file is opened first and everything is checked on the open descriptor (fstat), so the
 * answer is about the file actually read, not a name that changed in between.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants } from 'node:fs';
import { InputFileError } from '../errors.js';

/** Large enough for any inventory, vars file or provider config; small enough never to hurt. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export interface ReadRegularOptions {
  /** What the file is, for the message: 'inventory', 'openvpn_config_file', 'key_file'... */
  what: string;
  maxBytes?: number;
}

/**
 * The file's bytes.
 * @throws InputFileError when it does not exist, cannot be read, is not a regular file, or is
 *   larger than `maxBytes`; the message names `what` and the path.
 */
export function readRegularFile(path: string, opts: ReadRegularOptions): Buffer {
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not block; a regular file ignores it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory, not a regular file' : (e.code ?? e.message);
    throw new InputFileError(opts.what, path, why, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(opts.what, path, 'it is a directory, not a regular file');
    if (!st.isFile()) throw new InputFileError(opts.what, path, 'not a regular file (a device, FIFO or socket)');
    if (st.size > max) throw new InputFileError(opts.what, path, `it is ${st.size} bytes, more than the ${max} bytes fleet reads`);
    // Read to the cap + 1 whatever fstat said: a file that grows while read still stops at the cap.
    const buf = Buffer.alloc(Math.min(max + 1, Math.max(st.size, 0) + 1));
    let got = 0;
    for (;;) {
      if (got === buf.length) break;
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    if (got > max) throw new InputFileError(opts.what, path, `it is more than the ${max} bytes fleet reads`);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** `readRegularFile` as UTF-8 text (inventories, vars files, known_hosts). */
export function readRegularText(path: string, opts: ReadRegularOptions): string {
  return readRegularFile(path, opts).toString('utf8');
}
