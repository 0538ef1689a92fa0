// An example client for hospital-alerts, typed from the service's OpenAPI document.
//
// `schema.d.ts` is generated, never written by hand (docs/api.md, "A typed TypeScript client"):
//   curl -fsS http://127.0.0.1:8000/schema/openapi.json -o openapi.json
//   npx openapi-typescript openapi.json -o schema.d.ts
// tests/e2e/test_typescript_client.py generates it from a running service and type-checks this file with
// `tsc --strict`, so a change to the API that breaks these calls fails the build.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Alert = components["schemas"]["AlertRow"];
export type NewAlert = components["schemas"]["CreateAlert"];
export type User = components["schemas"]["UserRow"];
export type Problem = components["schemas"]["Problem"];
export type Session = components["schemas"]["LoginResponse"];
export type TwoFactorChallenge = components["schemas"]["TwoFactorChallengeResponse"];

/** Every error of the service is an RFC 9457 problem (application/problem+json). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title}: ${problem.detail}`);
  }

  /** The message for one field of a 400 (`errors[].field` is a dotted path such as `users[2].email`). */
  fieldMessage(field: string): string | undefined {
    return this.problem.errors?.find((error) => error.field === field)?.message;
  }
}

function fail(response: Response, problem: Problem | undefined): never {
  throw new ApiError(response.status, problem ?? { type: "about:blank", title: response.statusText, status: response.status, detail: "" });
}

export function connect(baseUrl: string) {
  const client = createClient<paths>({ baseUrl });
  let token: string | null = null;
  // Tokens travel only in the Authorization header: no cookies, no tokens in URLs.
  const bearer: Middleware = {
    onRequest({ request }) {
      if (token !== null) request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  client.use(bearer);

  return {
    /** Step one of a login: a session, or (2FA accounts) a challenge for `loginWithCode`. */
    async login(email: string, password: string): Promise<Session | TwoFactorChallenge> {
      const { data, error, response } = await client.POST("/api/v1/auth/login", { body: { email, password } });
      if (data === undefined) return fail(response, error);
      if ("token" in data) token = data.token;
      return data;
    },

    async loginWithCode(challenge: TwoFactorChallenge, code: string): Promise<Session> {
      const { data, error, response } = await client.POST("/api/v1/auth/login/2fa", {
        body: { challengeToken: challenge.challengeToken, code },
      });
      if (data === undefined) return fail(response, error);
      token = data.token;
      return data;
    },

    async createAlert(alert: NewAlert): Promise<Alert> {
      const { data, error, response } = await client.POST("/api/v1/alerts", { body: alert });
      if (data === undefined) return fail(response, error);
      return data;
    },

    /** Open alerts the caller may see, critical first, then newest. */
    async activeAlerts(limit = 50): Promise<Alert[]> {
      const { data, error, response } = await client.GET("/api/v1/alerts/active", { params: { query: { limit } } });
      if (data === undefined) return fail(response, error);
      return data;
    },

    async acknowledge(alertId: string): Promise<Alert> {
      const { data, error, response } = await client.POST("/api/v1/alerts/{alert_id}/acknowledge", {
        params: { path: { alert_id: alertId } },
      });
      if (data === undefined) return fail(response, error);
      return data;
    },
  };
}

/** What a ward screen does: log in, raise an alert, show the open ones. */
export async function example(baseUrl: string, departmentId: string, readCode: () => Promise<string>): Promise<string[]> {
  const api = connect(baseUrl);
  const login = await api.login("operator@example.org", "correct horse battery staple");
  const session: Session = "token" in login ? login : await api.loginWithCode(login, await readCode());
  const user: User = session.user;
  if (session.passwordChangeRequired) throw new Error(`${user.email} must change the temporary password first`);

  const raised = await api.createAlert({
    title: "Patient fell in room 12",
    priority: "high",
    alertType: "medical",
    departmentId,
    roomNumber: "12",
  });
  const open = await api.activeAlerts(20);
  const critical: Alert[] = open.filter((alert) => alert.priority === "critical");
  return [raised.id, ...critical.map((alert) => `${alert.department.code} ${alert.title} (level ${alert.escalationLevel})`)];
}
