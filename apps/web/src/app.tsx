import { lazy, type ReactNode, Suspense, useCallback, useEffect, useRef, useState } from 'react'
import { api, UNAUTHORIZED_EVENT, type User } from './api.ts'
import { AuthCtx, useAuth } from './auth.tsx'
import { ChangePasswordDialog } from './components/change-password.tsx'
import { Empty, Spinner } from './components/feedback.tsx'
import { Icon } from './components/icon.tsx'
import { ToastProvider } from './components/toast.tsx'
import { useConnectors } from './connectors-cache.ts'
import { ApplicationsPage } from './pages/applications.tsx'
import { DecisionsPage } from './pages/decisions.tsx'
import { FixPullRequestsPage } from './pages/fix-prs.tsx'
import { HubPage } from './pages/hub/index.tsx'
import { NotificationsPage } from './pages/notifications.tsx'
import { OwnershipRulesPage } from './pages/ownership-rules.tsx'
import { PrioritisationPage } from './pages/prioritisation.tsx'
import { RepositoriesPage } from './pages/repositories.tsx'
import { RepositoryFixesPage } from './pages/repository-fixes.tsx'
import { SettingsPage } from './pages/settings.tsx'
import { SignInPage } from './pages/sign-in.tsx'
import { SyncHistoryPage } from './pages/syncs.tsx'
import { TeamsPage } from './pages/teams.tsx'
import { UsersPage } from './pages/users.tsx'
import { VulnerabilitiesPage } from './pages/vulnerabilities/index.tsx'
import { VulnerabilityDetailPage } from './pages/vulnerability-detail/index.tsx'
import { Link, match, navigate, useLocation } from './router.tsx'

// the dashboard brings the charting library: its own chunk, so the other pages do not load it
const DashboardPage = lazy(() => import('./pages/dashboard/index.tsx').then((m) => ({ default: m.DashboardPage })))

/** Where the app goes after sign-in, and from `/`. */
export const LANDING = '/dashboard'

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined)

  useEffect(() => {
    const ac = new AbortController()
    api<{ user: User }>('GET', '/auth/me', undefined, ac.signal).then(
      (r) => setUser(r.user),
      (e) => {
        if ((e as Error).name !== 'AbortError') setUser(null)
      },
    )
    const onUnauthorized = () => setUser(null)
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized)
    return () => {
      ac.abort()
      window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized)
    }
  }, [])

  const signOut = useCallback(async () => {
    try {
      await api('POST', '/auth/logout')
    } finally {
      setUser(null)
      navigate('/signin')
    }
  }, [])

  if (user === undefined)
    return (
      <div className="boot">
        <Spinner label="Starting vulnsync" />
      </div>
    )
  return (
    <ToastProvider>
      {user === null ? (
        <SignInPage onSignedIn={setUser} />
      ) : (
        <AuthCtx.Provider value={{ user, signOut }}>
          <Shell />
        </AuthCtx.Provider>
      )}
    </ToastProvider>
  )
}

type NavItem = {
  to: string
  label: string
  icon: 'chart' | 'shield' | 'plug' | 'repo' | 'users' | 'user' | 'clipboard' | 'sliders' | 'check' | 'key' | 'alert'
  admin?: boolean
  /** only for a signed-in user (an API token of no user has no "me") */
  user?: boolean
}
const NAV: NavItem[] = [
  { to: '/dashboard', label: 'Dashboard', icon: 'chart' },
  { to: '/vulnerabilities', label: 'Vulnerabilities', icon: 'shield' },
  { to: '/vulnerabilities?assignee=me', label: 'Assigned to me', icon: 'user', user: true },
  { to: '/decisions', label: 'Decisions', icon: 'clipboard' },
  { to: '/integrations', label: 'Integrations', icon: 'plug' },
  { to: '/notifications', label: 'Notifications', icon: 'alert' },
  { to: '/repositories', label: 'Repositories', icon: 'repo' },
  { to: '/fix-prs', label: 'Fix pull requests', icon: 'check' },
  { to: '/teams', label: 'Teams', icon: 'users' },
  { to: '/applications', label: 'Applications', icon: 'shield' },
  { to: '/ownership-rules', label: 'Ownership rules', icon: 'key' },
  { to: '/users', label: 'Users', icon: 'users', admin: true },
  { to: '/prioritisation', label: 'Prioritisation', icon: 'sliders' },
  { to: '/settings', label: 'Settings', icon: 'sliders' },
]

/** The nav entry the current page belongs to: "Assigned to me" is the queue filtered to me. */
function isActive(n: NavItem, pathname: string, query: URLSearchParams): boolean {
  const mine = pathname === '/vulnerabilities' && query.get('assignee') === 'me'
  if (n.to === '/vulnerabilities?assignee=me') return mine
  if (n.to === '/vulnerabilities') return !mine && (pathname === n.to || pathname.startsWith(`${n.to}/`))
  return (
    pathname === n.to ||
    pathname.startsWith(`${n.to}/`) ||
    (n.to === '/integrations' && pathname.startsWith('/connections/'))
  )
}

function Shell() {
  const { user, signOut } = useAuth()
  const { pathname, query } = useLocation()
  const catalogue = useConnectors()
  const [changingPassword, setChangingPassword] = useState(false)
  const mainRef = useRef<HTMLElement>(null)
  const first = useRef(true)

  // Move focus to the page heading on navigation, so screen readers announce the new page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on path change only
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    const t = window.setTimeout(() => {
      const h = document.getElementById('page-title')
      if (h) h.focus({ preventScroll: false })
      window.scrollTo(0, 0)
    }, 0)
    return () => window.clearTimeout(t)
  }, [pathname])

  useEffect(() => {
    if (pathname === '/' || pathname === '/signin') navigate(LANDING, { replace: true })
  }, [pathname])

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            v
          </span>
          <span className="brand-name">vulnsync</span>
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => (!n.admin || user.role === 'admin') && (!n.user || user.id)).map((n) => {
              const active = isActive(n, pathname, query)
              return (
                <li key={n.to}>
                  <Link
                    to={n.to}
                    className={`nav-link${active ? ' active' : ''}`}
                    aria-current={active ? 'page' : undefined}
                  >
                    <Icon name={n.icon} size={18} />
                    {n.label}
                  </Link>
                </li>
              )
            })}
          </ul>
        </nav>
        <div className="sidebar-foot">
          <div className="whoami">
            <span className="avatar" aria-hidden="true">
              {user.username.slice(0, 1).toUpperCase()}
            </span>
            <span>
              <span className="whoami-name">{user.username}</span>
              <span className="whoami-role">{user.role}</span>
            </span>
          </div>
          {/* a password belongs to a user: an API token without one has none to change */}
          {user.id ? (
            <button type="button" className="btn btn-ghost btn-block" onClick={() => setChangingPassword(true)}>
              <Icon name="key" />
              Change password
            </button>
          ) : null}
          <button type="button" className="btn btn-ghost btn-block" onClick={() => void signOut()}>
            <Icon name="logout" />
            Sign out
          </button>
        </div>
      </aside>
      {changingPassword ? <ChangePasswordDialog onClose={() => setChangingPassword(false)} /> : null}
      <main id="main" ref={mainRef} className="main" tabIndex={-1}>
        {/* every page shows connector kinds: their titles and letters come with the catalogue, so it arrives first */}
        {catalogue.status === 'loading' ? <Spinner label="Loading" /> : <Routes pathname={pathname} />}
      </main>
    </div>
  )
}

function Routes({ pathname }: { pathname: string }): ReactNode {
  const { user } = useAuth()
  if (match('/dashboard', pathname))
    return (
      <Suspense fallback={<Spinner label="Loading the dashboard" />}>
        <DashboardPage />
      </Suspense>
    )
  if (match('/vulnerabilities', pathname)) return <VulnerabilitiesPage />
  const vuln = match('/vulnerabilities/:id', pathname)
  if (vuln) return <VulnerabilityDetailPage key={vuln.id} id={vuln.id as string} />
  if (match('/integrations', pathname)) return <HubPage />
  const syncs = match('/connections/:id/syncs', pathname)
  if (syncs) return <SyncHistoryPage key={syncs.id} connectionId={syncs.id as string} />
  if (match('/notifications', pathname)) return <NotificationsPage />
  if (match('/repositories', pathname)) return <RepositoriesPage tab="inventory" />
  if (match('/repositories/unmatched', pathname)) return <RepositoriesPage tab="unmatched" />
  const fixes = match('/repositories/:id/fixes', pathname)
  if (fixes) return <RepositoryFixesPage key={fixes.id} id={fixes.id as string} />
  if (match('/fix-prs', pathname)) return <FixPullRequestsPage />
  if (match('/teams', pathname)) return <TeamsPage />
  if (match('/applications', pathname)) return <ApplicationsPage />
  if (match('/ownership-rules', pathname)) return <OwnershipRulesPage />
  if (match('/users', pathname))
    return user.role === 'admin' ? <UsersPage /> : <Empty title="Only administrators manage users." />
  if (match('/decisions', pathname)) return <DecisionsPage />
  if (match('/prioritisation', pathname)) return <PrioritisationPage />
  if (match('/settings', pathname)) return <SettingsPage />
  if (pathname === '/' || pathname === '/signin') return null
  return (
    <div>
      <h1 id="page-title" tabIndex={-1}>
        Page not found
      </h1>
      <p>
        Nothing lives at <code>{pathname}</code>. <Link to="/vulnerabilities">Go to the vulnerability queue</Link>.
      </p>
    </div>
  )
}
