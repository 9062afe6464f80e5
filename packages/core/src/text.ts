/** A NUL byte, or half of a UTF-16 surrogate pair: no PostgreSQL text or json value can hold either. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s)
