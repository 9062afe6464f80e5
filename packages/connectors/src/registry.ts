import type { AnyConnector, ConnectorKind } from '@vulnsync/core'
import { endorConnector } from './endor/index.ts'
import { githubConnector } from './github/index.ts'
import { gitlabConnector } from './gitlab/index.ts'
import { jfrogConnector } from './jfrog/index.ts'
import { oxConnector } from './ox/index.ts'

/**
 * Every integration vulnsync ships. `satisfies Record<ConnectorKind, …>` makes a kind added to CONNECTOR_KINDS
 * without a connector here fail to compile, and each entry's kind must equal its key.
 */
export const CONNECTORS = {
  ox: oxConnector,
  endor: endorConnector,
  jfrog: jfrogConnector,
  github: githubConnector,
  gitlab: gitlabConnector,
} as const satisfies { [K in ConnectorKind]: AnyConnector & { kind: K } }
