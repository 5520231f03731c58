/**
 * A real terminal of a fixed size for tests: a private tmux server (its own socket, no status
 * line) runs one command in a pane; `screen()` is what an operator sees now, `history()` the
 * whole scrollback with wrapped lines joined, `resize()` changes the terminal's size as a window
 * manager would (the program gets SIGWINCH). `stop()` ends the server and everything in it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, sleep } from '../../src/lab/run.js';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxTerminal {
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-tmux-'));
  private readonly socket = `fleet-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private started = false;

  private tmux(args: string[]) {
    return run(['tmux', '-L', this.socket, '-f', path.join(this.dir, 'tmux.conf'), ...args], { env: { ...process.env, TERM: 'xterm-256color' }, timeoutMs: 10_000 });
  }

  /**
   * Runs argv (in `cwd`, with `env` added and CI unset, as on an operator's terminal) in a
   * cols×rows pane, after printing the lines `before` (earlier output on that terminal). When it
   * ends, the pane prints `EXIT <code>` and stays.
   */
  async start(argv: string[], opts: { cols: number; rows: number; cwd: string; env?: Record<string, string>; before?: string[] }): Promise<void> {
    writeFileSync(path.join(this.dir, 'tmux.conf'), 'set -g status off\nset -g history-limit 50000\nset -g default-terminal tmux-256color\n');
    const script = [
      'unset CI NO_COLOR',
      `cd ${q(opts.cwd)}`,
      ...Object.entries(opts.env ?? {}).map(([k, v]) => `export ${k}=${q(v)}`),
      ...(opts.before ?? []).map((line) => `printf '%s\\n' ${q(line)}`),
      argv.map(q).join(' '),
      'echo "EXIT $?"',
      'exec sleep 3600',
    ].join('\n');
    writeFileSync(path.join(this.dir, 'run.sh'), `${script}\n`);
    const r = await this.tmux(['new-session', '-d', '-s', 't', '-x', String(opts.cols), '-y', String(opts.rows), `sh ${q(path.join(this.dir, 'run.sh'))}`]);
    if (r.code !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
    this.started = true;
  }

  /** The visible screen, one string per row (trailing blanks removed); `joined`: wrapped rows as the line they are. */
  async screen(opts: { joined?: boolean } = {}): Promise<string[]> {
    const r = await this.tmux(['capture-pane', '-p', ...(opts.joined ? ['-J'] : []), '-t', 't']);
    return r.stdout.replace(/\n$/, '').split('\n').map((l) => l.trimEnd());
  }

  /** Everything the pane ever showed, scrollback included, wrapped lines joined. */
  async history(): Promise<string[]> {
    const r = await this.tmux(['capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', 't']);
    return r.stdout.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  }

  async resize(cols: number, rows: number): Promise<void> {
    const r = await this.tmux(['resize-window', '-t', 't', '-x', String(cols), '-y', String(rows)]);
    if (r.code !== 0) throw new Error(`tmux resize-window failed: ${r.stderr}`);
  }

  /** Polls the screen until `ok` holds; throws with the last screen when it does not in time. */
  async waitFor(what: string, ok: (screen: string[]) => boolean, timeoutMs = 60_000, opts: { joined?: boolean } = {}): Promise<string[]> {
    let last: string[] = [];
    for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(150)) {
      last = await this.screen(opts);
      if (ok(last)) return last;
    }
    throw new Error(`the terminal never showed ${what}; last screen:\n${last.join('\n')}`);
  }

  /** The command's exit code, once it has ended. */
  async exitCode(timeoutMs = 120_000): Promise<number> {
    const screen = await this.waitFor('the command ending', (s) => s.some((l) => /^EXIT \d+$/.test(l)), timeoutMs);
    return Number(/^EXIT (\d+)$/.exec(screen.find((l) => /^EXIT \d+$/.test(l))!)![1]);
  }

  async stop(): Promise<void> {
    if (this.started) await this.tmux(['kill-server']);
    this.started = false;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
