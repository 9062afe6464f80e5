import { ConnectorList } from '@vulnsync/api'
import { z } from 'zod'
import type { Runtime } from '../../runtime.ts'
import type { Router } from '../route.ts'
import { secretFieldsOf } from './connections.ts'

export const connectorRoutes = (rt: Runtime, r: Router) => {
  r.add({
    method: 'GET',
    url: '/api/v1/connectors',
    access: 'viewer',
    summary: 'The integration kinds vulnsync can connect, with the JSON Schema of their configuration and credentials',
    tags: ['connections'],
    response: ConnectorList,
    handler: async () => ({
      items: Object.values(rt.connectors).map((c) => ({
        kind: c.kind,
        title: c.title,
        logoLetters: c.logoLetters,
        description: c.description,
        help: c.help,
        role: c.role,
        configSchema: z.toJSONSchema(c.configSchema, { io: 'input', unrepresentable: 'any' }),
        secretsSchema: z.toJSONSchema(c.secretsSchema, { io: 'input', unrepresentable: 'any' }),
        secretFields: secretFieldsOf(c),
      })),
    }),
  })
}
