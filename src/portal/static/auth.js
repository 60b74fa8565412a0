// Sign-up and sign-in. A new account is not signed in by itself: the developer signs in with the
// password they just chose, which also proves they typed it as they meant to.
import { busy, showError } from './dom.js';

function read(form) {
  const data = new FormData(form);
  return {
    email: String(data.get('email') ?? '').trim(),
    password: String(data.get('password') ?? ''),
  };
}

function missing(credentials) {
  if (credentials.email.length === 0) return 'Enter your email address.';
  if (credentials.password.length === 0) return 'Enter a password.';
  return null;
}

export function mountAuth(ctx) {
  const signUp = document.getElementById('sign-up-form');
  const signIn = document.getElementById('sign-in-form');
  const signUpError = signUp.querySelector('.form-error');
  const signInError = signIn.querySelector('.form-error');

  signUp.addEventListener('submit', async (event) => {
    event.preventDefault();
    const credentials = read(signUp);
    showError(signUpError, missing(credentials));
    if (missing(credentials) !== null) return;
    try {
      const created = await busy(signUp.querySelector('button'), () =>
        ctx.api('/developers', { body: credentials }),
      );
      signUp.reset();
      signIn.elements.email.value = created.email;
      signIn.elements.password.focus();
      ctx.notify(`Account created for ${created.email}. Sign in to continue.`, 'success');
    } catch (error) {
      showError(signUpError, error.message);
    }
  });

  signIn.addEventListener('submit', async (event) => {
    event.preventDefault();
    const credentials = read(signIn);
    showError(signInError, missing(credentials));
    if (missing(credentials) !== null) return;
    try {
      const session = await busy(signIn.querySelector('button'), () =>
        ctx.api('/sessions', { body: credentials }),
      );
      signIn.reset();
      showError(signInError, null);
      ctx.signIn(credentials.email.toLowerCase(), session.token, session.expiresInSeconds);
    } catch (error) {
      showError(signInError, error.message);
    }
  });

  document.getElementById('sign-in-link').addEventListener('click', () => {
    setTimeout(() => signIn.elements.email.focus(), 0);
  });
}
