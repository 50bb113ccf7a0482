/**
 * What counts as a word character for routing: letters, combining marks and digits of every
 * script, and `_`. JavaScript's own `\w` and `\b` know only ASCII, which would make
 * `\bзаказ\b` or the keyword "zamówienie" never match in Russian or Polish text.
 */
export const WORD_CHARS = '\\p{L}\\p{M}\\p{N}_';

const wordChar = new RegExp(`^[${WORD_CHARS}]$`, 'u');

export const isWordChar = (c: string | undefined): boolean => c !== undefined && wordChar.test(c);
