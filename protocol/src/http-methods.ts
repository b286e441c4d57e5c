// Which HTTP methods a path supports, from a server's route table — the edge and the
// media node answer any other method with 405 Method Not Allowed and an `Allow` header
// (RFC 9110 §15.5.6), instead of a 404 that says the resource does not exist.

/** One registered route: a method (`GET`, …, or `ALL` for middleware) and a Hono path pattern. */
export interface RouteEntry {
  method: string;
  path: string;
}

/** The order methods are listed in `Allow`. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A lookup from a request path to the methods its resource supports, in `Allow` order:
 * the routes' own methods, `HEAD` wherever there is `GET` (Hono answers HEAD with the GET
 * route), and `OPTIONS` (CORS preflight or the 204 the servers answer with `Allow`).
 * Returns undefined for paths no route matches (a 404). `ALL` entries — middleware — are
 * ignored. Patterns are Hono's: `:name` (one segment), `:name{regex}`, a trailing `*`.
 */
export function allowedMethodsLookup(routes: readonly RouteEntry[]): (path: string) => string[] | undefined {
  const byPattern = new Map<string, { matcher: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    const method = route.method.toUpperCase();
    if (method === 'ALL') continue;
    let entry = byPattern.get(route.path);
    if (!entry) {
      entry = { matcher: patternToRegExp(route.path), methods: new Set() };
      byPattern.set(route.path, entry);
    }
    entry.methods.add(method);
  }
  const patterns = [...byPattern.values()];
  return (path) => {
    const methods = new Set<string>();
    for (const { matcher, methods: own } of patterns) {
      if (matcher.test(path)) for (const m of own) methods.add(m);
    }
    if (methods.size === 0) return undefined;
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  };
}

/** True when `method` is among `allowed` (HEAD counts as GET, as Hono routes it). */
export function isMethodAllowed(method: string, allowed: readonly string[]): boolean {
  const upper = method.toUpperCase();
  return allowed.includes(upper === 'HEAD' ? 'GET' : upper);
}

function rank(method: string): number {
  const index = METHOD_ORDER.indexOf(method);
  return index === -1 ? METHOD_ORDER.length : index;
}

function patternToRegExp(pattern: string): RegExp {
  let source = '';
  for (const segment of pattern.split('/').slice(1)) {
    if (segment === '*') {
      source += '(?:/.*)?';
      continue;
    }
    const param = /^:[A-Za-z0-9_]+(?:\{(.+)\})?(\?)?$/.exec(segment);
    if (param) {
      const body = `/(?:${param[1] ?? '[^/]+'})`;
      source += param[2] ? `(?:${body})?` : body;
    } else {
      source += `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    }
  }
  return new RegExp(`^${source || '/'}$`);
}

/** An OpenAPI header object, as the servers' documents declare them. */
export type OpenApiHeader = {
  description: string;
  required: boolean;
  schema: { type: 'string' | 'integer'; minimum?: number };
};

/**
 * The OpenAPI response (for `components.responses.MethodNotAllowed`) of the 405 a server
 * answers for a method a path does not have. OpenAPI lists operations, not the methods a
 * path lacks, so documents carry it as a shared response and say so in their description.
 * `headers` adds the server's own response headers (e.g. X-Request-Id).
 */
export function methodNotAllowedResponse(headers: Record<string, OpenApiHeader> = {}) {
  return {
    description: 'The path exists but not with this method (`method_not_allowed`); `Allow` lists its methods',
    headers: {
      ...headers,
      Allow: {
        description: 'The methods this path supports, e.g. `GET, HEAD, PATCH, OPTIONS`',
        required: true,
        schema: { type: 'string' },
      } satisfies OpenApiHeader,
    },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}
