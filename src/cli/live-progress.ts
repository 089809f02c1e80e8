import cliProgress from 'cli-progress';
import { formatStatusLine, type LiveStatus } from '../report/progress.js';

const REDRAW_MS = 250;

/**
 * The live status line on a terminal (cli-progress keeps it at the bottom and prints the progress
 * lines above it). Only used in `live` output mode; it never measures, it asks `read` for the status.
 */
export class LiveProgress {
  private readonly bars: cliProgress.MultiBar;
  private readonly bar: cliProgress.SingleBar;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly read: () => LiveStatus) {
    this.bars = new cliProgress.MultiBar({
      stream: process.stdout,
      format: (_options, _params, payload: { line?: string }) => payload.line ?? '',
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      noTTYOutput: false,
      fps: 10,
    });
    this.bar = this.bars.create(1, 0, { line: formatStatusLine(read()) });
    this.timer = setInterval(() => this.bar.update(0, { line: formatStatusLine(this.read()) }), REDRAW_MS);
    this.timer.unref();
  }

  /** Prints a line above the status line. */
  log(line: string): void {
    this.bars.log(`${line}\n`);
  }

  /** Removes the status line; what follows prints as usual. */
  stop(): void {
    clearInterval(this.timer);
    this.bars.stop();
  }
}
