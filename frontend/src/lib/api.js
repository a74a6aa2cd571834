// fetch wrapper for the JSON API. Resolves the parsed body; rejects with an
// ApiError carrying the status and the API's error object
// ({code, message, fields, ...}). A network failure is status 0,
// code "network_error".

import { setTimeZone } from './format.js';

export class ApiError extends Error {
  constructor(status, error, body = null) {
    super(error?.message ?? `HTTP ${status}`);
    this.body = body; // the whole answer, e.g. the reservation next to a 409 cancelled
    this.status = status;
    this.code = error?.code ?? (status ? 'http_error' : 'network_error');
    this.fields = error?.fields ?? {};
    this.error = error ?? {};
  }
}

let csrfToken = null;

/** Remember the session's CSRF token (from login or /api/auth/me). */
export function setCsrf(token) {
  csrfToken = token;
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { accept: 'application/json' };
  // A Blob (an uploaded file) goes as it is, with its own type.
  const raw = typeof Blob !== 'undefined' && body instanceof Blob;
  if (body !== undefined) headers['content-type'] = raw ? body.type || 'application/octet-stream' : 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined || raw ? body : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, null);
  }
  setTimeZone(res.headers.get('x-time-zone'));
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    throw new ApiError(res.status, data?.error ?? { code: res.status === 429 ? 'rate_limited' : 'http_error' }, data);
  }
  return data;
}
