/**
 * The access policy (PRODUCT.md §3): roles, levels and restrictions as data, and the pure
 * functions derived from them — `check` (with explanations), `allows`, `audience`, the scope
 * plan the database compiles into the list query, and `redact`.
 */
export * from './levels.js';
export * from './roles.js';
export * from './restrictions.js';
export * from './facts.js';
export * from './principal.js';
export * from './keys.js';
export * from './scope.js';
export * from './check.js';
export * from './redact.js';
export * from './list-filter.js';
export * from './ports.js';
export * from './explain-access.js';
export * from './list-audience.js';
export * from './decide.js';
export * from './member-rules.js';
