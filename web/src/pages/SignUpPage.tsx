import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, apiErrorMessage } from '../api/client.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { usePageTitle } from '../lib/page-title.ts';
import { useFormAction } from '../lib/use-form-action.ts';
import { safeNext, signIn } from './SignInPage.tsx';

/** The failing fields of a 400, as one readable line. */
function fieldErrors(error: unknown): string | null {
  const details = (error as { error?: { details?: unknown } } | undefined)?.error?.details;
  if (!Array.isArray(details)) return null;
  return details
    .map((d: { path?: string; message?: string }) => `${d.path ?? ''}: ${d.message ?? ''}`.replace(/^: /, ''))
    .join('; ');
}

export function SignUpPage() {
  usePageTitle('Create an account');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { busy, error, onSubmit } = useFormAction(async (form) => {
    const username = String(form.get('username'));
    const password = String(form.get('password'));
    const fullName = String(form.get('fullName')).trim();
    const { error: failed } = await api.POST('/api/v1/auth/register', {
      body: { username, email: String(form.get('email')), password, ...(fullName ? { fullName } : {}) },
    });
    if (failed) throw new Error(fieldErrors(failed) ?? apiErrorMessage(failed, 'Could not create the account.'));
    await signIn(username, password);
    navigate(safeNext(params.get('next')), { replace: true });
  });

  return (
    <>
      <AppHeader />
      <main className="page narrow">
        <h1>Create an account</h1>
        <form onSubmit={onSubmit} className="form">
          <label>
            Full name (optional)
            <input name="fullName" autoComplete="name" maxLength={100} />
          </label>
          <label>
            Username
            <input name="username" autoComplete="username" required minLength={3} maxLength={32} pattern="[A-Za-z0-9_.\-]+" title="Letters, digits, dot, dash and underscore" />
          </label>
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required maxLength={254} />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="new-password" required minLength={8} maxLength={128} aria-describedby="password-rule" />
          </label>
          <p id="password-rule" className="muted small">
            At least 8 characters.
          </p>
          <FormError message={error} />
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Creating…' : 'Create account'}
          </button>
        </form>
        <p>
          Have an account? <Link to="/signin">Sign in</Link>
        </p>
      </main>
    </>
  );
}
