// Strings shared by the staff pages (door scanner and admin): sign-in.
import { addStrings } from '../lib/i18n.js';

addStrings({
  it: {
    'login.title': 'Accesso staff',
    'login.email': 'Email',
    'login.password': 'Password',
    'login.submit': 'Entra',
    'login.working': 'Accesso\u2026',
    'login.failed': 'Email o password errate (dopo cinque tentativi l\u2019account \u00e8 bloccato per 15 minuti).',
    'login.required': 'Inserisci email e password.',
    'login.forbidden': 'Questo account non pu\u00f2 usare questa pagina.',
    'login.expired': 'La sessione \u00e8 scaduta: accedi di nuovo.',
    logout: 'Esci',
    'signed_in_as': 'Connesso come {name}',
    'error.unauthorized': 'La sessione \u00e8 scaduta: accedi di nuovo.',
    'error.forbidden': 'Non hai i permessi per questa operazione.',
    'error.csrf_failed': 'La sessione non \u00e8 pi\u00f9 valida: ricarica la pagina.',
  },
  en: {
    'login.title': 'Staff sign-in',
    'login.email': 'Email',
    'login.password': 'Password',
    'login.submit': 'Sign in',
    'login.working': 'Signing in\u2026',
    'login.failed': 'Wrong email or password (after five attempts the account is locked for 15 minutes).',
    'login.required': 'Enter your email and password.',
    'login.forbidden': 'This account cannot use this page.',
    'login.expired': 'Your session has expired: please sign in again.',
    logout: 'Sign out',
    'signed_in_as': 'Signed in as {name}',
    'error.unauthorized': 'Your session has expired: please sign in again.',
    'error.forbidden': 'You are not allowed to do this.',
    'error.csrf_failed': 'Your session is no longer valid: reload the page.',
  },
});
