/**
 * A fixed piece of CPU work timed on this machine, before and after the runs. On a shared VM
 * the same copy cost up to 40 % more CPU from one hour to the next (no steal time showed it),
 * and the copy figures here are bound by CPU: two runs' figures compare only as far as their
 * calibrations agree.
 */

import { ScanCopyError } from '../src/core/errors.js';

const RECORDS = Array.from({ length: 20_000 }, (_, i) => ({ id: i, scan: `scan_${i}`, files: [i * 2, i * 2 + 1], ok: i % 3 === 0 }));

/** Milliseconds for 20 JSON round trips of 20 000 small records (JS work, as the client's), the best of three tries. */
export function cpuCalibrationMs(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = performance.now();
    let size = 0;
    for (let i = 0; i < 20; i++) size += (JSON.parse(JSON.stringify(RECORDS)) as unknown[]).length;
    if (size !== 20 * RECORDS.length) throw new ScanCopyError('INTERNAL', 'the CPU calibration lost records');
    best = Math.min(best, performance.now() - started);
  }
  return best;
}
