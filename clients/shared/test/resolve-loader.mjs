let base

export function initialize(data) {
  base = data.base
}

export async function resolve(specifier, context, next) {
  const bare = !/^(?:\.|\/|[a-z]+:)/.test(specifier)
  if (bare && !context.parentURL?.includes('/node_modules/')) {
    return next(specifier, { ...context, parentURL: base })
  }
  return next(specifier, context)
}
