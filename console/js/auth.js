// Sign-in with the city's Cognito user pool from the browser: tokens live in this module's memory only.

import { cognitoUrl } from './config.js';

const TARGET = 'AWSCognitoIdentityProviderService.';
// Groups that make an account staff; a resident is `citizen` (or no group while pending).
export const STAFF_GROUPS = ['operator', 'police', 'response_team', 'analyst', 'admin', 'sat_team', 'sat_coordinator'];
const REFRESH_MARGIN_S = 120; // refresh this long before the ID token expires

export class SignInError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code; // wrong_credentials, wrong_code, weak_password, challenge_unsupported, failed
  }
}

/** The claims of a JWT (unverified: the API verifies; the console only reads groups and expiry). */
export function claims(token) {
  const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const json = decodeURIComponent(Array.from(atob(payload), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''));
  return JSON.parse(json);
}

export class Session {
  constructor(config, { fetchFn = (...a) => fetch(...a), now = () => Date.now() } = {}) {
    this.config = config;
    this.fetch = fetchFn;
    this.now = now;
    this.tokens = null; // {IdToken, AccessToken, RefreshToken}
    this.pending = null; // {session, username, challenge}
    this.timer = null;
    this.listeners = new Set();
  }

  onChange(fn) {
    this.listeners.add(fn);
  }

  get signedIn() {
    return Boolean(this.tokens);
  }

  get idToken() {
    return this.tokens ? this.tokens.IdToken : null;
  }

  get claims() {
    return this.tokens ? claims(this.tokens.IdToken) : {};
  }

  get groups() {
    const groups = this.claims['cognito:groups'];
    return Array.isArray(groups) ? groups : [];
  }

  get email() {
    return this.claims.email || this.claims['cognito:username'] || '';
  }

  get isStaff() {
    return this.groups.some((group) => STAFF_GROUPS.includes(group));
  }

  async call(action, body) {
    let answer;
    try {
      answer = await this.fetch(cognitoUrl(this.config), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': TARGET + action },
        body: JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (error) {
      throw new SignInError('failed', String(error.message || error));
    }
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const type = String(data.__type || data.code || '').split('#').pop();
      if (['NotAuthorizedException', 'UserNotFoundException', 'UserNotConfirmedException'].includes(type)) {
        throw new SignInError(action === 'RespondToAuthChallenge' ? 'wrong_code' : 'wrong_credentials', data.message);
      }
      if (['CodeMismatchException', 'ExpiredCodeException'].includes(type)) throw new SignInError('wrong_code', data.message);
      if (type === 'InvalidPasswordException') throw new SignInError('weak_password', data.message);
      throw new SignInError('failed', data.message || type || `HTTP ${answer.status}`);
    }
    return data;
  }

  /** E-mail + password. Resolves 'signed_in' or 'mfa' (then call answerMfa with the code). */
  async signIn(email, password) {
    const username = email.trim().toLowerCase();
    const data = await this.call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: this.config.client_id,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return this.accept(data, username);
  }

  async answerMfa(code) {
    if (!this.pending) throw new SignInError('failed', 'no sign-in in progress');
    const data = await this.call('RespondToAuthChallenge', {
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      ClientId: this.config.client_id,
      Session: this.pending.session,
      ChallengeResponses: { USERNAME: this.pending.username, SOFTWARE_TOKEN_MFA_CODE: code.trim() },
    });
    return this.accept(data, this.pending.username);
  }

  /** The first sign-in of an account an admin created: its own password replaces the temporary one. */
  async answerNewPassword(newPassword) {
    if (!this.pending || this.pending.challenge !== 'NEW_PASSWORD_REQUIRED') throw new SignInError('failed', 'no sign-in in progress');
    let data;
    try {
      data = await this.call('RespondToAuthChallenge', {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        ClientId: this.config.client_id,
        Session: this.pending.session,
        ChallengeResponses: { USERNAME: this.pending.username, NEW_PASSWORD: newPassword },
      });
    } catch (error) {
      // NotAuthorized here means the challenge's session ran out (3 minutes): start again from the password
      if (error.code === 'wrong_code') throw new SignInError('challenge_expired', error.message);
      throw error;
    }
    return this.accept(data, this.pending.username);
  }

  accept(data, username) {
    if (data.AuthenticationResult) {
      this.pending = null;
      this.store(data.AuthenticationResult);
      return 'signed_in';
    }
    if (data.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
      this.pending = { session: data.Session, username, challenge: data.ChallengeName };
      return 'mfa';
    }
    if (data.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
      const parameters = data.ChallengeParameters || {};
      // Cognito names the user by its internal name in the challenge; answer with that one
      this.pending = { session: data.Session, username: parameters.USER_ID_FOR_SRP || parameters.USERNAME || username, challenge: data.ChallengeName };
      return 'new_password';
    }
    this.pending = null;
    throw new SignInError('challenge_unsupported', data.ChallengeName || 'unknown');
  }

  store(result) {
    this.tokens = { RefreshToken: this.tokens && this.tokens.RefreshToken, ...result };
    this.schedule();
    this.emit();
  }

  schedule() {
    clearTimeout(this.timer);
    const expires = Number(this.claims.exp || 0) * 1000;
    const wait = Math.max(5_000, expires - this.now() - REFRESH_MARGIN_S * 1000);
    this.timer = setTimeout(() => this.refresh().catch(() => this.expire()), wait);
  }

  /** A fresh ID token from the refresh token, before the current one expires. */
  async refresh() {
    if (!this.tokens || !this.tokens.RefreshToken) throw new SignInError('failed', 'no refresh token');
    const data = await this.call('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: this.config.client_id,
      AuthParameters: { REFRESH_TOKEN: this.tokens.RefreshToken },
    });
    if (!data.AuthenticationResult) throw new SignInError('failed', 'refresh refused');
    this.store(data.AuthenticationResult);
  }

  expire() {
    this.forget();
    this.emit('expired');
  }

  /** Ends the session everywhere (GlobalSignOut revokes the refresh token), then forgets the tokens. */
  async signOut() {
    const access = this.tokens && this.tokens.AccessToken;
    this.forget();
    this.emit();
    if (access) await this.call('GlobalSignOut', { AccessToken: access }).catch(() => {});
  }

  forget() {
    clearTimeout(this.timer);
    this.tokens = null;
    this.pending = null;
  }

  emit(reason) {
    for (const fn of this.listeners) fn(reason);
  }
}
