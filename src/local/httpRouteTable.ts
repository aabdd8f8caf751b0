// The HTTP route table as the Functions host builds it: a route starting with "/" breaks the whole host,
// one starting with "admin" or "runtime" or repeating another function's route for one of its methods
// keeps that function from loading (the host's HTTP function validation), and requests are matched
// against the routes in function-name order, the first match winning, not the most specific one.
import type { RegisteredFunction } from './functionsCore';
import type { AuthLevel } from './hostKeys';
import { matchRoute, parseRouteTemplate, type RouteTemplate } from './httpRoute';
import { triggerBindingOf } from './invocation';

export interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly template: RouteTemplate;
  /** the route as declared, without the prefix */
  readonly route: string;
  readonly methods: ReadonlySet<string>;
  readonly authLevel: AuthLevel;
  /** name of the http output binding whose value is the response ("$return" by default) */
  readonly responseBinding?: string;
}

export interface RouteTable {
  readonly routes: readonly HttpRoute[];
  /** functions the host would not load, with the host's reason */
  readonly refused: readonly { name: string; reason: string }[];
}

const builtInRoutePrefixes = ['admin', 'runtime'];

/** Builds the route table; throws on what would stop the whole host. */
export function buildHttpRoutes(functions: Iterable<RegisteredFunction>, routePrefix: string): RouteTable {
  const routes: HttpRoute[] = [];
  const refused: { name: string; reason: string }[] = [];
  const byName = [...functions]
    .filter((fn) => triggerBindingOf(fn).type.toLowerCase() === 'httptrigger')
    .sort((a, b) => compareNames(a.metadata.name, b.metadata.name));
  for (const fn of byName) {
    const name = fn.metadata.name;
    const trigger = triggerBindingOf(fn);
    const route = typeof trigger.options.route === 'string' && trigger.options.route.trim() !== '' ? trigger.options.route.trim() : name;
    if (route.startsWith('/')) {
      throw new Error(
        `Function "${name}" has the route "${route}", which starts with "/": in Azure this breaks the whole host (every function fails), so the local host refuses to start; write the route without the leading "/"`,
      );
    }
    const declaredMethods = Array.isArray(trigger.options.methods) ? (trigger.options.methods as unknown[]) : ['GET', 'POST'];
    const methods = new Set(declaredMethods.map((m) => String(m).toUpperCase()));
    const authLevel = (typeof trigger.options.authLevel === 'string' ? trigger.options.authLevel : 'function').toLowerCase();
    if (authLevel !== 'anonymous' && authLevel !== 'function' && authLevel !== 'admin') {
      throw new Error(`Function "${name}" has authLevel "${authLevel}": it must be anonymous, function or admin`);
    }
    if (builtInRoutePrefixes.some((reserved) => route.toLowerCase().startsWith(reserved))) {
      refused.push({ name, reason: 'The specified route conflicts with one or more built in routes.' });
      continue;
    }
    const conflict = routes.find((other) => other.route.toLowerCase() === route.toLowerCase() && [...methods].some((m) => other.methods.has(m)));
    if (conflict) {
      refused.push({ name, reason: `The route specified conflicts with the route defined by function '${conflict.fn.metadata.name}'.` });
      continue;
    }
    const prefix = routePrefix.replace(/^\/+|\/+$/g, '');
    const responseBinding = Object.entries(fn.metadata.bindings).find(([, b]) => b.direction === 'out' && b.type?.toLowerCase() === 'http')?.[0];
    routes.push({ fn, route, template: parseRouteTemplate(prefix ? `${prefix}/${route}` : route), methods, authLevel, responseBinding });
  }
  return { routes, refused };
}

/** The first route, in function-name order, whose template and method match. */
export function findRoute(routes: readonly HttpRoute[], method: string, pathname: string): { route: HttpRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (!route.methods.has(method)) continue;
    const params = matchRoute(route.template, pathname);
    if (params) return { route, params };
  }
  return undefined;
}

/** Case-insensitive first, then ordinal, close to how .NET orders the function names. */
function compareNames(a: string, b: string): number {
  const lower = a.toLowerCase().localeCompare(b.toLowerCase(), 'en');
  return lower !== 0 ? lower : a < b ? -1 : a > b ? 1 : 0;
}
