// The Vigía API with the signed-in user's ID token; errors arrive as RFC 9457 problems.

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status; // 0: the API could not be reached
    this.problem = problem || {};
  }
}

export function createApi({ baseUrl, session, onUnauthorized = () => {} }) {
  async function request(method, path, body, headers = {}) {
    const init = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store', credentials: 'omit' };
    if (session.idToken) init.headers.Authorization = `Bearer ${session.idToken}`;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await fetch(baseUrl + path, init);
    } catch (error) {
      throw new ApiError(0, { title: 'network', detail: String(error.message || error) });
    }
    const text = await answer.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { detail: text.slice(0, 200) };
    }
    if (!answer.ok) {
      if (answer.status === 401) onUnauthorized();
      const error = new ApiError(answer.status, data);
      // a 429's Retry-After (seconds) is a header, not in the problem: callers say when to try again
      const retryAfter = Number(answer.headers.get('Retry-After'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfterS = retryAfter;
      throw error;
    }
    return data;
  }
  return {
    get: (path, headers) => request('GET', path, undefined, headers),
    post: (path, body = {}, headers) => request('POST', path, body, headers),
    put: (path, body = {}, headers) => request('PUT', path, body, headers),
  };
}
