/**
 * Input a store refuses (a cursor that does not fit its sort, a key nobody issued). The HTTP layer answers it with
 * 400 and these words; everything else a store throws is an internal error.
 */
export class InputError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    /** the HTTP status that fits best (400 unless the input names something that does not exist) */
    readonly status: 400 | 404 | 409 | 422 = 400,
  ) {
    super(message)
    this.name = 'InputError'
  }
}
