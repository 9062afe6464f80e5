import type { Actor, Principal } from '@vulnsync/db'

/** How an audit event names who did it: the user, or `token` for a token without a user. */
export const actorOf = (p: Principal): string => p.username ?? 'token'

/** The actor of a timeline entry a person (or their token) caused. */
export const eventActor = (p: Principal): Actor => ({ name: actorOf(p), kind: p.via === 'token' ? 'token' : 'user' })
