// Where a JSON text stops being JSON, as a line and column, for the start-up error. JSON.parse says
// it differently in each Node version (Node 20: "at position 16"; Node 22 often quotes the text and
// names no position), so the place is found by a small scan of the grammar (RFC 8259) instead.

export interface JsonLocation {
  line: number;
  column: number;
}

/** The line and column (1-based) of the first character that breaks the grammar; undefined if none does. */
export function jsonErrorLocation(text: string): JsonLocation | undefined {
  const at = new Scanner(text).firstError();
  if (at === undefined) return undefined;
  const before = text.slice(0, at);
  return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
}

/** Thrown inside the scan only, carrying where it stopped. */
class NotJsonAt extends Error {
  constructor(readonly at: number) {
    super(`not JSON at ${at}`);
  }
}

class Scanner {
  private i = 0;
  constructor(private readonly s: string) {}

  firstError(): number | undefined {
    try {
      this.space();
      this.value();
      this.space();
      if (this.i < this.s.length) throw new NotJsonAt(this.i);
      return undefined;
    } catch (err) {
      if (err instanceof NotJsonAt) return err.at;
      throw err;
    }
  }

  private space(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s.charAt(this.i))) this.i++;
  }

  private expect(char: string): void {
    if (this.s.charAt(this.i) !== char) throw new NotJsonAt(this.i);
    this.i++;
  }

  private value(): void {
    const c = this.s.charAt(this.i);
    if (c === '{')
      return this.members('}', () => {
        this.string();
        this.space();
        this.expect(':');
        this.space();
        this.value();
      });
    if (c === '[') return this.members(']', () => this.value());
    if (c === '"') return this.string();
    for (const word of ['true', 'false', 'null']) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (!number) throw new NotJsonAt(this.i);
    this.i += number[0].length;
  }

  private members(close: string, member: () => void): void {
    this.i++;
    this.space();
    if (this.s.charAt(this.i) === close) {
      this.i++;
      return;
    }
    for (;;) {
      member();
      this.space();
      if (this.s.charAt(this.i) === close) {
        this.i++;
        return;
      }
      this.expect(',');
      this.space();
    }
  }

  private string(): void {
    this.expect('"');
    for (;;) {
      if (this.i >= this.s.length) throw new NotJsonAt(this.i);
      const c = this.s.charAt(this.i);
      if (c === '"') {
        this.i++;
        return;
      }
      if (c < ' ') throw new NotJsonAt(this.i);
      if (c === '\\') {
        const escape = /^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/.exec(this.s.slice(this.i, this.i + 6));
        if (!escape) throw new NotJsonAt(this.i);
        this.i += escape[0].length;
      } else this.i++;
    }
  }
}
