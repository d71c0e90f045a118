import { escapeRegexLiteral } from '../config/url-pattern.js';
import { expandTemplate, parseTemplate, type TemplatePart } from '../config/template.js';
import type { HandlerConfig } from '../config/types.js';
import type { UrlMatch } from '../config/url-pattern.js';
import { literalPrefix } from './literal-prefix.js';
import { literalSuffix } from './literal-suffix.js';

/** A handler that matched a path, with its captures and its expanded target. */
export interface RouteMatch {
  handler: HandlerConfig;
  match: UrlMatch;
  /**
   * For static handlers, the file path relative to the app root (`static/img/a.png`); for
   * script handlers, the script with back-references expanded (`users.app`).
   */
  target: string;
}

interface Route {
  handler: HandlerConfig;
  prefix: string;
  suffix: string;
  template: TemplatePart[];
}

/**
 * The compiled handler list: "which handler, with which captures" for a decoded path. First
 * match wins; `from` lets the caller go on after a handler that declined (require_matching_file).
 * Everything is prepared here, once; a request costs a prefix and a suffix check per handler and
 * one regex.
 */
export class RouteTable {
  private readonly routes: Route[];

  constructor(readonly handlers: readonly HandlerConfig[]) {
    this.routes = handlers.map((handler) => ({
      handler,
      prefix: literalPrefix(handler.type === 'static_dir' ? `${escapeRegexLiteral(handler.url.replace(/\/+$/, ''))}/` : handler.url),
      suffix: handler.type === 'static_dir' ? '' : literalSuffix(handler.url),
      template: targetTemplate(handler),
    }));
  }

  /** The first handler at position `from` or later whose url matches `path` (decoded, no query). */
  match(path: string, from = 0): RouteMatch | undefined {
    const routes = this.routes;
    for (let i = from; i < routes.length; i++) {
      const route = routes[i]!;
      if (route.prefix !== '' && !path.startsWith(route.prefix)) continue;
      if (route.suffix !== '' && !path.endsWith(route.suffix)) continue;
      const match = route.handler.pattern.match(path);
      if (match) return { handler: route.handler, match, target: expandTemplate(route.template, match) };
    }
    return undefined;
  }
}

function targetTemplate(handler: HandlerConfig): TemplatePart[] {
  const { groupCount, groupNames } = handler.pattern;
  switch (handler.type) {
    case 'static_dir':
      return [`${handler.static_dir}/`, { group: 1 }];
    case 'static_files':
      return parseTemplate(handler.static_files, groupCount, groupNames);
    case 'script':
      return parseTemplate(handler.script, groupCount, groupNames);
  }
}
