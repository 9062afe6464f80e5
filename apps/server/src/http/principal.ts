import type { Principal } from '@vulnsync/db'

/** How an audit event names who did it: the user, or `token` for a token without a user. */
export const actorOf = (p: Principal): string => p.username ?? 'token'
