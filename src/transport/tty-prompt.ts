/**
 * Asking the operator for a secret on the controlling terminal (/dev/tty), without echo: the
 * answer never passes through stdin, stdout or a log. Without a terminal it says so.
 */
import { closeSync, openSync } from 'node:fs';
import tty from 'node:tty';

export class NoTerminalError extends Error {}

/** Opens /dev/tty twice (a read and a write descriptor: each stream closes its own). */
function openTerminal(): { input: tty.ReadStream; output: tty.WriteStream } {
  let rfd: number | undefined;
  try {
    rfd = openSync('/dev/tty', 'r');
    const wfd = openSync('/dev/tty', 'w');
    return { input: new tty.ReadStream(rfd), output: new tty.WriteStream(wfd) };
  } catch (err) {
    if (rfd !== undefined) closeSync(rfd);
    throw new NoTerminalError(`no terminal to ask on (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * Prints `question` on the terminal and reads one line with echo off.
 * @throws NoTerminalError without a controlling terminal; Error('interrupted') on Ctrl-C or Ctrl-D.
 */
export function askHidden(question: string): Promise<string> {
  const { input, output } = openTerminal();
  // Echo off before the question shows: nothing typed after it can appear on the screen.
  input.setRawMode(true);
  output.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (err?: Error) => {
      input.setRawMode(false);
      input.removeAllListeners('data');
      output.write('\n');
      input.destroy();
      output.destroy();
      if (err) reject(err);
      else resolve(answer);
    };
    input.on('data', (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new Error('interrupted'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else if (ch === '\u0015') answer = '';
        else answer += ch;
      }
    });
  });
}
