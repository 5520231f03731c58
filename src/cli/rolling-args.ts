/** --serial's argument, parsed before anything runs (a bad list is exit 4, no host touched). */
import { parseSerial, type SerialStep } from '../engine/batches.js';

export interface SerialArg {
  spec: string;
  steps: SerialStep[];
}

export function serialArg(v: string): SerialArg {
  return { spec: v, steps: parseSerial(v) };
}
