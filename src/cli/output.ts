// Where a command writes: stdout for results, stderr for progress. Tests give their own.

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** a terminal that can redraw a progress bar in place */
  readonly tty: boolean;
  readonly json: boolean;
}

export function print(output: Output, value: unknown, text: () => string): void {
  output.out(output.json ? JSON.stringify(value, null, 2) : text());
}
