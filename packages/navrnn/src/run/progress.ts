/**
 * A live progress line for long work: on a terminal one line rewritten in place
 * (step/total, loss, error, steps per second, ETA); elsewhere (a log file, CI) a plain line every
 * `every` seconds and at the end.
 */
import type { Progress } from './train.js';

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return (h ? `${h}:${String(m).padStart(2, '0')}` : String(m)) + `:${String(r).padStart(2, '0')}`;
}

/** One progress line: step/total, loss, error, steps per second, ETA. */
export function formatProgress(p: Progress): string {
  const width = String(p.steps).length;
  return (
    `step ${String(p.step).padStart(width)}/${p.steps}  loss ${p.loss.toExponential(3)}${Number.isFinite(p.rmseCm) ? `  rmse ${p.rmseCm.toFixed(2)} cm` : ''}` +
    (p.evalErrorCm !== null ? `  held-out error ${p.evalErrorCm.toFixed(2)} cm` : '') +
    `  ${p.stepsPerSecond.toFixed(2)} steps/s  ETA ${clock(p.etaSeconds)}`
  );
}

/** A progress callback for `train`: rewrites one line on a terminal, else prints every `every` seconds. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, every = 10): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const done = p.step === p.steps;
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${formatProgress(p)}${done ? '\n' : ''}`);
      return;
    }
    const now = Date.now() / 1000;
    if (done || now - last >= every) {
      last = now;
      stream.write(formatProgress(p) + '\n');
    }
  };
}
