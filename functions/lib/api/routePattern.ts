/** A route template as middy's router matches it: `{name}` is one path segment, and one trailing slash is allowed. */
export function routePattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}/?$`);
}
