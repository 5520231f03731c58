/**
 * Repaints a frame of lines at the bottom of a terminal, in place: no flicker (each paint is one
 * write, in synchronized-output mode, that rewrites the frame row by row and clears only what is
 * left below), no scrolling garbage (a line never wraps: it is cut to the width; the frame never
 * grows past the screen), and correct after a resize. Lines printed `above` the frame stay in the
 * terminal's scrollback like ordinary output.
 *
 * Each row is erased whole (EL 2) before it is written, not just to its end: a reflowing terminal
 * marks the rows it rewrapped at a resize as continuations, and only a whole-row erase clears that
 * mark; left, the next resize would join the frame's lines into one and rewrap them. Before lines
 * `above` (which may wrap onto rows below) and after a resize, the old frame's rows are erased
 * first, row by row: an erase-below (ED) from the top-left corner would make tmux, and terminals
 * with the same habit, scroll the whole screen into the scrollback first.
 */
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';

const CSI = '\x1b[';
const SYNC_START = `${CSI}?2026h`;
const SYNC_END = `${CSI}?2026l`;
const HIDE_CURSOR = `${CSI}?25l`;
const SHOW_CURSOR = `${CSI}?25h`;

export interface TerminalStream {
  columns?: number;
  rows?: number;
  write(s: string): boolean;
  /** Node's tty.WriteStream: re-reads the size (an ioctl) and emits 'resize' when it changed. */
  _refreshSize?: () => void;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

/**
 * Screen rows the lines take at `cols` columns. After a terminal narrows, a reflowing terminal
 * (tmux, VTE, kitty, iTerm2, Windows Terminal) has wrapped each line that no longer fits, so the
 * cursor is that many rows below the frame's top. (A terminal that cuts lines instead, like xterm,
 * loses a few lines of earlier output above the frame to the repaint; a shrink that leaves fewer
 * rows than the wrapped frame needs has pushed its top into the scrollback, out of any program's
 * reach. The summary layout is a few lines, so neither happens short of a drastic shrink.)
 */
export function rowsTaken(widths: readonly number[], cols: number): number {
  return widths.reduce((n, w) => n + Math.max(1, Math.ceil(w / Math.max(1, cols))), 0);
}

/** Erases `n` rows whole, from the cursor's row down, and comes back (no scrolling, no ED). */
function eraseRows(n: number): string {
  if (n <= 0) return '';
  return `${CSI}2K${`${CSI}B${CSI}2K`.repeat(n - 1)}${n > 1 ? `${CSI}${n - 1}A` : ''}`;
}

export class FramePainter {
  /** The visible width of each line of the frame on screen now. */
  private drawn: number[] = [];
  private started = false;
  private resizedSincePaint = false;
  private painting = false;
  private resized?: () => void;

  constructor(private readonly out: TerminalStream) {}

  get cols(): number {
    return this.out.columns || 80;
  }

  get rows(): number {
    return this.out.rows || 24;
  }

  /** Calls `repaint` whenever the terminal changes size (until `stop`). */
  onResize(repaint: () => void): void {
    this.resized = () => {
      this.resizedSincePaint = true;
      if (!this.painting) repaint();
    };
    this.out.on('resize', this.resized);
  }

  /**
   * Asks the terminal for its size now. Node learns a new size only when it handles SIGWINCH,
   * which may come after the next paint: a frame laid out, or a paint done, at the old width after
   * the terminal rewrapped the frame would be cut short, or move up too few rows and leave the top
   * of the old frame on screen. Call it before laying out a frame; a resize found here is handled
   * by the coming paint, not by a nested one.
   */
  measure(): { cols: number; rows: number } {
    this.painting = true;
    try {
      this.out._refreshSize?.();
    } finally {
      this.painting = false;
    }
    return { cols: this.cols, rows: this.rows };
  }

  /** Replaces the frame on screen with `frame`, first printing `above` (once, to stay). */
  paint(frame: readonly string[], above: readonly string[] = []): void {
    this.measure();
    const cols = this.cols;
    const max = cols - 1;
    const up = Math.min(rowsTaken(this.drawn, cols), this.rows - 1);
    let s = `${SYNC_START}${this.started ? '' : HIDE_CURSOR}\r${up ? `${CSI}${up}A` : ''}`;
    if (above.length || this.resizedSincePaint) s += eraseRows(up);
    for (const line of above) s += `${line}${CSI}0m\n`;
    const widths: number[] = [];
    // Never more lines than the screen minus the cursor's row: cursor-up cannot reach higher.
    for (const line of frame.slice(0, Math.max(1, this.rows - 1))) {
      const cut = stringWidth(line) > max ? cliTruncate(line, max, { position: 'end', truncationCharacter: '…' }) : line;
      widths.push(stringWidth(cut));
      s += `${CSI}2K${cut}${CSI}0m\n`;
    }
    s += `${CSI}J${SYNC_END}`;
    this.out.write(s);
    this.drawn = widths;
    this.started = true;
    this.resizedSincePaint = false;
  }

  /** Leaves the last frame on screen and the cursor below it, visible. */
  stop(): void {
    if (this.resized) this.out.off('resize', this.resized);
    this.resized = undefined;
    if (this.started) this.out.write(SHOW_CURSOR);
  }
}

/** For an exit in the middle of a paint (Ctrl-C): the cursor must come back. */
export const RESTORE_CURSOR = SHOW_CURSOR;
