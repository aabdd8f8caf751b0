// The CLI's one way to the relay: its HTTP API, with the operator key, so the same commands work
// against the local host and an app in Azure. A problem+json answer becomes a RelayApiError that
// carries the API's own words; the key never appears in a message.

export interface ClientOptions {
  /** the app's base URL, e.g. http://127.0.0.1:7071 or https://<app>.azurewebsites.net */
  url: string;
  /** the operator key (x-functions-key) */
  key: string;
  fetch?: typeof fetch;
}

export class RelayApiError extends Error {
  override readonly name = 'RelayApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | undefined>;

export class RelayClient {
  readonly #base: string;
  readonly #key: string;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.#key = options.key;
    this.#fetch = options.fetch ?? fetch;
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.#call<T>('GET', path, query);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.#call<T>('PUT', path, {}, body);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#call<T>('POST', path, {}, body);
  }

  delete(path: string): Promise<void> {
    return this.#call<void>('DELETE', path, {});
  }

  async #call<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const url = new URL(this.#base + path);
    for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    let answer: Response;
    try {
      answer = await this.#fetch(url, {
        method,
        headers: { 'x-functions-key': this.#key, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new RelayApiError(`cannot reach the relay at ${this.#base}${cause}`, 0);
    }
    const text = await answer.text();
    if (!answer.ok) throw new RelayApiError(problemText(answer.status, text, method, safeDecode(url.pathname)), answer.status);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function problemText(status: number, text: string, method: string, path: string): string {
  let detail: string;
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    detail = [problem.title, problem.detail].filter(Boolean).join(': ');
  } catch {
    detail = text.slice(0, 200);
  }
  const hint = status === 401 || status === 403 ? ' (is RELAY_ADMIN_KEY the operator key, not a sender key?)' : '';
  return `${method} ${path} answered ${status}${detail ? ` ${detail}` : ''}${hint}`;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
