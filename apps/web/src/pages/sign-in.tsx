import { type FormEvent, useEffect, useRef, useState } from 'react'
import { api, type User } from '../api.ts'
import { ErrorBox } from '../components/feedback.tsx'
import { PasswordField } from '../components/field.tsx'
import { Icon } from '../components/icon.tsx'
import { useAction } from '../hooks.ts'
import { navigate } from '../router.tsx'

export function SignInPage({ onSignedIn }: { onSignedIn: (u: User) => void }) {
  const [mode, setMode] = useState<'password' | 'token'>('password')
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [token, setToken] = useState('')
  const firstField = useRef<HTMLInputElement>(null)

  // biome-ignore lint/correctness/useExhaustiveDependencies: focus the first field whenever the method changes
  useEffect(() => {
    document.title = 'Sign in · vulnsync'
    firstField.current?.focus()
  }, [mode])

  const { busy, error, run } = useAction(async () => {
    const body = mode === 'password' ? { username: username.trim(), password } : { token: token.trim() }
    const r = await api<{ user: User }>('POST', '/auth/login', body)
    if (window.location.pathname === '/signin' || window.location.pathname === '/')
      navigate('/dashboard', { replace: true })
    onSignedIn(r.user)
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    void run()
  }

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <div className="brand brand-lg">
          <span className="brand-mark" aria-hidden="true">
            v
          </span>
          <span className="brand-name">vulnsync</span>
        </div>
        <h1 id="page-title" tabIndex={-1}>
          Sign in
        </h1>
        <p className="muted">One queue for every scanner's vulnerabilities.</p>
        <div
          className="segmented"
          role="tablist"
          aria-label="Sign-in method"
          onKeyDown={(e) => {
            if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
              e.preventDefault()
              const next = mode === 'password' ? 'token' : 'password'
              setMode(next)
              document.getElementById(`signin-tab-${next}`)?.focus()
            }
          }}
        >
          <button
            type="button"
            role="tab"
            id="signin-tab-password"
            aria-controls="signin-panel"
            aria-selected={mode === 'password'}
            tabIndex={mode === 'password' ? 0 : -1}
            className={mode === 'password' ? 'active' : ''}
            onClick={() => setMode('password')}
          >
            User name and password
          </button>
          <button
            type="button"
            role="tab"
            id="signin-tab-token"
            aria-controls="signin-panel"
            aria-selected={mode === 'token'}
            tabIndex={mode === 'token' ? 0 : -1}
            className={mode === 'token' ? 'active' : ''}
            onClick={() => setMode('token')}
          >
            API token
          </button>
        </div>
        <form
          onSubmit={submit}
          className="form"
          id="signin-panel"
          role="tabpanel"
          aria-labelledby={`signin-tab-${mode}`}
        >
          {mode === 'password' ? (
            <>
              <div className="field">
                <label htmlFor="signin-username">User name</label>
                <input
                  ref={firstField}
                  id="signin-username"
                  name="username"
                  autoComplete="username"
                  required
                  value={username}
                  onChange={(e) => setUsername(e.target.value)}
                />
              </div>
              <PasswordField
                id="signin-password"
                name="password"
                label="Password"
                purpose="current"
                value={password}
                onChange={setPassword}
              />
            </>
          ) : (
            <div className="field">
              <label htmlFor="signin-token">API token</label>
              <input
                ref={firstField}
                id="signin-token"
                name="token"
                type="password"
                autoComplete="off"
                required
                value={token}
                onChange={(e) => setToken(e.target.value)}
                aria-describedby="signin-token-help"
              />
              <p className="help" id="signin-token-help">
                First sign-in: the admin token the server wrote to <code>.vulnsync/initial-admin-token</code> when it
                first started (then set a password under Users). More tokens: <code>vulnsync token create</code>.
              </p>
            </div>
          )}
          <ErrorBox error={error} />
          {mode === 'password' ? (
            <p className="help">
              First time here? Sign in with the{' '}
              <button type="button" className="btn-link-inline" onClick={() => setMode('token')}>
                admin API token
              </button>{' '}
              from <code>.vulnsync/initial-admin-token</code>.
            </p>
          ) : null}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            <Icon name="key" />
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  )
}
