/**
 * Routing (PRODUCT.md §4): workspace rules as data, and the pure decision of where a new
 * inbound chat goes — which rule matched, which team or user, by which strategy, and why.
 * Eligibility is the access engine's own `chat.reply` decision, never a copy of it.
 */
export * from './rules.js';
export * from './safe-regex.js';
export * from './match-rule.js';
export * from './eligibility.js';
export * from './strategies.js';
export * from './route-chat.js';
