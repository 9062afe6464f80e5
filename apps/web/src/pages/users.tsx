import { type FormEvent, useEffect, useState } from 'react'
import { api, errorText, type Role, type User } from '../api.ts'
import { useAuth } from '../auth.tsx'
import { ConfirmDialog } from '../components/confirm-dialog.tsx'
import { Dialog } from '../components/dialog.tsx'
import { ErrorBox, Spinner } from '../components/feedback.tsx'
import { PasswordField } from '../components/field.tsx'
import { FormDialog } from '../components/form-dialog.tsx'
import { PageHeader } from '../components/page-header.tsx'
import { useToast } from '../components/toast.tsx'
import { fmtDate } from '../format.ts'
import { useLoad } from '../hooks.ts'

const ROLES: { value: Role; label: string; text: string }[] = [
  { value: 'admin', label: 'Admin', text: 'manages integrations and users' },
  { value: 'member', label: 'Member', text: 'triages and works remediation' },
  { value: 'viewer', label: 'Viewer', text: 'reads everything, changes nothing' },
]

export function UsersPage() {
  const { user: me } = useAuth()
  const toast = useToast()
  const users = useLoad('users', (s) => api<{ items: User[] }>('GET', '/users', undefined, s))
  const [adding, setAdding] = useState(false)
  const [resetting, setResetting] = useState<User | null>(null)
  const [deleting, setDeleting] = useState<User | null>(null)
  useEffect(() => {
    document.title = 'Users · vulnsync'
  }, [])

  const changeRole = async (u: User, role: Role) => {
    try {
      await api('PATCH', `/users/${encodeURIComponent(u.id)}`, { role })
      toast(`${u.username} is now ${role}`, 'ok')
      users.reload()
    } catch (e) {
      toast(`Role not changed: ${errorText(e)}`, 'bad')
      users.reload()
    }
  }

  return (
    <>
      <PageHeader
        title="Users"
        subtitle="Who can sign in, and what they may do."
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add user
          </button>
        }
      />
      <ErrorBox error={users.error} />
      {users.loading && !users.data ? <Spinner /> : null}
      {users.data ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">User name</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <td>
                    <strong>{u.username}</strong>
                    {u.id === me.id ? <span className="muted small"> (you)</span> : null}
                  </td>
                  <td>
                    <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                      Role of {u.username}
                    </label>
                    <select
                      id={`role-${u.id}`}
                      value={u.role}
                      disabled={u.id === me.id}
                      onChange={(e) => void changeRole(u, e.target.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r.value} value={r.value}>
                          {r.label}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{fmtDate(u.createdAt)}</td>
                  <td className="cell-actions">
                    <button type="button" className="btn btn-ghost btn-sm" onClick={() => setResetting(u)}>
                      Set password
                    </button>
                    {u.id !== me.id ? (
                      <button
                        type="button"
                        className="btn btn-danger-ghost btn-sm"
                        onClick={() => setDeleting(u)}
                        aria-label={`Delete ${u.username}`}
                      >
                        Delete
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ul className="role-legend muted small">
        {ROLES.map((r) => (
          <li key={r.value}>
            <strong>{r.label}</strong>: {r.text}
          </li>
        ))}
      </ul>
      <Tokens />
      {adding ? (
        <AddUserDialog
          onClose={() => setAdding(false)}
          onDone={(u) => {
            setAdding(false)
            toast(`${u} added`, 'ok')
            users.reload()
          }}
        />
      ) : null}
      {resetting ? (
        <PasswordDialog
          user={resetting}
          onClose={() => setResetting(null)}
          onDone={() => {
            toast(`Password of ${resetting.username} changed`, 'ok')
            setResetting(null)
          }}
        />
      ) : null}
      {deleting ? (
        <DeleteDialog
          user={deleting}
          onClose={() => setDeleting(null)}
          onDone={() => {
            toast(`${deleting.username} deleted`, 'ok')
            setDeleting(null)
            users.reload()
          }}
        />
      ) : null}
    </>
  )
}

function AddUserDialog({ onClose, onDone }: { onClose: () => void; onDone: (username: string) => void }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<Role>('member')
  const submit = async () => {
    await api('POST', '/users', { username: username.trim(), password, role })
    onDone(username.trim())
  }
  return (
    <FormDialog
      title="Add user"
      formId="add-user"
      submitLabel="Add user"
      busyLabel="Adding…"
      onClose={onClose}
      onSubmit={submit}
      errorTitle={() => 'Not added'}
    >
      {() => (
        <>
          <div className="field">
            <label htmlFor="nu-name">User name</label>
            <input
              id="nu-name"
              required
              autoComplete="off"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <PasswordField
            id="nu-pass"
            label="Password"
            purpose="new"
            minLength={10}
            value={password}
            onChange={setPassword}
            help="At least 10 characters. Share it safely; they can sign in right away."
          />
          <fieldset className="radio-group">
            <legend>Role</legend>
            {ROLES.map((r) => (
              <label key={r.value}>
                <input
                  type="radio"
                  name="nu-role"
                  value={r.value}
                  checked={role === r.value}
                  onChange={() => setRole(r.value)}
                />{' '}
                <strong>{r.label}</strong> <span className="muted">{r.text}</span>
              </label>
            ))}
          </fieldset>
        </>
      )}
    </FormDialog>
  )
}

function PasswordDialog({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => void }) {
  const [password, setPassword] = useState('')
  const submit = async () => {
    await api('PATCH', `/users/${encodeURIComponent(user.id)}`, { password })
    onDone()
  }
  return (
    <FormDialog
      title={`Set the password of ${user.username}`}
      formId="set-pass"
      formLabel="Set password"
      submitLabel="Save"
      onClose={onClose}
      onSubmit={submit}
    >
      {() => (
        <PasswordField
          id="sp-pass"
          label="New password"
          purpose="new"
          minLength={10}
          value={password}
          onChange={setPassword}
        />
      )}
    </FormDialog>
  )
}

function DeleteDialog({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => void }) {
  const del = async () => {
    await api('DELETE', `/users/${encodeURIComponent(user.id)}`)
    onDone()
  }
  return (
    <ConfirmDialog title={`Delete ${user.username}?`} confirmLabel="Delete" onClose={onClose} onConfirm={del}>
      <p>They can no longer sign in, and their API tokens stop working. What they did stays in the history.</p>
    </ConfirmDialog>
  )
}

interface TokenRow {
  id: string
  name: string
  prefix: string
  role: Role
  user_id?: string | null
  created_at?: string
  createdAt?: string
  last_used_at?: string | null
  lastUsedAt?: string | null
  expires_at?: string | null
  expiresAt?: string | null
}

/** API tokens: for automation (bearer) and for signing in to the web app with a token. */
function Tokens() {
  const toast = useToast()
  const tokens = useLoad('tokens', (s) => api<{ items: TokenRow[] }>('GET', '/tokens', undefined, s))
  const [creating, setCreating] = useState(false)
  const [revoking, setRevoking] = useState<TokenRow | null>(null)
  const revoke = async (t: TokenRow) => {
    try {
      await api('DELETE', `/tokens/${encodeURIComponent(t.id)}`)
      toast(`Token ${t.name} revoked`, 'ok')
      tokens.reload()
    } catch (e) {
      toast(`Not revoked: ${errorText(e)}`, 'bad')
    } finally {
      setRevoking(null)
    }
  }
  return (
    <section aria-labelledby="tokens-title" className="tokens">
      <div className="section-head">
        <h2 id="tokens-title" className="section-title">
          API tokens
        </h2>
        <button type="button" className="btn btn-secondary" onClick={() => setCreating(true)}>
          Create token
        </button>
      </div>
      <p className="muted">
        For scripts and CI (sent as <code>Authorization: Bearer …</code>), and to sign in with a token. Only a hash is
        stored.
      </p>
      <ErrorBox error={tokens.error} />
      {tokens.data?.items.length ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.items.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td className="mono">{t.prefix}…</td>
                  <td>{t.role}</td>
                  <td>{fmtDate(t.createdAt ?? t.created_at)}</td>
                  <td>{fmtDate(t.lastUsedAt ?? t.last_used_at)}</td>
                  <td>{(t.expiresAt ?? t.expires_at) ? fmtDate(t.expiresAt ?? t.expires_at) : 'never'}</td>
                  <td className="cell-actions">
                    <button
                      type="button"
                      className="btn btn-danger-ghost btn-sm"
                      onClick={() => setRevoking(t)}
                      aria-label={`Revoke token ${t.name}`}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : tokens.data ? (
        <p className="muted">No API tokens yet.</p>
      ) : null}
      {creating ? (
        <CreateTokenDialog
          onClose={() => {
            setCreating(false)
            tokens.reload()
          }}
        />
      ) : null}
      {revoking ? (
        <Dialog
          title={`Revoke ${revoking.name}?`}
          onClose={() => setRevoking(null)}
          footer={
            <>
              <button type="button" className="btn btn-ghost" onClick={() => setRevoking(null)}>
                Cancel
              </button>
              <button type="button" className="btn btn-danger" onClick={() => void revoke(revoking)}>
                Revoke
              </button>
            </>
          }
        >
          <p>Scripts using this token stop working at once. This cannot be undone.</p>
        </Dialog>
      ) : null}
    </section>
  )
}

function CreateTokenDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('')
  const [role, setRole] = useState<Role>('viewer')
  const [days, setDays] = useState('90')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [created, setCreated] = useState<string | null>(null)
  const [copied, setCopied] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body: Record<string, unknown> = { name: name.trim(), role }
      if (days) body.expiresInDays = Number(days)
      const r = await api<{ token: string }>('POST', '/tokens', body)
      setCreated(r.token)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Dialog
      title={created ? 'Token created' : 'Create API token'}
      onClose={onClose}
      footer={
        created ? (
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" form="create-token" className="btn btn-primary" disabled={busy}>
              Create token
            </button>
          </>
        )
      }
    >
      {created ? (
        <div className="form">
          <p>Copy the token now: it is shown only once.</p>
          <div className="field">
            <label htmlFor="new-token">Token</label>
            <div className="input-with-button">
              <input id="new-token" readOnly value={created} className="mono" onFocus={(e) => e.target.select()} />
              <button
                type="button"
                className="btn btn-secondary btn-sm"
                onClick={() => {
                  void navigator.clipboard?.writeText(created).then(
                    () => setCopied(true),
                    () => {},
                  )
                }}
              >
                {copied ? 'Copied' : 'Copy'}
              </button>
            </div>
          </div>
        </div>
      ) : (
        <form id="create-token" className="form" onSubmit={submit} aria-label="Create API token">
          <div className="field">
            <label htmlFor="tk-name">Name</label>
            <input
              id="tk-name"
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="ci-export"
            />
          </div>
          <div className="field">
            <label htmlFor="tk-role">Role</label>
            <select id="tk-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}: {r.text}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="tk-days">Expires after</label>
            <select id="tk-days" value={days} onChange={(e) => setDays(e.target.value)}>
              <option value="30">30 days</option>
              <option value="90">90 days</option>
              <option value="365">1 year</option>
              <option value="">Never</option>
            </select>
          </div>
          <ErrorBox error={error} title="Not created" />
        </form>
      )}
    </Dialog>
  )
}
